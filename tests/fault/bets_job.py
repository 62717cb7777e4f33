"""The job the fault tests run: bets per game in 10-second windows, with
checkpoints every second in MinIO, and the events that close its last windows."""
import json
import os

import harness as h

OOO = 2_000


def spec(topic, distinct_users=False, name=None):
    users = """
  - fn: count_distinct
    field: user_id
    as: users""" if distinct_users else ""
    return h.write_spec(h.job_spec(name or topic, topic, f"""
key: game_id
window:
  type: tumbling
  size: 10s
aggregations:
  - fn: count
    as: bets
  - fn: sum
    field: amount
    as: total{users}
""", time="field: timestamp\n    format: iso8601\n    max_out_of_orderness: 2s",
        extra=f"checkpoints:\n  url: s3://{os.environ['WEIR_S3_BUCKET']}/{topic}/checkpoints\n"
              f"  interval: 1s\n"))


def close_windows(topic, partitions):
    """One bet far later in every partition moves every watermark past the data."""
    for p in range(partitions):
        h.produce(topic, p, [("1", json.dumps({"bet_id": "end", "user_id": 1, "game_id": 1,
                                              "amount": 1.0,
                                              "timestamp": "2027-01-01T00:00:00.000Z"}))])
