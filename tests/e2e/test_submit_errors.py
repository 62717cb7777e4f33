"""Bad job specs submitted over the network are refused by the coordinator
with a non-zero exit and a message naming the file, line and field; nothing is
started for them."""
import os

import harness as h

def expect_rejected(cluster, text, message):
    path = h.write_spec(text)
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
        # Local validation gives the same message without a coordinator.
        res = h.run([h.WEIR, "validate", h.write_spec(good.replace("type: tumbling", "type: rolling"))],
                    check=False)
        assert res.returncode == 2 and "window.type: 'rolling' is not one of: tumbling" in res.stderr, res
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")
    print("ok: bad specs refused with file, line and field")


if __name__ == "__main__":
    main()
