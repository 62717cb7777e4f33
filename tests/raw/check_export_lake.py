#!/usr/bin/env python3
"""An export job into an Iceberg table, against the real PostgreSQL and MinIO.

Usage: check_export_lake.py PATH/TO/weir_raw_it   (WEIR_PG_URL, WEIR_S3_* from .run/env.sh)

Each run is `weir_raw_it export-job SPEC RUN`: what a worker does for one run
of the job (sinks/export/run.cpp). Rows of the "all" schema (every type,
NULLs, NaN, +-inf, awkward strings) go in through postgres_raw; the table is
read with pyiceberg (SqlCatalog on the same PostgreSQL), never weir's code.

Same database (sink.catalog == export.from.url: the marks commit with the
catalog swap):
1. Run A exports rows 0..999: one append snapshot naming A, rows equal to the
   input, each once; every row exported.
2. Rows 1000..1599 arrive; run B adds exactly them in a second snapshot.
3. Run C finds nothing: no snapshot.
4. Rows 1600..1799 arrive; run D dies at WEIR_FAILPOINT=export.before_list
   (its files uploaded, in no list yet: only its names object names them),
   then a second try of D dies at WEIR_FAILPOINT=lake.before_swap (after its
   files and metadata, before the swap): no snapshot of D, none of its rows
   exported. Run E finishes D first (a snapshot of D with exactly those
   rows; the files both of D's tries uploaded are deleted, as their list and
   names name them), then finds nothing itself: every row once in the table.
5. Rows 1800..1899 arrive; a trigger refuses `exported = true`. Run T fails
   at its marks, which are in the swap's transaction: the swap rolls back
   with them (no snapshot of T, no row marked) and T deletes its files.
   Without the trigger, run U finishes T: one snapshot of T.
Another database (the catalog URL differs: the marks follow the swap):
6. Rows 1900..1999 arrive; run F dies at WEIR_FAILPOINT=export.before_mark,
   after its snapshot is committed, before the marks. Run G finishes F: it
   finds F's snapshot by its summary and only marks; no second snapshot.
7. A run (H) a window (sink.orphan_age, 10 s) after the last run that found
   a failed try's list or names sweeps the table: the manifests, manifest
   lists and metadata files of D's and T's commits that never swapped are
   deleted, with a log line; every snapshot still reads.
8. The table as a whole: rows 0..1999 each exactly once, equal to the input;
   one snapshot per run that had rows (A, B, D, T, F).
"""
import os
import subprocess
import sys
import time


import rawcheck as rc

RUNS = dict(A="2026-01-01T10:05:00Z", B="2026-01-01T10:10:00Z", C="2026-01-01T10:15:00Z",
            D="2026-01-01T10:20:00Z", E="2026-01-01T10:25:00Z", F="2026-01-01T10:30:00Z",
            G="2026-01-01T10:35:00Z", T="2026-01-01T10:40:00Z", U="2026-01-01T10:45:00Z",
            H="2026-01-01T10:50:00Z")
ORPHAN_AGE = 10  # seconds: sink.orphan_age, the sweep's safety window

SPEC = """name: {name}
export:
  from: {{url: '{pg}', table: {table}, key: event_id}}
  columns:
    - {{name: event_id, type: string, nullable: false}}
    - {{name: i, type: int64}}
    - {{name: f, type: double}}
    - {{name: s, type: string}}
    - {{name: b, type: boolean}}
    - {{name: ts, type: timestamp}}
    - {{name: n, type: int64, nullable: false}}
    - {{name: t, type: timestamp, nullable: false}}
  every: 5m
sink:
  type: iceberg
  url: s3://{bucket}/{root}/lake
  catalog: '{catalog}'
  table: weir.{table}
  derive:
    - {{name: t_date, column: t, as: date}}
    - {{name: n_bucket, column: n, modulo: 4}}
  partitioned_by: [n_bucket]
  sort_by: [t_date, n]
  orphan_age: {orphan_age}s
"""


def main():
    binary = rc.export_args(__doc__)
    bucket = os.environ["WEIR_S3_BUCKET"]
    pg = os.environ["WEIR_PG_URL"]
    check = rc.Checks()
    table = rc.unique("raw_export_lake")
    root = rc.unique("weir-export-lake").replace("_", "-")
    columns, want = rc.dump(binary, "all", 0, 2000)
    s3 = rc.s3fs()
    names = [c["name"] for c in columns]
    cat = rc.iceberg_catalog()
    specs = {}
    for label, url in (("same", pg), ("other", pg + ("&" if "?" in pg else "?")
                                      + "application_name=weir_catalog")):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"{table}_{label}.yaml")
        with open(path, "w") as f:
            f.write(SPEC.format(name=table.replace("_", "-"), pg=pg, table=table, bucket=bucket,
                                root=root, catalog=url, orphan_age=ORPHAN_AGE))
        specs[label] = path

    def export(run, spec="same", failpoint=None):
        env = dict(os.environ)
        env.pop("WEIR_FAILPOINT", None)
        if failpoint:
            env["WEIR_FAILPOINT"] = failpoint
        p = subprocess.run([binary, "export-job", specs[spec], RUNS[run]], capture_output=True,
                           text=True, timeout=300, env=env)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def snapshots():
        t = cat.load_table(("weir", table))
        return t, t.snapshots()

    def rows_of(t, snapshot_id=None):
        """({event_id: row}, row count) as pyiceberg reads them; timestamps in epoch ms."""
        rows = t.scan(snapshot_id=snapshot_id, selected_fields=tuple(names)).to_arrow().to_pylist()
        got = {}
        for r in rows:
            got[r["event_id"]] = [(r[c["name"]] - rc.EPOCH) // rc.datetime.timedelta(milliseconds=1)
                                  if c["type"] == "timestamp_ms" and r[c["name"]] is not None
                                  else r[c["name"]] for c in columns]
        return got, len(rows)

    def expect_rows(label, got_n, lo, hi):
        got, n = got_n
        expected = {k: v for k, v in want.items() if lo <= v[6] < hi}  # column n is the row number
        check(f"{label}: {len(expected)} rows, each once", n == len(expected) == len(got),
              f"{n} rows, {len(got)} distinct")
        diff = rc.first_difference(got, expected, names)
        check(f"{label}: rows equal the input row for row", diff is None, diff)

    def exported():
        return rc.psql(f'SELECT coalesce(export_run, \'-\'), exported, count(*), min(n), max(n) '
                       f'FROM "{table}" GROUP BY 1, 2 ORDER BY 1, 2')

    def run_of(s):
        return s.summary["weir.export-run"]

    def unreachable_metadata(t):
        """Metadata objects no reader reaches: neither the current metadata
        file, its log, a snapshot's manifest list nor its manifests."""
        reached = {t.metadata_location} | {e.metadata_file for e in t.metadata.metadata_log}
        for snap in t.metadata.snapshots:
            reached.add(snap.manifest_list)
            reached.update(m.manifest_path for m in snap.manifests(t.io))
        keys = {p.removeprefix(f"s3://{bucket}/") for p in reached}
        return {k for k in rc.list_files(s3, bucket, f"{root}/lake/metadata")
                if k.endswith((".metadata.json", ".avro"))} - keys

    sweep_due = f"{root}/lake/weir/export/{table}/sweep-due"

    def unreferenced(t):
        """Data files on S3 that the current snapshot does not hold."""
        held = {task.file.file_path for task in t.scan().plan_files()}
        return {f"s3://{bucket}/{k}" for k in rc.list_files(s3, bucket, f"{root}/lake/data")} - held

    try:
        rc.tool(binary, "pg-write", table, "all", 0, 1000, 250)

        # 1. Run A: one snapshot.
        code, out, err = export("A")
        check("A: the run succeeds", code == 0, err)
        t, snaps = snapshots()
        check("A: one append snapshot, naming run A and the raw table",
              len(snaps) == 1 and snaps[0].summary.operation.value == "append"
              and run_of(snaps[0]) == RUNS["A"]
              and snaps[0].summary["weir.export-from"] == table,
              [s.summary for s in snaps])
        expect_rows("A: pyiceberg", rows_of(t), 0, 1000)
        check("A: psql: every row exported by A", exported() == [f"{RUNS['A']}|t|1000|0|999"],
              exported())

        # 2. Run B: exactly the new rows, in a second snapshot.
        rc.tool(binary, "pg-write", table, "all", 900, 1600, 250)
        code, out, err = export("B")
        t, snaps = snapshots()
        check("B: a second snapshot, of run B, adding 600 rows",
              code == 0 and len(snaps) == 2 and run_of(snaps[1]) == RUNS["B"]
              and snaps[1].summary["added-records"] == "600", (err, [s.summary for s in snaps]))
        expect_rows("B: pyiceberg, snapshot A (time travel)", rows_of(t, snaps[0].snapshot_id),
                    0, 1000)
        expect_rows("B: pyiceberg", rows_of(t), 0, 1600)

        # 3. Nothing new: no snapshot.
        code, out, err = export("C")
        t, snaps = snapshots()
        check("C: nothing to export, no snapshot", code == 0 and len(snaps) == 2, (out, err))

        # 4. D dies before the swap; E finishes it.
        rc.tool(binary, "pg-write", table, "all", 1600, 1800, 200)
        code, out, err = export("D", failpoint="export.before_list")
        check("D: killed before its list", code == -9, (code, out, err))
        t, snaps = snapshots()
        weir_objects = rc.list_files(s3, bucket, f"{root}/lake/weir")
        check("D: its files are uploaded, and only its names object names them",
              unreferenced(t) and not [k for k in weir_objects if k.endswith(".avro")]
              and len(weir_objects) == 1, (sorted(unreferenced(t)), weir_objects))
        code, out, err = export("D", failpoint="lake.before_swap")
        check("D: killed at lake.before_swap", code == -9, (code, out, err))
        t, snaps = snapshots()
        state = exported()
        check("D: no snapshot of D, none of its rows exported (claimed by D)",
              len(snaps) == 2 and f"{RUNS['D']}|f|200|1600|1799" in state
              and not any(r.startswith(f"{RUNS['D']}|t") for r in state), state)
        expect_rows("D: pyiceberg still", rows_of(t), 0, 1600)
        code, out, err = export("E")
        t, snaps = snapshots()
        check("E: finishes D first, then finds nothing of its own",
              code == 0 and f'"recovered": ["{RUNS["D"]}"]' in out
              and [run_of(s) for s in snaps] == [RUNS["A"], RUNS["B"], RUNS["D"]]
              and snaps[2].summary["added-records"] == "200", (out, err))
        expect_rows("E: pyiceberg", rows_of(t), 0, 1800)
        check("E: the data files D's crashed try uploaded are deleted", not unreferenced(t),
              sorted(unreferenced(t)))
        check("E: psql: D's rows exported by D",
              f"{RUNS['D']}|t|200|1600|1799" in exported(), exported())
        check("E: the metadata D's try killed before its swap wrote is in no snapshot, "
              "and a sweep is due", unreachable_metadata(t)
              and sweep_due in rc.list_files(s3, bucket, f"{root}/lake/weir"),
              (sorted(unreachable_metadata(t)), rc.list_files(s3, bucket, f"{root}/lake/weir")))

        # 5. The marks fail inside the swap's transaction: the swap rolls back.
        rc.tool(binary, "pg-write", table, "all", 1800, 1900, 100)
        rc.psql(f"""CREATE FUNCTION "{table}_refuse"() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                    CREATE TRIGGER refuse BEFORE UPDATE OF exported ON "{table}" FOR EACH ROW
                    WHEN (NEW.exported) EXECUTE FUNCTION "{table}_refuse"()""")
        code, out, err = export("T")
        t, snaps = snapshots()
        check("T: the run fails at its marks", code != 0 and "refused by the test" in err,
              (code, err))
        check("T: the swap rolled back with the marks: no snapshot of T, no row marked",
              len(snaps) == 3 and f"{RUNS['T']}|f|100|1800|1899" in exported(), exported())
        check("T: its files are deleted", not unreferenced(t), sorted(unreferenced(t)))
        rc.psql(f'DROP TRIGGER refuse ON "{table}"; DROP FUNCTION "{table}_refuse"()')
        code, out, err = export("U")
        t, snaps = snapshots()
        check("U: finishes T: one snapshot of T",
              code == 0 and [run_of(s) for s in snaps] == [RUNS[r] for r in "ABDT"]
              and f"{RUNS['T']}|t|100|1800|1899" in exported(), (out, err, exported()))
        failed_seen = time.time()  # U found T's list: the sweep is due a window later

        # 6. Another database: F dies after its snapshot, before the marks.
        rc.tool(binary, "pg-write", table, "all", 1900, 2000, 100)
        code, out, err = export("F", spec="other", failpoint="export.before_mark")
        t, snaps = snapshots()
        check("F: killed after its snapshot, before the marks",
              code == -9 and run_of(snaps[-1]) == RUNS["F"]
              and f"{RUNS['F']}|f|100|1900|1999" in exported(), (code, err, exported()))
        code, out, err = export("G", spec="other")
        t, snaps = snapshots()
        check("G: finishes F by marking only: no second snapshot of F",
              code == 0 and f'"recovered": ["{RUNS["F"]}"]' in out
              and [run_of(s) for s in snaps] == [RUNS[r] for r in "ABDTF"], (out, err))
        check("G: psql: F's rows exported by F", f"{RUNS['F']}|t|100|1900|1999" in exported(),
              exported())

        # 7. A run a window after the last failed try sweeps the table: the
        # metadata of D's and T's commits that never swapped is deleted.
        orphan_metadata = unreachable_metadata(t)
        check("G: the failed commits' metadata is still there, younger than the window",
              orphan_metadata, sorted(orphan_metadata))
        time.sleep(max(0.0, failed_seen + ORPHAN_AGE + 1 - time.time()))
        code, out, err = export("H")
        t, snaps = snapshots()
        check("H: sweeps the table: every orphan metadata file deleted, logged, no sweep due",
              code == 0 and not unreachable_metadata(t)
              and f"{len(orphan_metadata)} metadata file(s) of no snapshot deleted" in err
              and sweep_due not in rc.list_files(s3, bucket, f"{root}/lake/weir"),
              (code, err[-600:], sorted(unreachable_metadata(t))))
        check("H: nothing new, no snapshot; every snapshot still reads",
              len(snaps) == 5 and all(rows_of(t, s.snapshot_id)[1] == int(s.summary["total-records"])
                                  for s in snaps),
              [s.summary for s in snaps])

        # 8. The whole table.
        expect_rows("table", rows_of(t), 0, 2000)
        check("no data file outside the table, no try's list left", not unreferenced(t)
              and not rc.list_files(s3, bucket, f"{root}/lake/weir"),
              (sorted(unreferenced(t)), rc.list_files(s3, bucket, f"{root}/lake/weir")))
        total = rc.psql(f'SELECT count(*) FILTER (WHERE exported), count(*) FROM "{table}"')
        check("psql: all 2000 rows exported", total == ["2000|2000"], total)
    except Exception as e:  # a tool or reader failing is a failed check, not a crash
        check("ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        rc.psql(f'DROP TABLE IF EXISTS "{table}"; DROP FUNCTION IF EXISTS "{table}_refuse"()')
        rc.psql(f"DELETE FROM iceberg_tables WHERE table_name = '{table}'")
        rc.tool(binary, "delete-prefix", root + "/")
        for path in specs.values():
            os.remove(path)
    return check.done()


if __name__ == "__main__":
    sys.exit(main())
