"""Shared by the sinks/raw checkers: run weir_raw_it, read what it wrote with
psql, pyarrow and duckdb (never weir's own code), compare with the rows it
dumps. Needs WEIR_PG_URL and WEIR_S3_* (.run/env.sh)."""
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyarrow import fs

# The Parquet writer's checker already has NaN/-0.0-aware equality, SQL
# quoting and the Arrow type of each weir type.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "parquet"))
from check_parquet import ARROW_TYPES, quote, same  # noqa: E402
# The e2e tests' pyiceberg catalog, for the export into a table.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "e2e"))
from harness import iceberg_catalog  # noqa: E402,F401

# event_id of row n is the hex of 42 * 1000003 + n (tests/raw/raw_data.hpp).
ID_BASE = 42 * 1_000_003
FILE_NAME = re.compile(r"part-p(\d+)-(\d{20})-(\d{20})\.parquet$")


def offset_of(event_id):
    return int(event_id, 16) - ID_BASE


class Checks:
    """Prints one line per check and the closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def __call__(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def export_args(doc):
    """The weir_raw_it path of an export checker's command line, once the
    services' environment is there for PostgreSQL and S3."""
    if len(sys.argv) != 2:
        sys.exit(doc)
    need_env("WEIR_PG_URL", "WEIR_S3_ENDPOINT", "WEIR_S3_ACCESS_KEY", "WEIR_S3_SECRET_KEY",
             "WEIR_S3_BUCKET")
    return sys.argv[1]


def need_env(*names):
    for name in names:
        if not os.environ.get(name):
            sys.exit(f"{name} not set: run deploy/services.sh up and source .run/env.sh")


def unique(base):
    return f"{base}_{os.getpid()}_{time.time_ns() % 1_000_000_000}"


def tool(binary, *args, timeout=600):
    run = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"weir_raw_it {' '.join(map(str, args))} exited {run.returncode}: "
                           f"{run.stderr.strip()}")
    return run.stdout


def dump(binary, schema, lo, hi):
    """(columns, {event_id: row}) for rows [lo, hi); doubles as Python floats."""
    lines = tool(binary, "dump", schema, lo, hi).splitlines()
    columns = json.loads(lines[0])["columns"]
    rows = {}
    for line in lines[1:]:
        row = json.loads(line)
        for j, c in enumerate(columns):
            if c["type"] == "float64" and row[j] is not None:
                row[j] = float(row[j])
        rows[row[0]] = row
    return columns, rows


def first_difference(got, want, names):
    """None if the row dicts agree, else a message about the first difference."""
    if got.keys() != want.keys():
        missing = sorted(want.keys() - got.keys())
        extra = sorted(got.keys() - want.keys())
        return f"{len(missing)} rows missing (e.g. {missing[:3]}), {len(extra)} extra (e.g. {extra[:3]})"
    for key, w in want.items():
        g = got[key]
        for name, gv, wv in zip(names, g, w):
            if not same(gv, wv):
                return f"row {key} column {name}: got {gv!r:.80}, expected {wv!r:.80}"
    return None


# -- PostgreSQL through psql ---------------------------------------------------------


def psql(sql):
    run = subprocess.run(["psql", os.environ["WEIR_PG_URL"], "-X", "-At", "-v", "ON_ERROR_STOP=1",
                          "-c", sql], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        raise RuntimeError(f"psql failed: {run.stderr.strip()}")
    return run.stdout.splitlines()


def pg_rows(table, columns, where="true"):
    """{event_id: row} read by psql, as JSON; doubles through their text form."""
    exprs = []
    for c in columns:
        name = '"' + c["name"] + '"'
        if c["type"] == "float64":
            exprs.append(f"{name}::text")
        elif c["type"] == "timestamp_ms":
            exprs.append(f"floor(extract(epoch FROM {name}) * 1000)::bigint")
        else:
            exprs.append(name)
    rows = {}
    for line in psql(f"SELECT json_build_array({', '.join(exprs)}) FROM \"{table}\" WHERE {where}"):
        row = json.loads(line)
        for j, c in enumerate(columns):
            if c["type"] == "float64" and row[j] is not None:
                row[j] = float(row[j])
        rows[row[0]] = row
    return rows


# -- S3 through pyarrow --------------------------------------------------------------


def s3fs():
    scheme, _, host = os.environ["WEIR_S3_ENDPOINT"].partition("://")
    return fs.S3FileSystem(access_key=os.environ["WEIR_S3_ACCESS_KEY"],
                           secret_key=os.environ["WEIR_S3_SECRET_KEY"],
                           region=os.environ.get("WEIR_S3_REGION", "us-east-1"),
                           endpoint_override=host, scheme=scheme)


def list_files(s3, bucket, prefix):
    """Keys (without the bucket) of every object under prefix, sorted."""
    infos = s3.get_file_info(fs.FileSelector(f"{bucket}/{prefix}", recursive=True,
                                             allow_not_found=True))
    return sorted(i.path[len(bucket) + 1:] for i in infos if i.type == fs.FileType.File)


def download(s3, bucket, prefix, local_dir):
    """Copies every object under prefix into local_dir, keeping the key's path."""
    for key in list_files(s3, bucket, prefix):
        target = os.path.join(local_dir, key[len(prefix):].lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with s3.open_input_stream(f"{bucket}/{key}") as src, open(target, "wb") as dst:
            dst.write(src.read())


def arrow_rows(table, columns):
    """{event_id: row} from an Arrow table; timestamps as epoch ms."""
    cols = []
    for c in columns:
        col = table.column(c["name"])
        if c["type"] == "timestamp_ms":
            col = col.cast(pa.int64())
        cols.append(col.to_pylist())
    rows = {}
    for row in zip(*cols):
        rows[row[0]] = list(row)
    return rows


def duckdb_select(columns):
    return ", ".join(f'epoch_ms("{c["name"]}")' if c["type"] == "timestamp_ms" else f'"{c["name"]}"'
                     for c in columns)


def expected_schema(columns):
    return pa.schema([pa.field(c["name"], ARROW_TYPES[c["type"]], nullable=c["nullable"])
                      for c in columns])


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def utc(ms):
    return EPOCH + datetime.timedelta(milliseconds=ms)

