"""The MariaDB sink against the real MariaDB of deploy/services.sh, read back
with the mariadb client only.

Seed 002's product rating per day (jobs/specs/shop-product-ratings) and
average check per day (jobs/specs/shop-average-check), YAML and SQL twins,
over `weir gen shop` events on 6 partitions: registrations and orders keyed
by user, reviews keyed by product. Ratings are per product, so in one
partition (source.partitioned_by); a day's orders are in every partition,
so their partials wait in PostgreSQL (sink.partials_url) and the merged
rows go to MariaDB. A worker is killed with SIGKILL while rows are being
written and started again, so rows are written twice. Then each table holds
exactly the rows of a reference computed in Python from the events read
back with kcat, once each, and __progress every partition's end offset."""
import decimal
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "e2e"))
import harness as h  # noqa: E402
import reference as ref  # noqa: E402

SPECS = os.path.join(h.REPO, "jobs", "specs")
PARTITIONS = 6
EVENTS = 60_000
OOO = 10_000
DAY = 86_400_000


def table_rows(table):
    got = {}
    for start, product, *vals in h.mariadb(
            f"SELECT UNIX_TIMESTAMP(window_start) * 1000, product_id, reviews, avg_rating, "
            f"min_rating FROM {table}"):
        k = (int(float(start)), (product,))
        assert k not in got, f"{table}: {k} twice"
        got[k] = {c: None if v == "NULL" else float(v)
                  for c, v in zip(["reviews", "avg_rating", "min_rating"], vals)}
    return got


def check_rows(table):
    got = {}
    for start, *vals in h.mariadb(
            f"SELECT UNIX_TIMESTAMP(window_start) * 1000, orders, revenue, average_check "
            f"FROM {table}"):
        k = (int(float(start)), ())
        assert k not in got, f"{table}: {k} twice"
        got[k] = {c: decimal.Decimal(v) for c, v in zip(["orders", "revenue", "average_check"], vals)}
    return got


def main():
    h.load_env()
    topic = h.unique("e2e_shop")
    prefix = topic + "_"
    os.environ.update(WEIR_SHOP_TOPIC=topic)
    # 60k events 7.2 s apart: 5 days, 4 of them closed by the markers.
    h.run([h.WEIR, "gen", "shop", "--topic", topic, "--partitions", str(PARTITIONS),
           "--count", str(EVENTS), "--step", "7200", "--disorder", "5000", "--seed", "29"])
    for p in range(PARTITIONS):
        marker = {"event_type": "product_review", "product_id": 999_999, "user_id": 1,
                  "rating": 5, "timestamp": "2026-01-09T00:00:00.000Z"}
        order = {"event_type": "order_placed", "order_id": f"marker{p}", "user_id": 1,
                 "items": 1, "total": 1.0, "timestamp": "2026-01-09T00:00:00.000Z"}
        h.produce(topic, p, [("999999", json.dumps(marker)), ("1", json.dumps(order))])
    events = ref.read_topic(topic)
    ends = {}
    for p, o, _ in events:
        ends[p] = max(ends.get(p, 0), o + 1)
    reviews = [e for e in events if e[2]["event_type"] == "product_review"]
    want = ref.aggregate_final_per_partition(
        reviews, time_field="timestamp", key=["product_id"], size_ms=DAY, ooo_ms=OOO,
        aggs=[("count", None, "reviews"), ("avg", "rating", "avg_rating"),
              ("min", "rating", "min_rating")])
    assert len({s for s, _ in want}) >= 4, sorted({s for s, _ in want})
    orders = [e for e in events if e[2]["event_type"] == "order_placed"]
    want_checks = ref.aggregate(
        orders, time_field="timestamp", key=[], size_ms=DAY, ooo_ms=OOO,
        aggs=[("count", None, "orders"), ("sum", "total", "revenue"),
              ("avg", "total", "average_check")], decimals={"total": 2})
    # Filtered events move no watermark: the orders' own close the days.
    orders_closed = ref.job_watermark(orders, "timestamp", OOO)
    assert len(want_checks) >= 4, sorted(want_checks)

    with h.Cluster("mysql") as cluster:
        cluster.up("wa", "wb")
        h.submit_twins(cluster, SPECS, ["shop-product-ratings", "shop-average-check"], prefix)
        t = prefix + "product_rating_daily"

        def count(table):
            exists = h.mariadb(f"SELECT count(*) FROM information_schema.TABLES WHERE "
                             f"TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'")[0][0]
            return int(h.mariadb(f"SELECT count(*) FROM {table}")[0][0]) if exists == "1" else 0
        h.wait_until(lambda: count(t) > 0, 60, f"rows in {t}")
        cluster.kill("wa")
        cluster.worker("wa")
        for _, extra in h.LANGUAGES:
            def done(table=prefix + extra + "product_rating_daily"):
                if not count(table + "__progress"):
                    return False
                have = {int(p): int(o) for p, o in h.mariadb(
                    f"SELECT source_partition, next_offset FROM {table}__progress")}
                return all(have.get(p, -1) >= o for p, o in ends.items())
            h.wait_until(done, 180, f"{prefix + extra}product_rating_daily at the end offsets")
            h.wait_until(lambda t=prefix + extra + "average_check_daily":
                         (h.materialized(t) or -1) >= orders_closed, 180,
                         f"{prefix + extra}average_check_daily merged up to {orders_closed}")
        got = table_rows(t)
        ref.compare(got, want)
        h.assert_twin_rows(got, table_rows(prefix + "sql_product_rating_daily"), "product_rating_daily")
        print(f"ok: product_rating_daily: {len(want)} rows equal the reference, once each, "
              "in YAML and SQL, through a worker kill")
        got = check_rows(prefix + "average_check_daily")
        ref.compare(got, want_checks)
        h.assert_twin_rows(got, check_rows(prefix + "sql_average_check_daily"), "average_check_daily")
        print(f"ok: average_check_daily: {len(want_checks)} rows (merged across partitions) equal "
              "the reference, once each, in YAML and SQL, through a worker kill")
    for _, extra in h.LANGUAGES:
        h.mariadb(f"DROP TABLE IF EXISTS {prefix}{extra}product_rating_daily, "
                  f"{prefix}{extra}product_rating_daily__progress, {prefix}{extra}average_check_daily")
        h.drop_tables(*[f"{prefix}{extra}average_check_daily{s}" for s in ("__partials", "__progress")])
    h.delete_topic(topic)


if __name__ == "__main__":
    main()
