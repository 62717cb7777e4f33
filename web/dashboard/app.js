// weir's dashboard: a page over the coordinator's REST API (/api/v1),
// refreshed every 2 s. Charts use uPlot, served by the coordinator itself.
"use strict";

const refreshMs = 2000;
const main = document.getElementById("main");
const tokenInput = document.getElementById("token");
tokenInput.value = localStorage.getItem("weir-token") || "";
tokenInput.addEventListener("change", () => localStorage.setItem("weir-token", tokenInput.value));

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (tokenInput.value) h["Authorization"] = "Bearer " + tokenInput.value;
  return h;
}

async function api(path, options) {
  const res = await fetch("/api/v1" + path, Object.assign({ headers: headers() }, options || {}));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error((body.error && body.error.message) || res.statusText), { body, status: res.status });
  return body;
}

const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const num = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 0 }));
const rate = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 1 }));
function age(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return ms + " ms";
  if (ms < 120000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 7200000) return (ms / 60000).toFixed(1) + " min";
  return (ms / 3600000).toFixed(1) + " h";
}
const time = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").replace("Z", "") : "–");
const mb = (b) => (b / 1048576).toFixed(0) + " MB";

// A worker's partitions, one line per job.
function partitionList(parts) {
  const byJob = {};
  parts.forEach((p) => (byJob[p.job] = byJob[p.job] || []).push(p.partition));
  return Object.keys(byJob).map((j) => `${esc(j)}: ${byJob[j].join(" ")}`).join("<br>");
}

function eventsTable(events) {
  if (!events.length) return "<p>none</p>";
  return "<table><tr><th>time</th><th>kind</th><th>job</th><th>worker</th><th>message</th><th class=n>duration</th></tr>" +
    events.map((e) => `<tr data-testid="event" data-kind="${esc(e.kind)}"><td>${time(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(e.job || "")}</td>` +
      `<td>${esc(e.worker || "")}</td><td>${esc(e.message)}</td><td class=n>${e.duration_ms === null ? "" : e.duration_ms + " ms"}</td></tr>`).join("") + "</table>";
}

async function drain(name) {
  try {
    await api("/workers/" + encodeURIComponent(name) + "/drain", { method: "POST" });
    flash("draining " + name);
  } catch (e) {
    flash("drain " + name + ": " + e.message, true);
  }
  refresh();
}

// The outcome of the last action, kept across refreshes (they redraw the page).
let flashed = { text: "", bad: false };
function flash(text, bad) {
  flashed = { text, bad };
  const el = document.getElementById("flash");
  if (el) { el.textContent = text; el.className = bad ? "bad" : "ok"; }
}

async function submitJob() {
  const text = document.getElementById("spec").value;
  const file = document.getElementById("spec-file").value || "dashboard";
  const out = document.getElementById("submit-result");
  try {
    const res = await fetch("/api/v1/jobs?file=" + encodeURIComponent(file), { method: "POST", headers: headers({ "Content-Type": "application/yaml" }), body: text });
    const body = await res.json();
    if (res.ok) { out.className = "ok"; out.textContent = "submitted: " + body.id; }
    else {
      const e = body.error || {};
      out.className = "error";
      out.textContent = (e.file ? `${e.file}:${e.line}${e.column ? ":" + e.column : ""}: ` : "") + (e.field ? e.field + ": " : "") + e.message;
    }
  } catch (e) { out.className = "error"; out.textContent = e.message; }
  refresh();
}

async function overview() {
  const [jobs, workers, events] = await Promise.all([api("/jobs"), api("/workers"), api("/events?limit=30")]);
  const w = workers.workers.map((x) => {
    const pct = x.cpu_percent;
    return `<tr data-testid="worker" data-name="${esc(x.name)}"><td>${esc(x.name)}</td><td>${esc(x.host)}</td>` +
      `<td class="state-${x.state}" data-testid="worker-state">${x.state}</td><td class=n data-testid="worker-partitions">${x.partitions.length}</td>` +
      `<td class="parts">${partitionList(x.partitions)}</td>` +
      `<td class=n>${pct === null ? "–" : pct.toFixed(0) + "%"}</td><td class=n>${mb(x.rss_bytes)}</td><td class=n>${age(x.last_heartbeat_age_ms)}</td>` +
      `<td><button data-testid="drain" onclick="drain('${esc(x.name)}')" ${x.state === "draining" ? "disabled" : ""}>drain</button></td></tr>`;
  }).join("");
  const j = jobs.jobs.map((x) => `<tr data-testid="job"><td><a href="#/jobs/${encodeURIComponent(x.id)}">${esc(x.id)}</a></td><td>${x.kind}</td>` +
    `<td class="state-${x.state}">${x.state}</td><td>${esc(x.topic)}</td><td>${esc(x.sink)}</td><td class=n>${x.partition_count}</td>` +
    `<td class=n>${rate(x.totals.records_per_second)}</td><td class=n>${num(x.totals.lag)}</td><td class=n>${num(x.totals.dead_lettered)}</td>` +
    `<td class=n>${x.last_checkpoint ? age(x.last_checkpoint.age_ms) : "–"}</td><td class=n>${x.restarts}</td></tr>`).join("");
  return `<section><h2>Workers (${workers.workers.length})</h2><table><tr><th>name</th><th>host</th><th>state</th><th class=n>partitions</th><th></th>` +
    `<th class=n>CPU</th><th class=n>RSS</th><th class=n>heartbeat</th><th></th></tr>${w}</table><p id="flash" class="${flashed.bad ? "bad" : "ok"}">${esc(flashed.text)}</p></section>` +
    `<section><h2>Jobs (${jobs.jobs.length})</h2><table><tr><th>job</th><th>kind</th><th>state</th><th>topic</th><th>sink</th><th class=n>partitions</th>` +
    `<th class=n>records/s</th><th class=n>lag</th><th class=n>dead-lettered</th><th class=n>last checkpoint</th><th class=n>restarts</th></tr>${j}</table></section>` +
    `<section><h2>Recent events</h2>${eventsTable(events.events)}</section>`;
}

function submitForm() {
  return `<section><h2>Submit a job</h2><p>YAML or SQL, as <code>weir submit</code> takes it (the token is needed when the cluster has a secret).</p>` +
    `<input id="spec-file" placeholder="file name for errors" value="dashboard.yaml"> <button data-testid="submit" onclick="submitJob()">submit</button>` +
    `<textarea id="spec" spellcheck="false"></textarea><pre id="submit-result"></pre></section>`;
}

const charts = {};
function chart(id, title, xs, ys, label) {
  const el = document.getElementById(id);
  const data = [xs, ys];
  if (charts[id] && charts[id].root.isConnected) { charts[id].setData(data); return; }
  el.innerHTML = `<h3>${title}</h3>`;
  charts[id] = new uPlot({ width: 420, height: 180, series: [{}, { label, stroke: "#1f6feb", width: 1.5 }], axes: [{}, { size: 80 }] }, data, el);
}

async function jobPage(id) {
  const [job, cps, events] = await Promise.all([api("/jobs/" + encodeURIComponent(id)), api("/jobs/" + encodeURIComponent(id) + "/checkpoints"), api("/events?limit=200")]);
  const t = job.totals;
  const parts = job.partitions.map((p) => `<tr data-testid="partition" data-partition="${p.partition}"><td class=n>${p.partition}</td><td>${esc(p.owner || "unowned")}</td>` +
    `<td class=n data-testid="next-offset">${num(p.next_offset)}</td><td class=n data-testid="lag">${num(p.lag)}</td><td>${p.watermark === null || p.watermark === undefined ? "–" : time(p.watermark)}</td>` +
    `<td class=n>${age(p.watermark_lag_ms)}</td><td data-testid="idle">${p.idle ? "idle" : ""}</td><td class=n>${rate(p.records_per_second)}</td>` +
    `<td class=n data-testid="events">${num(p.events)}</td><td class=n>${num(p.filtered)}</td><td class=n>${num(p.malformed)}</td><td class=n>${num(p.late)}</td>` +
    `<td class=n data-testid="dead-lettered">${num(p.dead_lettered)}</td><td class=n>${p.checkpoint.round || "–"}</td><td class=bad>${esc(p.failed || "")}</td></tr>`).join("");
  const rounds = cps.checkpoints.slice().reverse();
  const longest = Math.max(1, ...rounds.map((r) => r.duration_ms || 0));
  const timeline = rounds.map((r) => `<div class="${r.outcome}" title="round ${r.round}: ${r.outcome}, ${r.duration_ms === null ? "?" : r.duration_ms + " ms"}, ${num(r.size_bytes)} bytes" ` +
    `style="height:${Math.max(4, (60 * (r.duration_ms || longest)) / longest)}px"></div>`).join("");
  const moves = events.events.filter((e) => e.job === id && (e.kind === "recovery" || e.kind === "handoff" || e.kind === "partition_failed" || e.kind === "checkpoint_failed"));
  const lc = job.last_checkpoint;
  main.innerHTML = `<section><h2>Job ${esc(job.id)} <span class="state-${job.state}">${job.state}</span></h2>` +
    `<p>${job.kind} · topic <b>${esc(job.topic)}</b> → ${esc(job.sink)} · ${job.partition_count} partitions · restarts ${job.restarts}</p>` +
    `<table><tr><th class=n>records/s</th><th class=n>lag</th><th class=n>events</th><th class=n>filtered</th><th class=n>malformed</th><th class=n>late</th><th class=n>dead-lettered</th><th class=n>last checkpoint</th></tr>` +
    `<tr data-testid="totals"><td class=n data-testid="total-rate">${rate(t.records_per_second)}</td><td class=n data-testid="total-lag">${num(t.lag)}</td><td class=n data-testid="total-events">${num(t.events)}</td>` +
    `<td class=n>${num(t.filtered)}</td><td class=n>${num(t.malformed)}</td><td class=n>${num(t.late)}</td><td class=n data-testid="total-dead-lettered">${num(t.dead_lettered)}</td>` +
    `<td class=n>${lc ? `round ${lc.round}, ${age(lc.age_ms)} ago, ${lc.duration_ms} ms, ${num(lc.size_bytes)} bytes` : "–"}</td></tr></table></section>` +
    (job.lake ? `<p data-testid="lake">Iceberg table: ${num(job.lake.snapshots)} snapshots, last commit ${job.lake.last_commit_age_ms === null ? "none yet" : age(job.lake.last_commit_age_ms) + " ago"}, ` +
      `${num(job.lake.commits)} commits (${num(job.lake.commit_failures)} failed), ${num(job.lake.files_committed)} files and ${num(job.lake.rows_committed)} rows committed, ` +
      `${num(job.lake.compactions)} compactions of ${num(job.lake.files_compacted)} files, ${num(job.lake.files_expired)} files expired, ${num(job.lake.files_aborted)} aborted, ${num(job.lake.files_orphaned)} orphaned</p>` : "") +
    `<section><h2>Last 15 minutes</h2><div class="charts"><div class="chart" id="c-rate"></div><div class="chart" id="c-lag"></div><div class="chart" id="c-wm"></div></div></section>` +
    `<section><h2>Partitions</h2><table><tr><th class=n>partition</th><th>owner</th><th class=n>next offset</th><th class=n>lag</th><th>watermark</th><th class=n>watermark lag</th><th>idle</th>` +
    `<th class=n>records/s</th><th class=n>events</th><th class=n>filtered</th><th class=n>malformed</th><th class=n>late</th><th class=n>dead-lettered</th><th class=n>checkpoint</th><th>failed</th></tr>${parts}</table></section>` +
    `<section><h2>Checkpoints (${cps.checkpoints.length})</h2><div class="timeline" data-testid="timeline">${timeline}</div></section>` +
    `<section><h2>Recoveries and handoffs</h2>${eventsTable(moves)}</section>`;
  const xs = job.history.map((s) => s.at / 1000);
  chart("c-rate", "records/s", xs, job.history.map((s) => s.records_per_second), "records/s");
  chart("c-lag", "lag (records)", xs, job.history.map((s) => s.lag), "lag");
  chart("c-wm", "watermark lag (s)", xs, job.history.map((s) => s.watermark_lag_ms / 1000), "watermark lag");
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  const route = location.hash.replace(/^#/, "") || "/";
  const crumbs = document.getElementById("crumbs");
  try {
    const m = route.match(/^\/jobs\/(.+)$/);
    if (m) {
      const id = decodeURIComponent(m[1]);
      crumbs.innerHTML = `<a href="#/">cluster</a> / ${esc(id)}`;
      await jobPage(id);
    } else {
      crumbs.innerHTML = "cluster";
      const keep = document.getElementById("spec");
      const draft = keep ? keep.value : "";
      const result = document.getElementById("submit-result");
      const shown = result ? [result.className, result.textContent] : ["", ""];
      main.innerHTML = (await overview()) + submitForm();
      document.getElementById("spec").value = draft;
      Object.assign(document.getElementById("submit-result"), { className: shown[0], textContent: shown[1] });
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("updated").textContent = "error: " + e.message;
  } finally {
    busy = false;
  }
}

window.addEventListener("hashchange", () => { Object.keys(charts).forEach((k) => delete charts[k]); refresh(); });
refresh();
setInterval(refresh, refreshMs);
