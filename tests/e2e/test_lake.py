"""Seed 004's raw path as an Apache Iceberg table: every user action into
the shipped user-actions-lake job's table (SQL catalog in PostgreSQL, files
on MinIO), written by two workers, one of which is killed (-9) mid-stream and
comes back, the other frozen until it is taken for dead, then woken. Read
back by readers nobody here wrote: pyiceberg (SqlCatalog on the same
PostgreSQL) must see every event exactly once, equal to the events kcat
reads from Kafka, each with its derived event_date, event_hour and
user_bucket; an earlier snapshot (time travel) holds a subset without
duplicates, as many rows as its summary says; a filter on event_hour prunes
files; DuckDB's iceberg extension reads the current metadata straight from
MinIO, and ATTACHes the coordinator's Iceberg REST catalog, through which
pyiceberg's RestCatalog loads the same table. Run once with the YAML spec and once with its SQL twin: the tables'
rows are equal."""
import datetime
import json
import os
import pathlib
import signal
import subprocess
import time

import duckdb
import pyarrow.parquet as pq

import harness as h

SPECS = os.path.join(h.REPO, "jobs", "specs")
EVENTS = 60_000


def duckdb_con():
    import duckdb_ext  # the duckdb-ext-* wheels
    ext = pathlib.Path(duckdb_ext.__path__[0]) / "extensions"
    con = duckdb.connect(config={"extension_directory": str(ext),
                                 "autoinstall_known_extensions": False})
    for e in ("httpfs", "avro", "iceberg"):
        con.execute(f"LOAD {e}")
    endpoint = os.environ["WEIR_S3_ENDPOINT"].split("://", 1)[1]
    con.execute(f"""CREATE SECRET (TYPE s3, KEY_ID '{os.environ["WEIR_S3_ACCESS_KEY"]}',
        SECRET '{os.environ["WEIR_S3_SECRET_KEY"]}', ENDPOINT '{endpoint}', URL_STYLE 'path',
        USE_SSL false, REGION 'us-east-1')""")
    return con


def duckdb_rows(metadata_location):
    return duckdb_con().execute(f"SELECT count(*), count(DISTINCT event_id) FROM "
                                f"iceberg_scan('{metadata_location}')").fetchone()


def check_rest_catalog(cluster, cat, table_name, want_rows):
    """The coordinator's Iceberg REST catalog (/iceberg, over the same SQL
    catalog): pyiceberg's RestCatalog loads the table the SqlCatalog does,
    and DuckDB ATTACHes the catalog and reads every row once."""
    from pyiceberg.catalog.rest import RestCatalog
    uri = cluster.http_url + "/iceberg"
    rest = RestCatalog("weir", uri=uri, **{"s3.access-key-id": os.environ["WEIR_S3_ACCESS_KEY"],
                                           "s3.secret-access-key": os.environ["WEIR_S3_SECRET_KEY"]})
    assert ("weir",) in rest.list_namespaces()
    assert table_name in rest.list_tables("weir"), table_name
    assert not rest.table_exists(("weir", "no_such_table"))
    via_rest, via_sql = rest.load_table(table_name), cat.load_table(table_name)
    assert via_rest.metadata_location == via_sql.metadata_location
    assert via_rest.current_snapshot().snapshot_id == via_sql.current_snapshot().snapshot_id
    con = duckdb_con()
    con.execute(f"ATTACH 'weir' AS lake (TYPE iceberg, ENDPOINT '{uri}', "
                f"AUTHORIZATION_TYPE 'none', ACCESS_DELEGATION_MODE 'none')")
    n, distinct = con.execute(f"SELECT count(*), count(DISTINCT event_id) "
                              f"FROM lake.weir.{table_name[1]}").fetchone()
    assert n == distinct == want_rows, (n, distinct, want_rows)


def run(lang):
    topic = h.unique(f"e2e_lake_{lang}")
    table_name = ("weir", topic)
    os.environ.update(WEIR_USER_ACTIONS_TOPIC=topic, WEIR_JOB_PREFIX=topic + "_",
                      WEIR_LAKE_PREFIX=f"{topic}/lake", WEIR_LAKE_TABLE=f"weir.{topic}",
                      WEIR_CATALOG_URL=os.environ["WEIR_PG_URL"],
                      WEIR_CHECKPOINT_URL=f"s3://{os.environ['WEIR_S3_BUCKET']}/{topic}/ckpt",
                      WEIR_CHECKPOINT_INTERVAL="2s")
    h.create_topic(topic, 6)
    cat = h.iceberg_catalog()

    def table_rows():
        try:
            t = cat.load_table(table_name)
        except Exception:  # not created yet
            return None, None
        return t, t.scan().to_arrow()

    with h.Cluster("lake") as cluster:
        cluster.up("wa", "wb", http=True)  # the coordinator serves the REST catalog too
        cluster.weir("submit", os.path.join(SPECS, f"user-actions-lake.{lang}"), check=True)
        # 60k actions, 250 ms apart in event time: about 4 hours, two-hour cells.
        gen = subprocess.Popen([h.WEIR, "gen", "user-actions", "--topic", topic, "--count",
                                str(EVENTS), "--rate", "6000", "--step", "250", "--seed", "4"],
                               stderr=subprocess.DEVNULL)
        time.sleep(4)
        cluster.kill("wa")  # mid-stream: its partitions resume on wb from checkpoints
        time.sleep(2)
        cluster.worker("wa")  # rejoins: partitions move back from a live owner
        time.sleep(3)
        # Frozen past the heartbeat timeout, wb is taken for dead and wa takes
        # its partitions; woken, wb may still write files and pending lists:
        # no commit takes them (their offsets are committed from wa's).
        cluster.procs["wb"].send_signal(signal.SIGSTOP)
        time.sleep(4)
        cluster.procs["wb"].send_signal(signal.SIGCONT)
        assert gen.wait(timeout=120) == 0

        def complete():
            _, rows = table_rows()
            return rows is not None and rows.num_rows >= EVENTS
        h.wait_until(complete, 120, f"{EVENTS} rows in the table, as pyiceberg reads it")
        t, rows = table_rows()

        # Rounds without new rows compact each partition's small files.
        def compacted():
            return any(s.summary.operation.value == "replace"
                       for s in cat.load_table(table_name).snapshots())
        h.wait_until(compacted, 60, "a compaction (a replace snapshot)")
        time.sleep(6)  # a few more rounds: nothing new may be committed
        t = cat.load_table(table_name)
        assert t.scan().to_arrow().num_rows == rows.num_rows, "rows committed twice"
        last_append = [s for s in t.snapshots() if s.summary.operation.value == "append"][-1]
        files_before = len(list(t.scan(snapshot_id=last_append.snapshot_id).plan_files()))
        check_rest_catalog(cluster, cat, table_name, rows.num_rows)

    events = {}
    out = h.run(["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic, "-e", "-q",
                 "-f", "%s\n"]).stdout
    for line in out.splitlines():
        e = json.loads(line)
        events[e["event_id"]] = e
    assert len(events) == EVENTS
    got = rows.to_pylist()
    ids = [r["event_id"] for r in got]
    assert len(ids) == len(set(ids)) == EVENTS, f"{len(ids)} rows, {len(set(ids))} distinct"
    for r in got:
        e = events[r["event_id"]]
        ts = datetime.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
        assert (r["user_id"], r["action_type"]) == (e["user_id"], e["action_type"]), r
        assert r["event_time"] == ts, (r["event_time"], ts)
        assert json.loads(r["metadata"]) == e["metadata"], r
        assert r["event_date"] == ts.strftime("%Y-%m-%d"), r
        assert r["event_hour"] == f"{ts.hour - ts.hour % 2:02d}", r
        assert r["user_bucket"] == e["user_id"] % 128, r

    # Time travel: every snapshot holds a subset, each event once, as many
    # rows as its summary says.
    # A compaction (replace) holds the rows of its parent.
    snaps = t.snapshots()
    ops = [s.summary.operation.value for s in snaps]
    assert set(ops) <= {"append", "replace"} and ops[0] == "append", ops
    replaces = [s for s in snaps if s.summary.operation.value == "replace"]
    for s in snaps[:: max(1, len(snaps) // 4)] + replaces:
        back = t.scan(snapshot_id=s.snapshot_id, selected_fields=("event_id",)).to_arrow()
        seen = back.column("event_id").to_pylist()
        assert len(seen) == len(set(seen)) == int(s.summary["total-records"]), s.summary
        assert set(seen) <= set(ids)
        assert s.summary["weir.commit-id"] and s.summary["weir.offsets"], s.summary
        if s in replaces:
            parent = t.scan(snapshot_id=s.parent_snapshot_id, selected_fields=("event_id",))
            assert set(parent.to_arrow().column("event_id").to_pylist()) == set(seen), \
                "a compaction changed the rows"
    # Pruning by statistics and partitions: one 2-hour cell reads fewer files.
    all_files = len(list(t.scan().plan_files()))
    hour = got[0]["event_hour"]
    pruned = len(list(t.scan(row_filter=f"event_hour == '{hour}'").plan_files()))
    assert 0 < pruned < all_files, (pruned, all_files)
    # A data file as the sink wrote it is sorted by (user_bucket, user_id).
    task = max(t.scan(snapshot_id=last_append.snapshot_id).plan_files(),
               key=lambda x: x.file.record_count)
    with t.io.new_input(task.file.file_path).open() as f:
        ft = pq.read_table(f)
    keys = list(zip(ft.column("user_bucket").to_pylist(), ft.column("user_id").to_pylist()))
    assert len(keys) > 1 and keys == sorted(keys), "a data file is not sorted by its sort order"
    n, distinct = duckdb_rows(t.metadata_location)
    assert n == distinct == EVENTS, (n, distinct)
    h.delete_topic(topic)
    assert all_files < files_before, (all_files, files_before)
    print(f"ok ({lang}): {EVENTS} actions exactly once in {all_files} data files "
          f"({files_before} before compaction), "
          f"{len(snaps)} snapshots, across a kill -9 and a freeze (pyiceberg, DuckDB, both "
          f"also through the REST catalog); "
          f"event_hour={hour} reads {pruned} file(s)")
    return sorted(({k: str(v) for k, v in r.items()} for r in got), key=lambda r: r["event_id"])


def main():
    h.load_env()
    rows = {lang: run(lang) for lang, _ in h.LANGUAGES}
    assert rows["yaml"] == rows["sql"], "the SQL twin's table holds other rows than the YAML job's"
    print("ok: the SQL twin's table holds the same rows as the YAML job's")


if __name__ == "__main__":
    main()
