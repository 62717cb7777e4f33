"""Bad job specs submitted over the network are refused by the coordinator
with a non-zero exit and a message naming the file, line and field (in SQL:
line, column and a caret under the spot); nothing is started for them."""
import os

import harness as h

def expect_rejected(cluster, text, message, name="job.yaml"):
    path = h.write_spec(text, name)
    res = cluster.weir("submit", path)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    want = message.replace("PATH", path)
    assert want in res.stderr, f"expected {want!r} in {res.stderr!r}"


def main():
    h.load_env()
    topic = h.unique("e2e_errors")
    h.create_topic(topic, 2)
    good = h.job_spec(topic, topic, """
key: user
window:
  type: tumbling
  size: 1m
aggregations:
  - fn: count
""", time="field: ts")
    with h.Cluster("submit-errors") as cluster:
        cluster.coordinator()
        expect_rejected(cluster, good.replace("size: 1m", "size: 1 minute"),
                        "error: PATH:11: window.size: expected a duration like 500ms, 10s, 5m, "
                        "2h or 1d, got '1 minute'")
        expect_rejected(cluster, good.replace("key: user", "kee: user"),
                        "error: PATH:8: kee: unknown field 'kee' (did you mean 'key'?)")
        expect_rejected(cluster, good.replace("  - fn: count", "  - fn: median"),
                        "error: PATH:13: aggregations[0].fn: 'median' is not one of: count, sum, "
                        "min, max, avg")
        # Sessions of keys that may cross partitions would be cut and written wrong.
        expect_rejected(cluster, good.replace("  type: tumbling\n  size: 1m",
                                              "  type: session\n  gap: 30s"),
                        "error: PATH:10: window.type: session windows need all of a key's events "
                        "in one Kafka partition")
        expect_rejected(cluster, good.replace(f"topic: {topic}", "topic: no_such_topic_here"),
                        "kafka topic 'no_such_topic_here'")
        # The environment is expanded by the client, with the line of the gap.
        expect_rejected(cluster, good.replace(f"topic: {topic}", "topic: ${WEIR_NOT_SET_ANYWHERE}"),
                        "error: PATH:5: environment variable WEIR_NOT_SET_ANYWHERE is not set")
        status = cluster.weir("status", check=True).stdout
        assert "jobs: 0" in status, status
        # A good spec goes through; the same name twice does not.
        res = cluster.weir("submit", h.write_spec(good), check=True)
        assert res.stdout.strip() == topic
        expect_rejected(cluster, good, f"error: job '{topic}' is already running")
        assert cluster.weir("cancel", topic, check=True).returncode == 0
        assert "jobs: 0" in cluster.weir("status", check=True).stdout
        # SQL goes through the same door, refused with line, column and a caret.
        good_sql = f"""SET pipeline.name = '{topic}-sql';
CREATE TABLE ev (uid text, ts bigint)
  WITH (connector = 'kafka', brokers = '{os.environ['WEIR_KAFKA_BROKERS']}', topic = '{topic}',
        watermark_for = 'ts');
CREATE TABLE out () WITH (connector = 'postgres', url = '{os.environ['WEIR_PG_URL']}',
                          table = '{topic}_sql');
INSERT INTO out SELECT window_start, window_end, uid, count(*) AS n
FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, uid;
"""
        expect_rejected(cluster, good_sql.replace("count(*) AS n", "median(ts) AS n"),
                        "error: PATH:7:55: function 'median' is not supported; the aggregates "
                        "are count(*), sum(x)", "job.sql")
        expect_rejected(cluster, good_sql.replace("FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE)",
                                                  "FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE), u"),
                        "PATH:8:43: joins are not supported yet: a job reads one source table\n"
                        "  FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE), u GROUP BY", "job.sql")
        expect_rejected(cluster, good_sql.replace("TUMBLE(ev, ts, INTERVAL '1' MINUTE)",
                                                  "SESSION(ev, ts, INTERVAL '30' SECOND)"),
                        "PATH:8:6: window.type: session windows need all of a key's events in one "
                        "Kafka partition", "job.sql")
        expect_rejected(cluster, good_sql.replace("uid text", "uid text, ts2 bigint").replace(
            "watermark_for = 'ts'", "watermark_for = 'ts2'"),
                        "PATH:8:17: ev's watermark is on 'ts2', not 'ts'", "job.sql")
        res = cluster.weir("submit", h.write_spec(good_sql, "job.sql"), check=True)
        assert res.stdout.strip() == topic + "-sql", res.stdout
        assert f"{topic}-sql" in cluster.weir("list", check=True).stdout
        assert cluster.weir("cancel", topic + "-sql", check=True).returncode == 0
        # explain prints the model as YAML, which validates as the same job.
        explained = h.run([h.WEIR, "explain", h.write_spec(good_sql, "job.sql")]).stdout
        assert "type: tumbling" in explained and "size: 1m" in explained, explained
        res = h.run([h.WEIR, "validate", h.write_spec(explained)])
        assert f"(job {topic}-sql)" in res.stdout, res.stdout
        # Local validation gives the same message without a coordinator.
        res = h.run([h.WEIR, "validate", h.write_spec(good.replace("type: tumbling", "type: rolling"))],
                    check=False)
        assert res.returncode == 2 and "window.type: 'rolling' is not one of: tumbling" in res.stderr, res
    h.delete_topic(topic)
    h.drop_tables(*[t + s for t in (topic, topic + "_sql") for s in ("", "__partials", "__progress")])
    print("ok: bad specs refused with file, line and field")


if __name__ == "__main__":
    main()
