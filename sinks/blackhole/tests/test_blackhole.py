"""The blackhole sink on a cluster (coordinator, one worker, real Kafka): a
raw job (YAML, with a filter) and a windowed job (SQL) discard their rows,
and /metrics counts what they discarded. The raw job's count equals the
events its filter keeps, computed here from the events produced; the
windowed job emits one row per partition, minute and game of every window
the watermark closed (the partitions cover the same event time, the last
minute stays open), computed here as well."""
import json
import os
import re
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "e2e"))
import harness as h  # noqa: E402

PARTITIONS = 3
PER_PARTITION = 1000
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def event(p, i):
    n = i * PARTITIONS + p  # every partition spans the same event time
    return {"bet_id": f"b{n}", "game_id": n % 7, "amount": (n * 37) % 100,
            "ts": BASE_MS + n * 150}


def sink_rows(cluster, job):
    with urllib.request.urlopen(f"{cluster.http_url}/metrics", timeout=10) as r:
        text = r.read().decode()
    return sum(int(float(v)) for v in re.findall(
        rf'^weir_sink_rows_total{{job_id="{re.escape(job)}"[^}}]*}} (\S+)$', text, re.M))


def main():
    h.load_env()
    topic = h.unique("blackhole")
    h.create_topic(topic, PARTITIONS)
    events = {p: [event(p, i) for i in range(PER_PARTITION)] for p in range(PARTITIONS)}
    for p, evs in events.items():
        h.produce(topic, p, [(e["bet_id"], json.dumps(e)) for e in evs])
    every = [e for evs in events.values() for e in evs]
    kept = sum(1 for e in every if e["amount"] > 40)
    # The watermark: the least partition's newest event time, less the delay.
    watermark = min(max(e["ts"] for e in evs) for evs in events.values()) - 1000
    closed = {(p, (e["ts"] - BASE_MS) // 60_000, e["game_id"]) for p, evs in events.items()
              for e in evs if BASE_MS + ((e["ts"] - BASE_MS) // 60_000 + 1) * 60_000 <= watermark}
    raw_job, windowed_job = f"{topic}_raw", f"{topic}_windowed"
    raw = h.write_spec(f"""name: {raw_job}
source:
  type: kafka
  brokers: {os.environ['WEIR_KAFKA_BROKERS']}
  topic: {topic}
columns:
  - {{name: bet_id, type: string, nullable: false}}
  - {{name: amount, type: double}}
where:
  - field: amount
    gt: 40
sink:
  type: blackhole
""")
    windowed = h.write_spec(f"""SET pipeline.name = '{windowed_job}';
CREATE TABLE bets (bet_id text NOT NULL, game_id bigint, amount double precision, ts timestamp)
  WITH (connector = 'kafka', brokers = '{os.environ['WEIR_KAFKA_BROKERS']}', topic = '{topic}',
        watermark_for = 'ts', watermark_delay = '1 second');
CREATE TABLE hole () WITH (connector = 'blackhole');
INSERT INTO hole
SELECT window_start, game_id, count(*) AS bets, sum(amount) AS amount
FROM TUMBLE(bets, ts, INTERVAL '1 minute') GROUP BY window_start, window_end, game_id;
""", "job.sql")
    with h.Cluster("blackhole") as cluster:
        cluster.up("w1", http=True)
        cluster.weir("submit", raw, check=True)
        cluster.weir("submit", windowed, check=True)
        h.wait_until(lambda: sink_rows(cluster, raw_job) >= kept, 60,
                     f"the raw job's {kept} kept rows in weir_sink_rows_total")
        h.wait_until(lambda: sink_rows(cluster, windowed_job) >= len(closed), 60,
                     f"the windowed job's {len(closed)} rows of closed windows")
        assert sink_rows(cluster, raw_job) == kept, (sink_rows(cluster, raw_job), kept)
        assert sink_rows(cluster, windowed_job) == len(closed), \
            (sink_rows(cluster, windowed_job), len(closed))
        status = cluster.weir("status", check=True).stdout
        assert "FAILED" not in status, status
        print(f"ok: blackhole discarded {kept} of {len(every)} events (the filter kept them) and "
              f"{len(closed)} rows of closed windows (partition, minute, game), counted on /metrics")
    h.delete_topic(topic)


if __name__ == "__main__":
    main()
