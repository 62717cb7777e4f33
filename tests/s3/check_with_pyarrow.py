"""Cross-checks weir's S3 client with an independent one: pyarrow's S3FileSystem.

Usage: check_with_pyarrow.py PATH/TO/weir_s3_it   (WEIR_S3_* from .run/env.sh)

1. weir uploads a ~12 MiB object by multipart (5 MiB parts); pyarrow reads it
   and its size and SHA-256 must match both what weir says it sent and the
   same deterministic content computed here.
2. pyarrow writes an object; weir reads it and reports the same size and SHA-256.
3. weir's paginated listing of the prefix equals pyarrow's.
4. weir deletes the prefix; pyarrow finds nothing left.
Everything is written under a prefix unique to the run.
"""
import hashlib
import os
import subprocess
import sys
import time

from pyarrow import fs


def pattern(size):
    """The bytes weir_s3_it put-pattern uploads: SHA-256 of "weir-s3 block <i>"."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(f"weir-s3 block {i}".encode()).digest()
        i += 1
    return bytes(out[:size])


def weir(binary, *args):
    run = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        sys.exit(f"weir_s3_it {' '.join(map(str, args))} failed ({run.returncode}): {run.stderr.strip()}")
    return run.stdout


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    for name in ("WEIR_S3_ENDPOINT", "WEIR_S3_ACCESS_KEY", "WEIR_S3_SECRET_KEY", "WEIR_S3_BUCKET"):
        if not os.environ.get(name):
            sys.exit(f"{name} not set: run deploy/services.sh up and source .run/env.sh")
    endpoint = os.environ["WEIR_S3_ENDPOINT"]
    scheme, _, host = endpoint.partition("://")
    bucket = os.environ["WEIR_S3_BUCKET"]
    s3 = fs.S3FileSystem(
        access_key=os.environ["WEIR_S3_ACCESS_KEY"],
        secret_key=os.environ["WEIR_S3_SECRET_KEY"],
        region=os.environ.get("WEIR_S3_REGION", "us-east-1"),
        endpoint_override=host,
        scheme=scheme,
    )
    prefix = f"weir-s3-pyarrow/{os.getpid()}-{time.time_ns()}/"
    failures = []
    passed = []

    def check(what, ok, detail=""):
        (passed if ok else failures).append(what)
        print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))

    try:
        # 1. weir writes (multipart), pyarrow reads.
        size = 12 * 1024 * 1024 + 12345
        key = prefix + "from-weir/large.bin"
        sent_size, sent_sha = weir(binary, "put-pattern", bucket, key, size, 5 * 1024 * 1024).split()
        expected = pattern(size)
        check("weir sent the expected bytes", int(sent_size) == size
              and sent_sha == hashlib.sha256(expected).hexdigest(), f"{sent_size} {sent_sha}")
        info = s3.get_file_info(f"{bucket}/{key}")
        check("pyarrow sees weir's multipart object with the right size", info.size == size,
              f"size {info.size}, want {size}")
        with s3.open_input_stream(f"{bucket}/{key}") as f:
            data = f.read()
        check("pyarrow reads weir's multipart object byte for byte",
              hashlib.sha256(data).hexdigest() == sent_sha and data == expected,
              f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")

        # 2. pyarrow writes, weir reads.
        payload = os.urandom(3 * 1024 * 1024 + 7)
        key2 = prefix + "from-pyarrow/random.bin"
        with s3.open_output_stream(f"{bucket}/{key2}") as f:
            f.write(payload)
        got_size, got_sha = weir(binary, "get", bucket, key2).split()
        check("weir reads pyarrow's object byte for byte",
              int(got_size) == len(payload) and got_sha == hashlib.sha256(payload).hexdigest(),
              f"{got_size} {got_sha}")

        # 3. Listings agree (weir pages by 1 key to follow continuation tokens).
        theirs = sorted(i.path[len(bucket) + 1:] for i in
                        s3.get_file_info(fs.FileSelector(f"{bucket}/{prefix}", recursive=True))
                        if i.type == fs.FileType.File)
        ours = weir(binary, "list", bucket, prefix, 1).split("\n")[:-1]
        check("weir's listing equals pyarrow's", ours == theirs, f"weir {ours}, pyarrow {theirs}")

        # 4. weir deletes; pyarrow sees nothing left. (weir, not pyarrow, does
        # the deleting: pyarrow leaves a directory marker for the parent.)
        deleted = int(weir(binary, "delete-prefix", bucket, prefix))
        left = s3.get_file_info(fs.FileSelector(f"{bucket}/{prefix}", allow_not_found=True,
                                                recursive=True))
        check("weir deletes what it lists", deleted == 2 and not left,
              f"deleted {deleted}, left {[i.path for i in left]}")
    finally:
        subprocess.run([binary, "delete-prefix", bucket, prefix], capture_output=True, timeout=60)

    print(f"{len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
