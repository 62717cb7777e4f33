"""The seeds' scheduled export as a weir job: bets flow into PostgreSQL
(bets-raw), and every 2 seconds the export job moves the rows not exported yet
to MinIO as raw/YYYY-MM-DD/part-HHMMSS.parquet and marks them. Every file is
read with pyarrow and with duckdb; together they hold every bet exactly once,
and every row ends up exported = true. Run once with the YAML specs and once
with their SQL twins, over the same generated bets: the files' rows are equal.

Then the same into an Iceberg table (bets-export-lake): pyiceberg reads every
bet exactly once, equal to the raw table, and the table has one snapshot per
run that had rows, naming the run, adding exactly the rows the run marked."""
import os
import subprocess
import tempfile
import time

import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq

import harness as h

SPECS = os.path.join(h.REPO, "jobs", "specs")
EVENTS = 12_000


def s3fs():
    return pafs.S3FileSystem(endpoint_override=os.environ["WEIR_S3_ENDPOINT"], scheme="http",
                             access_key=os.environ["WEIR_S3_ACCESS_KEY"],
                             secret_key=os.environ["WEIR_S3_SECRET_KEY"], region="us-east-1")


def export_all(lang, spec, topic, **env):
    """bets-raw and `spec` on a cluster, bets arriving over several export
    runs, until every bet is exported, then one more run (which must find
    nothing). Returns the raw table and what `weir list` shows."""
    prefix = topic + "_"
    table = prefix + "bets"
    os.environ.update(WEIR_BETS_TOPIC=topic, WEIR_TABLE_PREFIX=prefix, WEIR_JOB_PREFIX=prefix,
                      WEIR_EXPORT_EVERY="2s", **env)
    h.create_topic(topic, 3)

    def exported():
        exists = h.psql(f"SELECT to_regclass('\"{table}\"') IS NOT NULL")[0][0] == "t"
        return h.psql(f'SELECT count(*) FILTER (WHERE exported), count(*) FROM "{table}"')[0] \
            if exists else ["0", "0"]

    with h.Cluster(spec) as cluster:
        cluster.up("wa", "wb")
        cluster.weir("submit", os.path.join(SPECS, f"bets-raw.{lang}"), check=True)
        cluster.weir("submit", os.path.join(SPECS, f"{spec}.{lang}"), check=True)
        gen = subprocess.Popen([h.WEIR, "gen", "bets", "--topic", topic, "--count", str(EVENTS),
                                "--rate", "2000", "--seed", "5"], stderr=subprocess.DEVNULL)
        assert gen.wait(timeout=60) == 0
        h.wait_until(lambda: exported() == [str(EVENTS), str(EVENTS)], 60,
                     "every bet exported")
        time.sleep(2.5)  # one more run: it must find nothing and write nothing
        return table, cluster.weir("list", check=True).stdout


def run(lang):
    topic = h.unique(f"e2e_export_{lang}")
    lake = f"{topic}/raw"
    s3 = s3fs()
    bucket = os.environ["WEIR_S3_BUCKET"]

    def files():
        info = s3.get_file_info(pafs.FileSelector(f"{bucket}/{lake}", recursive=True,
                                                  allow_not_found=True))
        return sorted(i.path for i in info if i.path.endswith(".parquet"))

    table, status = export_all(lang, "bets-export", topic, WEIR_EXPORT_PREFIX=lake)
    paths = files()
    assert len(paths) >= 2, f"expected several runs' files, got {paths}"
    for p in paths:
        name = p.rsplit("/", 1)[1]
        day = p.rsplit("/", 2)[1]
        assert name.startswith("part-") and len(name) == len("part-HHMMSS.parquet"), p
        assert len(day) == 10 and day[4] == "-", p

    want = {r[0]: r for r in h.psql(
        f'SELECT bet_id, user_id, amount, (extract(epoch FROM placed_at) * 1000)::bigint '
        f'FROM "{table}"')}
    seen = []
    exported_rows = []
    local = tempfile.mkdtemp()
    for i, p in enumerate(paths):
        t = pq.read_table(p, filesystem=s3)
        assert str(t.schema.field("placed_at").type) == "timestamp[ms, tz=UTC]", t.schema
        assert str(t.schema.field("user_id").type) == "int64", t.schema
        rows = t.to_pylist()
        seen += [r["bet_id"] for r in rows]
        exported_rows += rows
        for r in rows:
            w = want[r["bet_id"]]
            assert (r["user_id"], abs(r["amount"] - float(w[2])) < 1e-9) == (int(w[1]), True), r
            assert ms_of(r["placed_at"]) == int(w[3]), r
        # duckdb reads a local copy (its S3 extension cannot be installed offline).
        copy = os.path.join(local, f"{i}.parquet")
        with s3.open_input_stream(p) as src, open(copy, "wb") as dst:
            dst.write(src.read())
        n, ids = duckdb.sql(f"SELECT count(*), count(DISTINCT bet_id) FROM '{copy}'").fetchone()
        assert n == ids == len(rows), (p, n, ids, len(rows))
    assert len(seen) == EVENTS and set(seen) == set(want), \
        f"{len(seen)} rows in files, {len(set(seen))} distinct, want {EVENTS}"
    assert f"(export of {table})" in status, status
    h.delete_topic(topic)
    h.drop_tables(table)
    for p in files():
        s3.delete_file(p)
    print(f"ok ({lang}): {EVENTS} bets in {len(paths)} Parquet files, each exactly once "
          f"(pyarrow, duckdb)")
    return sorted(exported_rows, key=lambda r: r["bet_id"])


def run_lake(lang):
    topic = h.unique(f"e2e_export_lake_{lang}")
    cat = h.iceberg_catalog()
    table, status = export_all(lang, "bets-export-lake", topic, WEIR_LAKE_PREFIX=f"{topic}/lake",
                               WEIR_LAKE_TABLE=f"weir.{topic}")
    assert f"iceberg weir.{topic}" in status, status

    t = cat.load_table(("weir", topic))
    runs = {r[0]: r[1] for r in h.psql(f'SELECT export_run, count(*) FROM "{table}" GROUP BY 1')}
    snaps = t.snapshots()
    assert len(snaps) >= 2, f"expected several runs, got {len(snaps)} snapshot(s)"
    got_runs = {s.summary["weir.export-run"]: s.summary["added-records"] for s in snaps}
    assert len(got_runs) == len(snaps) and got_runs == runs, \
        f"snapshots {got_runs}, runs that marked rows {runs}"
    assert all(s.summary.operation.value == "append" for s in snaps)
    want = {r[0]: r for r in h.psql(
        f'SELECT bet_id, user_id, amount, (extract(epoch FROM placed_at) * 1000)::bigint '
        f'FROM "{table}"')}
    rows = t.scan().to_arrow().to_pylist()
    ids = [r["bet_id"] for r in rows]
    assert len(ids) == len(set(ids)) == EVENTS and set(ids) == set(want), \
        f"{len(ids)} rows, {len(set(ids))} distinct, want {EVENTS}"
    for r in rows:
        w = want[r["bet_id"]]
        assert (r["user_id"], abs(r["amount"] - float(w[2])) < 1e-9, ms_of(r["placed_at"])) == \
            (int(w[1]), True, int(w[3])), r
        assert r["placed_date"] == r["placed_at"].strftime("%Y-%m-%d"), r
    h.delete_topic(topic)
    h.drop_tables(table)
    h.psql(f"DELETE FROM iceberg_tables WHERE table_name = '{topic}'")
    s3 = s3fs()
    s3.delete_dir(f"{os.environ['WEIR_S3_BUCKET']}/{topic}")
    print(f"ok ({lang}): {EVENTS} bets in {len(snaps)} Iceberg snapshots, one per run, "
          f"each bet exactly once (pyiceberg)")
    for r in rows:
        del r["placed_date"]
        r["placed_at"] = ms_of(r["placed_at"])
    return sorted(rows, key=lambda r: r["bet_id"])


def ms_of(ts):
    return int(ts.timestamp() * 1000)


def main():
    h.load_env()
    rows = {lang: run(lang) for lang, _ in h.LANGUAGES}
    assert rows["yaml"] == rows["sql"], "the SQL twins exported other rows than the YAML specs"
    print("ok: the SQL twins exported the same rows as the YAML specs")
    lake = {lang: run_lake(lang) for lang, _ in h.LANGUAGES}
    assert lake["yaml"] == lake["sql"], "the SQL twins exported other rows into the table"
    assert lake["yaml"] == [dict(r, placed_at=ms_of(r["placed_at"])) for r in rows["yaml"]], \
        "the table holds other rows than the files"
    print("ok: the Iceberg table holds the rows the files hold, in YAML and SQL")


if __name__ == "__main__":
    main()
