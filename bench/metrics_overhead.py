"""What the operator's window costs: the bets top-games job with metrics off
(worker --report-ms 0, no HTTP on the coordinator) and on (reports every
second, the coordinator serving HTTP, /metrics scraped every second as
Prometheus would and the job page's API polled every 2 s as the dashboard
does), alternating, on the same topic. Both must write identical results.
Prints events per CPU-second and per wall second for each run and the ratio
on/off of the medians; record them in docs/benchmarks.md.

Usage: deploy/bench.sh metrics [--events N] [--runs R]
"""
import argparse
import os
import statistics
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import run as bench  # noqa: E402
from run import h  # noqa: E402


def scrape(cluster, stop):
    """Prometheus (1 s) and the dashboard (2 s) while the job runs."""
    n = 0
    while not stop.wait(1):
        n += 1
        for path in ["/metrics"] + (["/api/v1/jobs", "/api/v1/workers"] if n % 2 else []):
            try:
                urllib.request.urlopen(cluster.http_url + path, timeout=5).read()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3, help="runs of each setting, alternating")
    args = ap.parse_args()
    h.load_env()
    prefix = h.unique("benchm") + "_"
    topic = prefix + "bets"
    print(f"filling {topic}: {args.events} bets over {args.partitions} partitions ...", flush=True)
    bench.fill(topic, args.events, args.partitions)
    results = {False: [], True: []}
    digests = set()
    for i in range(args.runs * 2):
        on = i % 2 == 1
        stop = threading.Event()
        threads = []

        def during(cluster):
            if on:
                t = threading.Thread(target=scrape, args=(cluster, stop), daemon=True)
                t.start()
                threads.append(t)

        def digest(table):
            digests.add(tuple(h.psql(
                f"""SELECT count(*), md5(string_agg(concat_ws(',', window_start, rank, game_id,
                                                              bets, total_amount), ';'
                                                    ORDER BY window_start, rank))
                    FROM "{table}" """)[0]))

        wall, steady_s, steady_events, cpu, rss = bench.run_job(
            topic, args.events, f"{prefix}{i}_", metrics=on, during=during, digest=digest)
        stop.set()
        for t in threads:
            t.join()
        results[on].append((args.events / cpu, steady_events / steady_s, rss))
        print(f"  run {i + 1}: metrics {'on ' if on else 'off'}: {args.events / cpu:12,.0f} events "
              f"per CPU-second, {steady_events / steady_s:12,.0f} events/s wall, peak RSS "
              f"{rss:.0f} MB", flush=True)
    h.delete_topic(topic)
    assert len(digests) == 1, f"runs wrote different results: {digests}"
    rows = next(iter(digests))[0]
    med = {on: (statistics.median(r[0] for r in results[on]),
                statistics.median(r[1] for r in results[on])) for on in results}
    print()
    print(f"every run wrote the same {rows} rows (count and md5 of bet_stats)")
    print(f"metrics off: median {med[False][0]:12,.0f} events per CPU-second, "
          f"{med[False][1]:12,.0f} events/s wall")
    print(f"metrics on : median {med[True][0]:12,.0f} events per CPU-second, "
          f"{med[True][1]:12,.0f} events/s wall")
    print(f"ratio on / off: {med[True][0] / med[False][0]:.3f} per CPU-second, "
          f"{med[True][1] / med[False][1]:.3f} wall (overhead "
          f"{100 * (1 - med[True][0] / med[False][0]):.1f}% of the worker's CPU)")


if __name__ == "__main__":
    main()
