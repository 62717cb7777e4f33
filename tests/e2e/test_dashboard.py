"""The dashboard in a real browser: Debian's chromium, driven by playwright
(PyPI) as the system browser. A job runs while events stream in; the job
page shows non-zero throughput and per-partition lag. Once the stream stops,
the numbers the page shows equal the REST API's and the PostgreSQL progress
table's. Then the operator enters the token and drains a worker from the
page, and the page shows its partitions moving to the other worker.
Screenshots go to $WEIR_ARTIFACT_DIR (default build/artifacts/dashboard)."""
import json
import os
import threading
import time

from playwright.sync_api import sync_playwright

import harness as h

PARTITIONS = 4
T0 = 1_767_225_600_000
ARTIFACTS = os.environ.get("WEIR_ARTIFACT_DIR", os.path.join(h.REPO, "build", "artifacts", "dashboard"))
# As the machine's probe ran it: no background traffic to hosts this network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def page_number(page, selector):
    text = page.locator(selector).inner_text().replace(",", "").strip()
    return None if text in ("", "–") else float(text)


def page_partitions(page):
    out = {}
    for row in page.locator('[data-testid="partition"]').all():
        p = int(row.get_attribute("data-partition"))
        cells = {k: row.locator(f'[data-testid="{k}"]').inner_text().replace(",", "")
                 for k in ("next-offset", "lag", "events", "dead-lettered")}
        out[p] = cells
    return out


class Stream(threading.Thread):
    """Events at a steady pace on every partition until stopped."""

    def __init__(self, topic):
        super().__init__(daemon=True)
        self.topic, self.sent, self.stop = topic, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            for p in range(PARTITIONS):
                h.produce(self.topic, p, [(f"u{i % 13}", json.dumps(
                    {"user": f"u{i % 13}", "ts": T0 + (self.sent + i) * 20})) for i in range(200)])
            self.sent += 200
            time.sleep(0.3)


def main():
    h.load_env()
    os.makedirs(ARTIFACTS, exist_ok=True)
    topic = h.unique("e2e_dash")
    h.create_topic(topic, PARTITIONS)
    h.use_cluster_secret()
    ckpt = h.write_spec("", "x").rsplit("/", 1)[0]
    spec = h.job_spec(topic, topic, h.EVENTS_PER_USER_MINUTE,
                      extra=f"checkpoints:\n  url: file://{ckpt}\n  interval: 1s\n")
    for p in range(PARTITIONS):  # a malformed event, so dead letters show
        h.produce(topic, p, [("bad", "{oops")] if p == 2 else [])
    with h.Cluster("dashboard") as cluster, sync_playwright() as pw:
        cluster.up("wa", "wb", http=True)
        token = h.run([h.WEIR, "token"]).stdout.strip()
        assert cluster.weir("submit", h.write_spec(spec), check=True).stdout.strip() == topic
        stream = Stream(topic)
        stream.start()
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{cluster.http_url}/#/jobs/{topic}")
        page.wait_for_selector('[data-testid="partition"]', timeout=30_000)

        def live():
            rate = page_number(page, '[data-testid="total-rate"]')
            return rate is not None and rate > 0 and \
                len(page.locator('[data-testid="partition"]').all()) == PARTITIONS
        h.wait_until(live, 60, "the job page to show a non-zero rate")
        # Charts draw the history the coordinator samples every 5 s.
        h.wait_until(lambda: len(cluster.api(f"/api/v1/jobs/{topic}")["history"]) >= 3, 30,
                     "three samples of history")
        time.sleep(2.5)
        page.screenshot(path=os.path.join(ARTIFACTS, "job-live.png"), full_page=True)
        shown = page_partitions(page)
        assert all(cells["lag"] != "–" for cells in shown.values()), shown
        assert page.locator(".u-wrap").count() == 3, "three charts"

        stream.stop.set()
        stream.join()
        events = stream.sent * PARTITIONS
        h.wait_until(lambda: cluster.api(f"/api/v1/jobs/{topic}")["totals"]["events"] == events
                     and cluster.api(f"/api/v1/jobs/{topic}")["totals"]["lag"] == 0, 60,
                     f"all {events} events read")
        job = cluster.api(f"/api/v1/jobs/{topic}")
        rows = h.psql(f'SELECT source_partition, next_offset, events FROM "{topic}__progress" '
                      "WHERE source_partition >= 0 ORDER BY 1")
        want = {int(p): (int(n), int(e)) for p, n, e in rows}

        def page_equals():
            shown = page_partitions(page)
            return len(shown) == PARTITIONS and all(
                int(shown[p]["next-offset"]) == want[p][0] == job["partitions"][p]["next_offset"]
                and int(shown[p]["events"]) == want[p][1] == job["partitions"][p]["events"]
                and shown[p]["lag"] == "0"
                and int(shown[p]["dead-lettered"]) == job["partitions"][p]["dead_lettered"]
                for p in range(PARTITIONS))
        h.wait_until(page_equals, 30, "the page to show the API's and PostgreSQL's numbers")
        assert page_number(page, '[data-testid="total-events"]') == events
        assert page_number(page, '[data-testid="total-dead-lettered"]') == 1
        page.screenshot(path=os.path.join(ARTIFACTS, "job-settled.png"), full_page=True)

        # Drain wb from the overview: refused without the token, done with it.
        page.goto(f"{cluster.http_url}/#/")
        page.wait_for_selector('[data-testid="worker"][data-name="wb"]')
        page.locator('[data-testid="worker"][data-name="wb"] [data-testid="drain"]').click()
        h.wait_until(lambda: "401" in page.locator("#flash").inner_text()
                     or "secret" in page.locator("#flash").inner_text(), 10, "the refusal shown")
        assert [w["state"] for w in cluster.api("/api/v1/workers")["workers"]] == ["active"] * 2
        page.fill("#token", token)
        page.dispatch_event("#token", "change")
        page.locator('[data-testid="worker"][data-name="wb"] [data-testid="drain"]').click()

        def moved():
            workers = page.locator('[data-testid="worker"]').all()
            return len(workers) == 1 and workers[0].get_attribute("data-name") == "wa" and \
                workers[0].locator('[data-testid="worker-partitions"]').inner_text() == str(PARTITIONS)
        h.wait_until(moved, 60, "the page to show wb drained and every partition on wa")
        page.screenshot(path=os.path.join(ARTIFACTS, "drained.png"), full_page=True)
        owners = {p["owner"] for p in cluster.api(f"/api/v1/jobs/{topic}")["partitions"]}
        assert owners == {"wa"}, owners
        assert page.locator('[data-testid="event"][data-kind="drained"]').count() >= 1
        browser.close()
        print(f"ok: the dashboard showed {events} events as the API and PostgreSQL did, and "
              f"drained wb from the page; screenshots in {ARTIFACTS}")
    h.delete_topic(topic)
    h.drop_tables(topic, topic + "__partials", topic + "__progress")


if __name__ == "__main__":
    main()
