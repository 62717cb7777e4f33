#!/usr/bin/env python3
"""Reads a table weir wrote (weir_iceberg_sample, path in argv[1]) with
readers that share no code with weir: pyiceberg, fastavro and DuckDB.

The sample writes a partitioned Iceberg v2 table into a temporary directory
(two appends, a replace compacting some partitions, an expiry of the two
appends) with expect.json beside it. Then:

- pyiceberg (StaticTable on every metadata file): the rows of every version
  and, by time travel, of every snapshot; the snapshot summaries and their
  ancestry; filters on the partition source columns (day, hour, bucket) and
  on a column only the statistics know plan fewer files and still return
  the right rows; every data file's partition tuple is what pyiceberg's own
  transforms make of its rows, its counts and bounds (decoded by pyiceberg)
  hold its rows, and pyarrow sees Iceberg's field ids in it.
- fastavro: every manifest and manifest list, every field of their schemas
  carrying an Iceberg field id, the key-value metadata the spec requires.
- DuckDB with its iceberg and avro extensions (duckdb 1.4.4 with the
  duckdb-ext-iceberg and duckdb-ext-avro wheels): iceberg_scan of every
  snapshot. Skipped, and said so, when those are not installed.
- expiry: the files weir calls unreachable are deleted, and pyiceberg still
  reads every row of the table from the metadata expiry wrote.

Exits 1 on any difference.
"""
import datetime
import json
import pathlib
import subprocess
import sys
import tempfile

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.conversions import from_bytes
from pyiceberg.expressions import And, EqualTo, GreaterThanOrEqual, LessThan
from pyiceberg.table import StaticTable

COLUMNS = ["event_id", "user_id", "action", "event_time", "score", "user_bucket"]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
DAY_US = 86_400_000_000


class Mismatch(Exception):
    pass


def expect(ok, what):
    if not ok:
        raise Mismatch(what)


def rows_of(arrow_table):
    """[[event_id, user_id, action, event_time_us, score, user_bucket]] by event_id."""
    cols = []
    for name in COLUMNS:
        col = arrow_table.column(name)
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        cols.append(col.to_pylist())
    return sorted([list(r) for r in zip(*cols)], key=lambda r: r[0])


def same_rows(label, got, want):
    expect(len(got) == len(want), f"{label}: {len(got)} rows, expected {len(want)}")
    for g, w in zip(got, want):
        expect(g == w, f"{label}: row {g} != {w}")


def table(path):
    return StaticTable.from_metadata("file://" + path)


def check_versions(exp):
    """Each metadata file's rows; each snapshot's rows by time travel."""
    snapshots = exp["snapshots"]
    expect(len(exp["metadata"]) == len(snapshots) + 1, "one metadata file per commit and the first")
    empty = table(exp["metadata"][0])
    expect(empty.current_snapshot() is None, "the first metadata file has no snapshot")
    expect(empty.scan().to_arrow().num_rows == 0, "the new table reads empty")
    for i, snap in enumerate(snapshots):
        t = table(snap["metadata"])
        cur = t.current_snapshot()
        expect(cur.snapshot_id == snap["id"], f"version {i + 1}: current snapshot {cur.snapshot_id}")
        same_rows(f"version {i + 1}", rows_of(t.scan().to_arrow()), snap["rows"])
        for earlier in snapshots[:i + 1]:
            same_rows(f"version {i + 1}, time travel to {earlier['id']}",
                      rows_of(t.scan(snapshot_id=earlier["id"]).to_arrow()), earlier["rows"])
        summary = cur.summary
        expect(summary.operation.value == snap["operation"], f"operation {summary.operation}")
        expect(summary["total-records"] == str(len(snap["rows"])), f"total-records {summary['total-records']}")
        expect(cur.sequence_number == i + 1, f"sequence number {cur.sequence_number}")
        parent = snapshots[i - 1]["id"] if i else None
        expect(cur.parent_snapshot_id == parent, f"parent {cur.parent_snapshot_id}, expected {parent}")
        if snap["operation"] == "append":
            expect(summary["weir.round"] == str(i + 1), f"weir.round {summary.get('weir.round')}")
        else:
            expect(int(summary["deleted-data-files"]) > int(summary["added-data-files"]) > 0,
                   "the replace removes more files than it adds")
        expect(len(t.metadata.metadata_log) == i + 1, f"metadata log of {len(t.metadata.metadata_log)}")
        expect(t.metadata.refs["main"].snapshot_id == snap["id"], "refs.main is the current snapshot")
    return len(snapshots)


def check_pruning(exp):
    """Filters plan fewer files and still read the right rows."""
    t = table(exp["metadata"][-1])
    rows = exp["snapshots"][-1]["rows"]
    all_files = len(list(t.scan().plan_files()))
    day1 = 20455 * DAY_US
    user = rows[0][1]
    cases = [
        ("event_time on day 2 (day transform)", GreaterThanOrEqual("event_time", day1),
         lambda r: r[3] >= day1),
        ("one hour (hour transform)",
         And(GreaterThanOrEqual("event_time", day1 + 3_600_000_000), LessThan("event_time", day1 + 7_200_000_000)),
         lambda r: day1 + 3_600_000_000 <= r[3] < day1 + 7_200_000_000),
        (f"user_id = {user} (bucket transform)", EqualTo("user_id", user), lambda r: r[1] == user),
        ("user_bucket = 5 (column bounds only)", EqualTo("user_bucket", 5), lambda r: r[5] == 5),
    ]
    for label, flt, keep in cases:
        planned = len(list(t.scan(row_filter=flt).plan_files()))
        expect(planned < all_files, f"{label}: {planned} of {all_files} files planned")
        same_rows(label, rows_of(t.scan(row_filter=flt).to_arrow()), [r for r in rows if keep(r)])
        print(f"ok    pyiceberg prunes by {label}: {planned} of {all_files} files")


def check_files(exp):
    """Every live data file: partition tuple, counts, bounds, field ids."""
    t = table(exp["metadata"][-1])
    schema, spec = t.schema(), t.spec()
    ids = {f.name: f.field_id for f in schema.fields}
    tasks = list(t.scan().plan_files())
    for task in tasks:
        f = task.file
        local = f.file_path.removeprefix("file://")
        pf = pq.ParquetFile(local)
        for i, name in enumerate(COLUMNS):
            meta = pf.schema_arrow.field(i).metadata or {}
            expect(meta.get(b"PARQUET:field_id") == str(ids[name]).encode(),
                   f"{local}: column {name} field id {meta.get(b'PARQUET:field_id')}")
        expect(pa.types.is_timestamp(pf.schema_arrow.field("event_time").type)
               and pf.schema_arrow.field("event_time").type.unit == "us", "event_time is in microseconds")
        data = pf.read()
        rows = rows_of(data)
        expect(f.record_count == len(rows), f"{local}: record_count {f.record_count}, rows {len(rows)}")
        expect(f.file_size_in_bytes == pathlib.Path(local).stat().st_size, f"{local}: file size")
        expect(f.sort_order_id == 1, f"{local}: sort order {f.sort_order_id}")
        expect(f.split_offsets and f.split_offsets[0] == 4, f"{local}: split offsets {f.split_offsets}")
        # The partition tuple is what pyiceberg's own transforms make of every row.
        for k, pfield in enumerate(spec.fields):
            source = schema.find_field(pfield.source_id)
            fn = pfield.transform.transform(source.field_type)
            col = COLUMNS.index(source.name)
            values = {fn(r[col]) for r in rows}
            got = f.partition[k]
            if hasattr(got, "toordinal"):  # a date: days since 1970
                got = (got - datetime.date(1970, 1, 1)).days
            expect(values == {got}, f"{local}: partition {pfield.name} {got}, rows give {values}")
        for i, name in enumerate(COLUMNS):
            fid = ids[name]
            ftype = schema.find_field(fid).field_type
            values = [r[i] for r in rows]
            present = [v for v in values if v is not None]
            expect(f.value_counts[fid] == len(values), f"{local}: {name} value count {f.value_counts[fid]}")
            expect(f.null_value_counts[fid] == len(values) - len(present), f"{local}: {name} null count")
            expect(f.column_sizes.get(fid, 0) > 0, f"{local}: {name} column size")
            lo = from_bytes(ftype, f.lower_bounds[fid])
            hi = from_bytes(ftype, f.upper_bounds[fid])
            if name == "action":
                # truncate(16): the lower bound a prefix of the minimum, the upper above the maximum.
                expect(min(present).startswith(lo) and len(lo) <= 16, f"{local}: {name} lower {lo!r}")
                expect(hi >= max(present)[:16] and len(hi) <= 16, f"{local}: {name} upper {hi!r}")
            else:
                expect((lo, hi) == (min(present), max(present)),
                       f"{local}: {name} bounds {lo}..{hi}, values {min(present)}..{max(present)}")
        if 5 in f.nan_value_counts:
            expect(f.nan_value_counts[5] == 0, f"{local}: NaN count")
    print(f"ok    pyiceberg: {len(tasks)} data files: partitions, counts, bounds, field ids")


def check_expiry(exp):
    """After expiry, with the files it called unreachable deleted, the
    table still reads every row; the expired snapshots are gone."""
    e = exp["expiry"]
    final = exp["snapshots"][-1]
    expect(e["expired"] == [s["id"] for s in exp["snapshots"][:-1]], f"expired {e['expired']}")
    kinds = [pathlib.Path(p).suffix for p in e["unreachable"]]
    expect(kinds.count(".parquet") > 0 and kinds.count(".avro") >= 4, f"unreachable files {e['unreachable']}")
    for path in e["unreachable"]:
        pathlib.Path(path).unlink()
    t = table(e["metadata"])
    expect([s.snapshot_id for s in t.snapshots()] == [final["id"]], "only the replace is left")
    expect([x.snapshot_id for x in t.metadata.snapshot_log] == [final["id"]], "the snapshot log")
    same_rows("after expiry", rows_of(t.scan().to_arrow()), final["rows"])
    live = {task.file.file_path.removeprefix("file://") for task in t.scan().plan_files()}
    expect(not live & set(e["unreachable"]), "a live file was called unreachable")
    print(f"ok    pyiceberg reads the table after expiry without the {len(e['unreachable'])} files it freed")


def every_field_has_id(schema, where):
    if isinstance(schema, list):
        for branch in schema:
            every_field_has_id(branch, where)
    elif isinstance(schema, dict):
        if schema.get("type") == "record":
            for field in schema["fields"]:
                expect("field-id" in field, f"{where}: field {field['name']} has no field-id")
                every_field_has_id(field["type"], f"{where}.{field['name']}")
        elif schema.get("type") == "array":
            if schema.get("logicalType") != "map":
                expect("element-id" in schema, f"{where}: array without element-id")
            every_field_has_id(schema["items"], where + "[]")


def check_avro(exp):
    metadata = pathlib.Path(exp["metadata"][-1]).parent
    lists = sorted(metadata.glob("snap-*.avro"))
    manifests = sorted(p for p in metadata.glob("*.avro") if not p.name.startswith("snap-"))
    expect(lists and manifests, "manifest lists and manifests exist")
    for path in lists + manifests:
        with open(path, "rb") as f:
            reader = fastavro.reader(f)
            every_field_has_id(json.loads(reader.metadata["avro.schema"]), path.name)
            records = list(reader)
            meta = reader.metadata
        expect(meta["avro.codec"] == "deflate", f"{path.name}: codec {meta['avro.codec']}")
        expect(meta.get("format-version") == "2", f"{path.name}: format-version")
        if path.name.startswith("snap-"):
            for key in ("snapshot-id", "parent-snapshot-id", "sequence-number"):
                expect(key in meta, f"{path.name}: no {key}")
            for r in records:
                expect(r["content"] == 0 and r["partitions"] is not None, f"{path.name}: {r}")
        else:
            for key in ("schema", "schema-id", "partition-spec", "partition-spec-id", "content"):
                expect(key in meta, f"{path.name}: no {key}")
            expect(json.loads(meta["schema"])["fields"][0]["id"] == 1, f"{path.name}: schema")
            expect(len(json.loads(meta["partition-spec"])) == 3, f"{path.name}: partition-spec")
            for r in records:
                expect(r["status"] in (0, 1, 2), f"{path.name}: status {r['status']}")
                expect(r["data_file"]["file_format"] == "PARQUET", f"{path.name}: format")
                if r["status"] != 1:
                    expect(r["sequence_number"] is not None and r["file_sequence_number"] is not None,
                           f"{path.name}: an EXISTING or DELETED entry without sequence numbers")
    print(f"ok    fastavro: {len(lists)} manifest lists, {len(manifests)} manifests, field ids everywhere")


def duckdb_connection():
    """DuckDB with the iceberg and avro extensions from their wheels, or a reason it cannot be."""
    try:
        import duckdb
        import duckdb_ext  # the duckdb-ext-* wheels' package
    except ImportError as e:
        return None, f"not installed ({e.name})"
    ext = pathlib.Path(duckdb_ext.__path__[0]) / "extensions"
    con = duckdb.connect(config={"extension_directory": str(ext), "autoinstall_known_extensions": False})
    try:
        con.execute("LOAD avro")
        con.execute("LOAD iceberg")
    except duckdb.Error as e:
        return None, f"duckdb {duckdb.__version__} cannot load its iceberg extension: {e}"
    return con, None


def check_duckdb(exp):
    con, why = duckdb_connection()
    if con is None:
        print(f"skip  duckdb: {why}")
        return
    last = exp["metadata"][-1].replace("'", "''")
    for snap in exp["snapshots"]:
        got = con.execute(
            "SELECT event_id, user_id, action, epoch_us(event_time), score, user_bucket "
            f"FROM iceberg_scan('{last}', snapshot_from_id = {snap['id']}) ORDER BY event_id").fetchall()
        same_rows(f"duckdb snapshot {snap['id']}", [list(r) for r in got], snap["rows"])
    ids = [r[0] for r in con.execute(f"SELECT snapshot_id FROM iceberg_snapshots('{last}') "
                                     "ORDER BY sequence_number").fetchall()]
    expect(ids == [s["id"] for s in exp["snapshots"]], f"duckdb snapshots {ids}")
    print(f"ok    duckdb {con.execute('PRAGMA version').fetchone()[0]} iceberg_scan reads every snapshot")


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH/TO/weir_iceberg_sample", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="weir-iceberg-") as tmp:
        run = subprocess.run([sys.argv[1], tmp], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL: {sys.argv[1]} exited {run.returncode}: {run.stderr.strip()}")
            return 1
        exp = json.loads((pathlib.Path(tmp) / "expect.json").read_text())
        failed = 0
        # Expiry deletes files the old versions need: it comes last.
        for check in (check_versions, check_pruning, check_files, check_avro, check_duckdb, check_expiry):
            try:
                n = check(exp)
                if check is check_versions:
                    print(f"ok    pyiceberg reads {n} snapshots, each version and by time travel")
            except Exception as e:  # a reader refusing the table is a failure too
                print(f"FAIL  {check.__name__}: {type(e).__name__}: {e}")
                failed += 1
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
