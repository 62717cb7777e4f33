#!/usr/bin/env python3
"""The scheduled export (exporter) against the real PostgreSQL and MinIO.

Usage: check_export.py PATH/TO/weir_raw_it   (WEIR_PG_URL, WEIR_S3_* from .run/env.sh)

Rows of the "all" schema (every type, NULLs, NaN, +-inf, -0.0, awkward
strings) go in through postgres_raw; files are read with pyarrow (from S3)
and duckdb (a local copy: duckdb's httpfs extension cannot be installed
offline), and rows with psql.

1. Run A exports rows 0..999: one file at <prefix>/2026-01-01/part-100500.parquet
   equal to the rows in key order; every row exported = true, export_run = A.
2. Rows 900..1599 are written (900..999 again: they stay exported).
3. Run B crashes after its claim, then rows 1600..1699 arrive, then B
   crashes after its upload (not marked). unfinished_runs() names B. B is run
   again: it claims nothing more, uploads the same object (same bytes: same
   rows, same name) and marks exactly its 600 rows. A's and B's files hold
   rows 0..1599, each once; rows 1600..1699 are not exported.
4. B again: nothing uploaded, the object and the table unchanged.
5. Run C exports rows 1600..1699; run D finds nothing: no file.
6. The lake: A, B and C, rows 0..1699 each once, equal to the input.
"""
import hashlib
import json
import os
import sys
import tempfile

import duckdb
import pyarrow.parquet as pq

import rawcheck as rc

A, B, C, D = ("2026-01-01T10:05:00Z", "2026-01-01T10:10:00Z", "2026-01-01T12:15:00+02:00",
              "2026-01-01T10:20:00Z")


def export(binary, table, prefix, run, step):
    return json.loads(rc.tool(binary, "export", table, "all", prefix, run, step))


def main():
    binary = rc.export_args(__doc__)
    bucket = os.environ["WEIR_S3_BUCKET"]
    s3 = rc.s3fs()
    check = rc.Checks()
    table = rc.unique("raw_check_export")
    root = rc.unique("weir-raw-export").replace("_", "-")
    prefix = f"{root}/raw"
    columns, want = rc.dump(binary, "all", 0, 1700)
    names = [c["name"] for c in columns]
    schema = rc.expected_schema(columns)

    def rows_between(lo, hi):
        return {k: v for k, v in want.items() if lo <= v[6] < hi}  # column n is the row number

    def read_pyarrow(key):
        f = pq.ParquetFile(s3.open_input_file(f"{bucket}/{key}"))
        t = f.read()
        return f.schema_arrow, t.column("event_id").to_pylist(), rc.arrow_rows(t, columns)

    def read_duckdb(key):
        with tempfile.TemporaryDirectory(prefix="weir-raw-export-") as tmp:
            local = os.path.join(tmp, "file.parquet")
            with s3.open_input_stream(f"{bucket}/{key}") as src, open(local, "wb") as dst:
                dst.write(src.read())
            got = duckdb.connect().execute(
                f"SELECT {rc.duckdb_select(columns)} FROM read_parquet({rc.quote(local)})").fetchall()
        return {r[0]: list(r) for r in got}, len(got)

    def digest(key):
        with s3.open_input_stream(f"{bucket}/{key}") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def check_file(label, key, lo, hi):
        expected = rows_between(lo, hi)
        arrow_schema, order, rows = read_pyarrow(key)
        check(f"{label}: pyarrow: schema is the columns' types and nullability",
              arrow_schema.equals(schema), arrow_schema)
        check(f"{label}: pyarrow: {len(expected)} rows, each once, in key order",
              len(order) == len(expected) == len(set(order)) and order == sorted(order),
              f"{len(order)} rows")
        diff = rc.first_difference(rows, expected, names)
        check(f"{label}: pyarrow: rows equal the input row for row", diff is None, diff)
        rows, n = read_duckdb(key)
        diff = rc.first_difference(rows, expected, names) if n == len(expected) else f"{n} rows"
        check(f"{label}: duckdb: rows equal the input row for row", diff is None, diff)

    def table_state():
        return rc.psql(f'SELECT coalesce(export_run, \'-\'), exported, count(*), min(n), max(n) '
                       f'FROM "{table}" GROUP BY 1, 2 ORDER BY 1, 2')

    try:
        out = rc.tool(binary, "pg-write", table, "all", 0, 1000, 250)
        check("1000 rows ingested", out.strip() == "inserted 1000", out)

        # 1. Run A.
        a = export(binary, table, prefix, A, "run")
        key_a = f"{prefix}/2026-01-01/part-100500.parquet"
        check("A: one file named after the run, 1000 rows",
              a == {"run": A, "key": key_a, "rows": 1000, "uploaded": True}, a)
        check_file("A", key_a, 0, 1000)
        state = table_state()
        check("A: psql: all 1000 rows exported by A", state == [f"{A}|t|1000|0|999"], state)

        # 2. More rows, some of them replays of exported ones.
        out = rc.tool(binary, "pg-write", table, "all", 900, 1600, 250)
        check("rows 900..1599 written: 600 new, the replayed 100 stay exported",
              out.strip() == "inserted 600" and table_state() == [
                  f"-|f|600|1000|1599", f"{A}|t|1000|0|999"], table_state())

        # 3. Run B crashes after its claim and after its upload.
        claimed = export(binary, table, prefix, B, "claim")
        check("B: the claim takes the 600 new rows", claimed == {"claimed": 600}, claimed)
        check("B: after a crash, unfinished_runs() names B",
              export(binary, table, prefix, A, "unfinished") == [B])
        out = rc.tool(binary, "pg-write", table, "all", 1600, 1700, 100)
        check("rows 1600..1699 arrive after B's claim", out.strip() == "inserted 100", out)
        up = export(binary, table, prefix, B, "upload")
        key_b = f"{prefix}/2026-01-01/part-101000.parquet"
        check("B: the upload writes the 600 claimed rows, not the later ones",
              up == {"run": B, "key": key_b, "rows": 600, "uploaded": True}, up)
        first_digest = digest(key_b)
        check("B: after a crash between upload and mark, B is still unfinished",
              export(binary, table, prefix, B, "unfinished") == [B])
        again = export(binary, table, prefix, B, "claim")
        check("B: re-running the claim claims nothing more", again == {"claimed": 0}, again)
        rerun = export(binary, table, prefix, B, "run")
        check("B: the re-run uploads the same 600 rows under the same name", rerun == up, rerun)
        check("B: the object is the same, byte for byte", digest(key_b) == first_digest)
        state = table_state()
        check("B: psql: exactly B's 600 rows marked; 1600..1699 untouched",
              state == [f"-|f|100|1600|1699", f"{A}|t|1000|0|999", f"{B}|t|600|1000|1599"], state)
        check("B: nothing unfinished any more",
              export(binary, table, prefix, B, "unfinished") == [])
        check_file("B", key_b, 1000, 1600)

        # 4. B once more: nothing changes.
        info = s3.get_file_info(f"{bucket}/{key_b}")
        once_more = export(binary, table, prefix, B, "run")
        check("B again: nothing uploaded", once_more == {"run": B, "key": key_b, "rows": 0,
                                                         "uploaded": False}, once_more)
        check("B again: object and table unchanged",
              s3.get_file_info(f"{bucket}/{key_b}").mtime == info.mtime
              and digest(key_b) == first_digest and table_state() == state)

        # 5. C takes the rest (its id has an offset: the name is in UTC); D finds nothing.
        c = export(binary, table, prefix, C, "run")
        key_c = f"{prefix}/2026-01-01/part-101500.parquet"
        check("C: the 100 later rows, named in UTC",
              c == {"run": "2026-01-01T10:15:00Z", "key": key_c, "rows": 100, "uploaded": True}, c)
        check_file("C", key_c, 1600, 1700)
        d = export(binary, table, prefix, D, "run")
        key_d = f"{prefix}/2026-01-01/part-102000.parquet"
        check("D: nothing to export, no file", d["rows"] == 0 and not d["uploaded"]
              and rc.list_files(s3, bucket, prefix) == sorted([key_a, key_b, key_c]), d)

        # 6. The whole lake: every row once.
        seen = []
        for key in rc.list_files(s3, bucket, prefix):
            seen += read_pyarrow(key)[1]
        check("lake: rows 0..1699 each exactly once across A, B and C",
              len(seen) == 1700 and set(seen) == set(want), f"{len(seen)} rows, {len(set(seen))} distinct")
        state = rc.psql(f'SELECT count(*) FILTER (WHERE exported), count(*) FROM "{table}"')
        check("psql: all 1700 rows exported", state == ["1700|1700"], state)
    except Exception as e:  # a tool or reader failing is a failed check, not a crash
        check("ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        rc.psql(f'DROP TABLE IF EXISTS "{table}"')
        rc.tool(binary, "delete-prefix", root + "/")
    return check.done()


if __name__ == "__main__":
    sys.exit(main())
