#!/usr/bin/env python3
"""Checks weir's Parquet writer with readers it shares no code with.

Runs weir_parquet_sample (path in argv[1]) into a temporary directory (with
argv[2], the fuzz corpus tests/fuzz/corpus/parquet/: its cases instead), then
reads every .parquet file it wrote with pyarrow and with duckdb and compares
schema, rows and row-group statistics with the .jsonl written alongside
(first line: the columns, codec and row_group_rows; then one JSON array per
row). Exits 1 on any difference.
"""
import datetime
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ARROW_TYPES = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "timestamp_ms": pa.timestamp("ms", tz="UTC"),
    "timestamp_us": pa.timestamp("us", tz="UTC"),
}
DUCKDB_TYPES = {
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp_ms": "TIMESTAMP WITH TIME ZONE",
    "timestamp_us": "TIMESTAMP WITH TIME ZONE",
}
CODECS = {"uncompressed": "UNCOMPRESSED", "snappy": "SNAPPY", "zstd": "ZSTD"}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class Mismatch(Exception):
    pass


def same(a, b):
    """Equality that matches NaN with NaN, tells -0.0 from 0.0 and True from 1."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


def short(v):
    r = repr(v)
    return r if len(r) < 80 else r[:77] + "..."


def compare_rows(reader, got, want, names):
    if len(got) != len(want):
        raise Mismatch(f"{reader}: {len(got)} rows, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        for name, gv, wv in zip(names, g, w):
            if not same(gv, wv):
                raise Mismatch(f"{reader}: row {i} column {name}: got {short(gv)}, expected {short(wv)}")


def expected_stats(kind, values):
    """(null_count, min, max) of one row group's column; min/max None if no bounds."""
    nulls = sum(v is None for v in values)
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return nulls, None, None
    if kind == "string":
        key = lambda s: s.encode()  # STRING orders by unsigned bytes
        return nulls, min(vals, key=key), max(vals, key=key)
    lo, hi = min(vals), max(vals)
    if kind == "float64":
        # Zero bounds are written as -0.0 (min) and +0.0 (max).
        lo = -0.0 if lo == 0 else lo
        hi = 0.0 if hi == 0 else hi
    return nulls, lo, hi


UNITS = {"timestamp_ms": datetime.timedelta(milliseconds=1), "timestamp_us": datetime.timedelta(microseconds=1)}


def since_epoch(v, kind):
    """A timestamp as an integer in its column's unit."""
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // UNITS[kind]
    return v


def check_pyarrow(path, columns, codec, row_group_rows, rows):
    names = [c["name"] for c in columns]
    pf = pq.ParquetFile(path)
    want_schema = pa.schema(
        [pa.field(c["name"], ARROW_TYPES[c["type"]], nullable=c["nullable"]) for c in columns])
    if not pf.schema_arrow.equals(want_schema):
        raise Mismatch(f"pyarrow schema:\n{pf.schema_arrow}\nexpected:\n{want_schema}")
    # Field ids (Iceberg's) surface as field metadata; none without an id.
    for i, c in enumerate(columns):
        meta = pf.schema_arrow.field(i).metadata or {}
        got = meta.get(b"PARQUET:field_id")
        want = str(c["field_id"]).encode() if "field_id" in c else None
        if got != want:
            raise Mismatch(f"pyarrow: column {c['name']} field_id {got!r}, expected {want!r}")

    table = pq.read_table(path)
    cols = [
        table.column(c["name"]).cast(pa.int64()) if c["type"] in UNITS else table.column(c["name"])
        for c in columns
    ]
    got = list(zip(*[col.to_pylist() for col in cols])) if rows else []
    compare_rows("pyarrow", [list(r) for r in got], rows, names)

    md = pf.metadata
    if md.num_rows != len(rows):
        raise Mismatch(f"pyarrow: metadata num_rows {md.num_rows}, expected {len(rows)}")
    want_groups = math.ceil(len(rows) / row_group_rows)
    if md.num_row_groups != want_groups:
        raise Mismatch(f"pyarrow: {md.num_row_groups} row groups, expected {want_groups}")
    first = 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        want_n = min(row_group_rows, len(rows) - first)
        if rg.num_rows != want_n:
            raise Mismatch(f"pyarrow: row group {g} has {rg.num_rows} rows, expected {want_n}")
        for j, c in enumerate(columns):
            cc = rg.column(j)
            where = f"pyarrow: row group {g} column {c['name']}"
            if cc.compression != CODECS[codec]:
                raise Mismatch(f"{where}: compression {cc.compression}, expected {CODECS[codec]}")
            if cc.num_values != want_n:
                raise Mismatch(f"{where}: num_values {cc.num_values}, expected {want_n}")
            st = cc.statistics
            if st is None:
                raise Mismatch(f"{where}: no statistics")
            nulls, lo, hi = expected_stats(c["type"], [r[j] for r in rows[first:first + want_n]])
            if st.null_count != nulls:
                raise Mismatch(f"{where}: null_count {st.null_count}, expected {nulls}")
            if st.has_min_max != (lo is not None):
                raise Mismatch(f"{where}: has_min_max {st.has_min_max}, expected {lo is not None}")
            if lo is not None:
                for label, gv, wv in (("min", since_epoch(st.min, c["type"]), lo),
                                      ("max", since_epoch(st.max, c["type"]), hi)):
                    if not same(gv, wv):
                        raise Mismatch(f"{where}: {label} {short(gv)}, expected {short(wv)}")
        first += want_n


def quote(path):
    return "'" + str(path).replace("'", "''") + "'"


def check_duckdb(path, columns, row_group_rows, rows):
    names = [c["name"] for c in columns]
    con = duckdb.connect()
    src = f"read_parquet({quote(path)})"
    types = {name: t for name, t, *_ in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    for c in columns:
        if types.get(c["name"]) != DUCKDB_TYPES[c["type"]]:
            raise Mismatch(f"duckdb: column {c['name']} is {types.get(c['name'])}, "
                           f"expected {DUCKDB_TYPES[c['type']]}")

    epoch = {"timestamp_ms": "epoch_ms", "timestamp_us": "epoch_us"}
    select = ", ".join(
        f'{epoch[c["type"]]}("{n}")' if c["type"] in epoch else f'"{n}"' for n, c in zip(names, columns))
    got = con.execute(
        f"SELECT {select} FROM read_parquet({quote(path)}, file_row_number = true) "
        "ORDER BY file_row_number").fetchall()
    compare_rows("duckdb", [list(r) for r in got], rows, names)

    # DuckDB decodes the statistics on its own too; bounds are checked where
    # its text form is unambiguous (it also omits infinite double bounds).
    meta = con.execute(
        "SELECT row_group_id, column_id, num_values, stats_null_count, stats_min_value, stats_max_value "
        f"FROM parquet_metadata({quote(path)}) ORDER BY row_group_id, column_id").fetchall()
    if len(meta) != math.ceil(len(rows) / row_group_rows) * len(columns):
        raise Mismatch(f"duckdb: {len(meta)} column chunks in parquet_metadata")
    for g, j, num_values, null_count, lo_text, hi_text in meta:
        c = columns[j]
        where = f"duckdb: row group {g} column {c['name']}"
        first = g * row_group_rows
        values = [r[j] for r in rows[first:first + row_group_rows]]
        nulls, lo, hi = expected_stats(c["type"], values)
        if num_values != len(values) or null_count != nulls:
            raise Mismatch(f"{where}: num_values {num_values}, null_count {null_count}, "
                           f"expected {len(values)}, {nulls}")
        for label, text, want in (("min", lo_text, lo), ("max", hi_text, hi)):
            if c["type"] in ("int64", "string"):
                ok = (text is None and want is None) or (want is not None and text == str(want))
            elif c["type"] == "float64":
                ok = (text is None and (want is None or math.isinf(want))) or (
                    text is not None and want is not None and same(float(text), want))
            else:
                ok = (text is None) == (want is None)
            if not ok:
                raise Mismatch(f"{where}: {label} {short(text)}, expected {short(want)}")


# The dictionary case's chunks: which use dictionary pages (the writer falls
# back to PLAIN once a chunk's dictionary overflows, and keeps to PLAIN).
DICTIONARY_CHUNKS = {
    "run": [True, True, True], "small": [True, True, True], "half": [True, True, True],
    "late": [True, True, False], "t": [True, True, True],
}


def check_encodings(parquet):
    md = pq.ParquetFile(parquet).metadata
    for g in range(md.num_row_groups):
        for j in range(md.num_columns):
            cc = md.row_group(g).column(j)
            want = DICTIONARY_CHUNKS[cc.path_in_schema][g]
            if cc.has_dictionary_page != want or ("RLE_DICTIONARY" in cc.encodings) != want:
                raise Mismatch(f"pyarrow: row group {g} column {cc.path_in_schema}: dictionary "
                               f"page {cc.has_dictionary_page}, encodings {cc.encodings}")
    # "late" overflows in the second group: dictionary pages, then PLAIN ones.
    late = md.row_group(1).column(3)
    if "PLAIN" not in late.encodings:
        raise Mismatch(f"pyarrow: the overflowing chunk has encodings {late.encodings}")


def check_file(parquet):
    # "\n" only: splitlines() would also split inside strings holding U+0085 or U+2028.
    lines = parquet.with_suffix(".jsonl").read_text(encoding="utf-8").rstrip("\n").split("\n")
    head = json.loads(lines[0])
    rows = [json.loads(line) for line in lines[1:]]
    check_pyarrow(parquet, head["columns"], head["codec"], head["row_group_rows"], rows)
    check_duckdb(parquet, head["columns"], head["row_group_rows"], rows)
    if parquet.name.startswith("dictionary.") and ".concat." not in parquet.name:
        check_encodings(parquet)
    return len(rows)


def main():
    if len(sys.argv) not in (2, 3):
        print(f"usage: {sys.argv[0]} PATH/TO/weir_parquet_sample [FUZZ_CORPUS_DIR]", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="weir-parquet-") as tmp:
        run = subprocess.run([sys.argv[1], tmp, *sys.argv[2:]], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL: {sys.argv[1]} exited {run.returncode}: {run.stderr.strip()}")
            return 1
        files = sorted(pathlib.Path(tmp).glob("*.parquet"))
        if not files:
            print(f"FAIL: {sys.argv[1]} wrote no .parquet files")
            return 1
        passed = failed = 0
        for f in files:
            try:
                n = check_file(f)
                print(f"ok    {f.name} ({n} rows)")
                passed += 1
            except Mismatch as e:
                print(f"FAIL  {f.name}: {e}")
                failed += 1
            except Exception as e:  # a reader refusing the file is a failure too
                print(f"FAIL  {f.name}: {type(e).__name__}: {e}")
                failed += 1
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
