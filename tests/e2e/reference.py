"""An independent reference for weir's window results: reads the raw events
back from Kafka with kcat and aggregates them in plain Python, with the same
documented semantics (epoch-aligned windows, results for windows the job-wide
watermark has passed), but none of weir's code."""
import collections
import datetime
import decimal
import json
import math
import os
import subprocess


def read_topic(topic, malformed=None):
    """[(partition, offset, event dict)] for every message, via kcat. With a
    list `malformed`, payloads that are not JSON objects are skipped and their
    (partition, offset) appended to it; without, they raise."""
    out = subprocess.run(
        ["kcat", "-C", "-b", os.environ["WEIR_KAFKA_BROKERS"], "-t", topic, "-e", "-q",
         "-f", "%p\t%o\t%s\n"], capture_output=True, text=True, check=True).stdout
    events = []
    for line in out.splitlines():
        p, o, payload = line.split("\t", 2)
        try:
            event = json.loads(payload)
            if not isinstance(event, dict):
                raise ValueError("not an object")
        except ValueError:
            if malformed is None:
                raise
            malformed.append((int(p), int(o)))
            continue
        events.append((int(p), int(o), event))
    return events


def nexmark_bids(topic, malformed=None):
    """{(partition, offset): (auction, bidder, price, epoch ms)} of every bid
    of a `weir gen nexmark` topic (read_topic's `malformed` as there)."""
    return {(p, o): (e["bid"]["auction"], e["bid"]["bidder"], e["bid"]["price"],
                     millis(e["bid"]["dateTime"].replace(" ", "T") + "Z"))
            for p, o, e in read_topic(topic, malformed) if e["event_type"] == 2}


def millis(ts):
    if isinstance(ts, (int, float)):
        return int(ts)
    return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def job_watermark(events, time_field, ooo_ms):
    """Lowest per-partition watermark (max event time - out-of-orderness)."""
    max_ts = {}
    for p, _, e in events:
        max_ts[p] = max(max_ts.get(p, -math.inf), millis(e[time_field]))
    return min(max_ts.values()) - ooo_ms


def text(v):
    # weir keys and distinct values are the field's text as written in JSON.
    return v if isinstance(v, str) else json.dumps(v)


def as_decimal(x, scale):
    """A JSON number as decimal(p, scale): the text it was written as (the
    shortest repr of the double json.loads made of it), rounded half away
    from zero, as PostgreSQL rounds into numeric(p, s)."""
    return decimal.Decimal(repr(x)).quantize(decimal.Decimal(1).scaleb(-scale),
                                             rounding=decimal.ROUND_HALF_UP)


def aggregate(events, *, time_field, key, size_ms, slide_ms=None, aggs, ooo_ms, decimals=None):
    """{(window_start_ms, key tuple): {column: value}} for closed windows.
    aggs: [(fn, field, column)] with fn in count, sum, min, max, avg,
    count_distinct, approx_count_distinct (the last computed exactly).
    decimals: {field: scale} of fields the spec reads as decimal(p, scale):
    their sums, extremes and averages are exact decimal.Decimal values
    (averages at max(scale, 6) decimals)."""
    decimals = decimals or {}
    slide_ms = slide_ms or size_ms
    closed_until = job_watermark(events, time_field, ooo_ms)
    acc = collections.defaultdict(lambda: collections.defaultdict(list))
    for _, _, e in events:
        t = millis(e[time_field])
        k = tuple(text(e[f]) for f in key)
        start = t - t % slide_ms
        while start > t - size_ms:
            if start + size_ms <= closed_until:
                row = acc[(start, k)]
                for fn, field, col in aggs:
                    row[col].append(1 if fn == "count" else e.get(field))
            start -= slide_ms
    out = {}
    for wk, row in acc.items():
        vals = {}
        for fn, field, col in aggs:
            xs = row[col]
            nums = [x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)]
            scale = decimals.get(field)
            if scale is not None:
                nums = [as_decimal(x, scale) for x in nums]
            if fn == "count":
                vals[col] = len(xs)
            elif fn in ("count_distinct", "approx_count_distinct"):
                vals[col] = len({text(x) for x in xs if x is not None})
            elif fn == "sum":
                vals[col] = sum(nums) if nums else None
            elif fn == "min":
                vals[col] = min(nums) if nums else None
            elif fn == "max":
                vals[col] = max(nums) if nums else None
            elif fn == "avg" and scale is not None:
                vals[col] = (sum(nums) / len(nums)).quantize(
                    decimal.Decimal(1).scaleb(-max(scale, 6)), rounding=decimal.ROUND_HALF_UP) \
                    if nums else None
            elif fn == "avg":
                vals[col] = sum(nums) / len(nums) if nums else None
        out[wk] = vals
    return out


def aggregate_final_per_partition(events, **kw):
    """aggregate() with each partition's own watermark closing its windows: what
    a job with source.partitioned_by writes into a store that takes final rows
    (ClickHouse, MariaDB), where no partition waits for another."""
    out = {}
    for p in sorted({p for p, _, _ in events}):
        out.update(aggregate([e for e in events if e[0] == p], **kw))
    return out


def top(rows, n, by):
    """Keeps the n keys with the largest `by` per window (ties: key text), adding rank."""
    per_window = collections.defaultdict(list)
    for (start, k), vals in rows.items():
        per_window[start].append((k, vals))
    out = {}
    for start, items in per_window.items():
        items.sort(key=lambda kv: (-kv[1][by], kv[0]))
        for rank, (k, vals) in enumerate(items[:n], 1):
            out[(start, k)] = dict(vals, rank=rank)
    return out


def compare(got, want, approx=(), rel=1e-9, approx_rel=0.05):
    """Raises AssertionError naming the first differences."""
    problems = []
    for wk in sorted(set(got) | set(want)):
        if wk not in got:
            problems.append(f"missing {wk}: {want[wk]}")
        elif wk not in want:
            problems.append(f"unexpected {wk}: {got[wk]}")
        else:
            for col, w in want[wk].items():
                g = got[wk].get(col)
                tol = approx_rel if col in approx else rel
                if w is None or g is None:
                    ok = w is None and g is None
                elif isinstance(w, decimal.Decimal):  # exact: to the last decimal
                    ok = decimal.Decimal(str(g)) == w
                else:
                    ok = math.isclose(float(g), float(w), rel_tol=tol, abs_tol=1e-9)
                if not ok:
                    problems.append(f"{wk} {col}: got {g}, want {w}")
        if len(problems) >= 10:
            break
    assert not problems, "results differ from the reference:\n  " + "\n  ".join(problems)
