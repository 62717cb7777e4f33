#!/usr/bin/env python3
"""lake_writer against the real MinIO, read back with pyarrow and duckdb.

Usage: check_lake.py PATH/TO/weir_raw_it   (WEIR_S3_* from .run/env.sh)

A. 50k seed-004 user actions (Kafka partition 2, offsets 0..49999, ~6 hours
   over midnight) into seed 004's layout event_date / 2-hour event_hour /
   bucket = user_id % 128, with small limits so that files roll by rows, by
   bytes and by the writer's memory limit, and hold several row groups (16 rows each).
   - pyarrow reads the prefix from S3 as a Hive-partitioned dataset: the rows
     equal the input row for row, and each row's partition values are its
     own date, 2-hour bucket and user_id % 128;
   - pyarrow reads every file: its schema, the offsets in its name (first and
     last offset of its rows) and the path it lies in match its rows, and no
     file exceeds the row limit;
   - duckdb reads the same files: it has no S3 here (its httpfs extension
     cannot be installed offline), so the prefix is downloaded with pyarrow
     and duckdb reads the local copies with hive_partitioning.
B. A crash and a new owner (Kafka partition 5): the first owner writes
   offsets 0..19999 and flushes (the checkpoint is at 20000), writes on to
   44999 and dies without flushing (files it rolled are in S3, the rest is
   lost). The new owner calls forget_after(5, 20000), which must delete
   exactly the files that start at or after 20000, then writes 20000..49999
   with other limits (other roll points) and flushes. pyarrow and duckdb
   must find every row exactly once.
C. Throughput with the default limits is printed (rows/s), not asserted.
Everything is written under a prefix unique to the run and deleted at the end.
"""
import os
import sys
import tempfile

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq

import rawcheck as rc

ROWS = 50_000
CHECKPOINT = 20_000
DIED_AT = 45_000


def lake_rows_pyarrow(s3, bucket, prefix, columns):
    """(rows by event_id, partition values by event_id, number of rows) via pyarrow.dataset."""
    table = ds.dataset(f"{bucket}/{prefix}", filesystem=s3, format="parquet",
                       partitioning="hive").to_table()
    rows = rc.arrow_rows(table, columns)
    parts = dict(zip(table.column("event_id").to_pylist(),
                     zip(map(str, table.column("event_date").to_pylist()),
                         table.column("event_hour").to_pylist(),
                         table.column("bucket").to_pylist())))
    return rows, parts, table.num_rows


def lake_rows_duckdb(s3, bucket, prefix, columns):
    """(rows by event_id, number of rows) via duckdb over a local copy."""
    with tempfile.TemporaryDirectory(prefix="weir-raw-lake-") as tmp:
        rc.download(s3, bucket, prefix, tmp)
        con = duckdb.connect()
        got = con.execute(
            f"SELECT {rc.duckdb_select(columns)}, CAST(event_date AS VARCHAR), event_hour, bucket "
            f"FROM read_parquet({rc.quote(tmp + '/**/*.parquet')}, hive_partitioning = true)"
        ).fetchall()
    n = len(columns)
    return {r[0]: list(r[:n]) for r in got}, {r[0]: (r[n], r[n + 1], r[n + 2]) for r in got}, len(got)


def own_partition(row):
    """Where seed 004's layout puts a row: (date, 2-hour bucket, user_id % 128)."""
    t = rc.utc(row[3])
    return t.strftime("%Y-%m-%d"), t.hour // 2 * 2, row[1] % 128


def check_lake(check, label, s3, bucket, prefix, columns, want, kafka_partition, max_rows):
    names = [c["name"] for c in columns]

    rows, parts, n = lake_rows_pyarrow(s3, bucket, prefix, columns)
    check(f"{label}: pyarrow reads {len(want)} rows, each once", n == len(want) == len(rows),
          f"{n} rows, {len(rows)} distinct, want {len(want)}")
    diff = rc.first_difference(rows, want, names)
    check(f"{label}: pyarrow's rows equal the input row for row", diff is None, diff)
    wrong = [k for k, p in parts.items() if k in want and
             (p[0], int(p[1]), int(p[2])) != own_partition(want[k])]
    check(f"{label}: pyarrow's hive partition values are each row's date, hour/2, user_id % 128",
          not wrong, f"{len(wrong)} rows, e.g. {wrong[:3]}")

    rows, parts, n = lake_rows_duckdb(s3, bucket, prefix, columns)
    check(f"{label}: duckdb reads {len(want)} rows, each once", n == len(want) == len(rows),
          f"{n} rows, {len(rows)} distinct")
    diff = rc.first_difference(rows, want, names)
    check(f"{label}: duckdb's rows equal the input row for row", diff is None, diff)
    wrong = [k for k, p in parts.items() if k in want and
             (p[0], int(p[1]), int(p[2])) != own_partition(want[k])]
    check(f"{label}: duckdb's hive partition values match the rows", not wrong, wrong[:3])

    # Every file on its own: schema, name, place, size.
    keys = rc.list_files(s3, bucket, prefix)
    schema = rc.expected_schema(columns)
    problems = []
    multi_group = 0
    for key in keys:
        m = rc.FILE_NAME.search(key)
        if not m:
            problems.append(f"{key}: not a lake file name")
            continue
        pf = pq.ParquetFile(s3.open_input_file(f"{bucket}/{key}"))
        if not pf.schema_arrow.equals(schema):
            problems.append(f"{key}: schema {pf.schema_arrow}")
        multi_group += pf.metadata.num_row_groups > 1
        ids = pf.read(columns=["event_id"]).column("event_id").to_pylist()
        offsets = sorted(rc.offset_of(i) for i in ids)
        if (int(m.group(1)), int(m.group(2)), int(m.group(3))) != (kafka_partition, offsets[0], offsets[-1]):
            problems.append(f"{key}: rows span offsets {offsets[0]}..{offsets[-1]}")
        if len(ids) > max_rows:
            problems.append(f"{key}: {len(ids)} rows, limit {max_rows}")
        path = key[len(prefix):].strip("/").rsplit("/", 1)[0]
        for i in ids:
            d, h, b = own_partition(want[i])
            if path != f"event_date={d}/event_hour={h:02d}/bucket={b}":
                problems.append(f"{key}: row {i} belongs to {d}/{h:02d}/{b}")
                break
    check(f"{label}: {len(keys)} files, each named after its partition and first/last offsets, "
          "in its rows' path, within the row limit, with the schema", not problems, problems[:5])
    return keys, multi_group


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    rc.need_env("WEIR_S3_ENDPOINT", "WEIR_S3_ACCESS_KEY", "WEIR_S3_SECRET_KEY", "WEIR_S3_BUCKET")
    bucket = os.environ["WEIR_S3_BUCKET"]
    s3 = rc.s3fs()
    check = rc.Checks()
    root = rc.unique("weir-raw-lake").replace("_", "-")
    columns, want = rc.dump(binary, "actions", 0, ROWS)
    try:
        # A. One writer, small limits: rolls by rows (60), bytes (3 KiB) and
        # memory (256 KiB over all open files, largest first).
        a = f"{root}/a/user_actions"
        out = rc.tool(binary, "lake-write", a, 2, 0, ROWS, 60, 3072, 262144, 1)
        print(f"     writer A: {out.strip()}", flush=True)
        keys, multi = check_lake(check, "A", s3, bucket, a, columns, want, 2, 60)
        check("A: files rolled at many points (more files than paths), many with several row groups",
              len(keys) > 3 * 128 * 2 and multi > 300, f"{len(keys)} files, {multi} with row groups > 1")

        # B. The first owner checkpoints at 20000, writes on and dies.
        b = f"{root}/b/user_actions"
        rc.tool(binary, "lake-write", b, 5, 0, CHECKPOINT, 60, 3072, 262144, 1)
        before = rc.list_files(s3, bucket, b)
        rc.tool(binary, "lake-write", b, 5, CHECKPOINT, DIED_AT, 60, 3072, 262144, 0)
        after_crash = rc.list_files(s3, bucket, b)
        dead = [k for k in after_crash if int(rc.FILE_NAME.search(k).group(2)) >= CHECKPOINT]
        check("B: the dead owner left files that start after the checkpoint",
              len(dead) > 0 and set(after_crash) - set(dead) == set(before),
              f"{len(dead)} files after, {len(before)} before")
        # Without forget_after the new owner's rewrite would duplicate these rows.
        dead_rows = sum(pq.ParquetFile(s3.open_input_file(f"{bucket}/{k}")).metadata.num_rows
                        for k in dead)
        print(f"     the dead owner's {len(dead)} files hold {dead_rows} rows after the checkpoint",
              flush=True)
        out = rc.tool(binary, "lake-forget", b, 5, CHECKPOINT)
        check("B: forget_after(5, 20000) deletes exactly those files",
              out.strip() == f"deleted {len(dead)}" and rc.list_files(s3, bucket, b) == before, out)
        # The new owner: other limits, so other roll points.
        rc.tool(binary, "lake-write", b, 5, CHECKPOINT, ROWS, 97, 5000, 400000, 1)
        check_lake(check, "B after the crash", s3, bucket, b, columns, want, 5, 97)

        # A figure, not a check: the default limits, 200k rows (~1 day: 1536 paths).
        out = rc.tool(binary, "lake-bench", f"{root}/bench", 200_000)
        print("     " + out.strip().replace("\n", "\n     "), flush=True)
    except Exception as e:  # a tool or reader failing is a failed check, not a crash
        check("ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        rc.tool(binary, "delete-prefix", root + "/")
    return check.done()


if __name__ == "__main__":
    sys.exit(main())
