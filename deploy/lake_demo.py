"""Reads the demo's lake table (deploy/demo.sh) with tools nobody here wrote:
pyiceberg through the SQL catalog in PostgreSQL, then DuckDB's iceberg
extension straight from MinIO and, given the coordinator's Iceberg REST
catalog, attached to it. Waits until the table holds `rows` rows.

  lake_demo.py NAMESPACE.TABLE ROWS [REST_URI]      (.run/env.sh sourced)
"""
import os
import pathlib
import sys
import time

import duckdb
from pyiceberg.catalog.sql import SqlCatalog


def main():
    ns, name = sys.argv[1].split(".", 1)
    want = int(sys.argv[2])
    cat = SqlCatalog("weir", uri=os.environ["WEIR_PG_URL"].replace("postgresql:", "postgresql+psycopg2:", 1),
                     **{"s3.endpoint": os.environ["WEIR_S3_ENDPOINT"], "s3.region": "us-east-1",
                        "s3.access-key-id": os.environ["WEIR_S3_ACCESS_KEY"],
                        "s3.secret-access-key": os.environ["WEIR_S3_SECRET_KEY"]})
    deadline = time.time() + 120
    while True:
        try:
            t = cat.load_table((ns, name))
            snap = t.current_snapshot()
            if snap and int(snap.summary["total-records"]) >= want:
                break
        except Exception:  # not created yet
            pass
        if time.time() > deadline:
            sys.exit(f"the table {ns}.{name} does not hold {want} rows after 120 s")
        time.sleep(1)
    rows = t.scan(selected_fields=("event_hour", "event_id")).to_arrow()
    by_hour = rows.group_by("event_hour").aggregate([("event_id", "count")]).sort_by("event_hour")
    print(f"pyiceberg: {rows.num_rows} rows in {len(t.snapshots())} snapshot(s); per event_hour:")
    for h, n in zip(by_hour.column("event_hour").to_pylist(), by_hour.column("event_id_count").to_pylist()):
        print(f"  {h}: {n}")
    import duckdb_ext  # the duckdb-ext-* wheels
    con = duckdb.connect(config={"extension_directory": str(pathlib.Path(duckdb_ext.__path__[0]) / "extensions"),
                                 "autoinstall_known_extensions": False})
    for e in ("httpfs", "avro", "iceberg"):
        con.execute(f"LOAD {e}")
    con.execute(f"""CREATE SECRET (TYPE s3, KEY_ID '{os.environ["WEIR_S3_ACCESS_KEY"]}',
        SECRET '{os.environ["WEIR_S3_SECRET_KEY"]}', ENDPOINT '{os.environ["WEIR_S3_ENDPOINT"].split("://", 1)[1]}',
        URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')""")
    n, users = con.execute(f"SELECT count(*), count(DISTINCT user_id) FROM iceberg_scan('{t.metadata_location}')").fetchone()
    print(f"DuckDB iceberg_scan('{t.metadata_location}'): {n} rows, {users} users")
    if len(sys.argv) > 3:
        con.execute(f"ATTACH 'weir' AS lake (TYPE iceberg, ENDPOINT '{sys.argv[3]}', "
                    f"AUTHORIZATION_TYPE 'none', ACCESS_DELEGATION_MODE 'none')")
        n, = con.execute(f"SELECT count(*) FROM lake.{ns}.{name}").fetchone()
        print(f"DuckDB ATTACH '{sys.argv[3]}' (TYPE iceberg): SELECT count(*) FROM lake.{ns}.{name}"
              f" -> {n}")


if __name__ == "__main__":
    main()
