#!/usr/bin/env bash
# The demo, end to end: install, build, start the services, start a
# coordinator and two workers, generate bets into Kafka, run the four bets
# jobs of the seed pipelines and print their results from PostgreSQL, and
# seed 004's per-user actions into ClickHouse and print those. The
# coordinator serves its dashboard, REST API and /metrics (URL printed).
# The services keep running afterwards (stop them: deploy/services.sh down);
# the weir processes stop when the demo ends, unless --keep: then they, the
# dashboard and a live stream of bets run on until deploy/services.sh down.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
keep=false
case ${1:-} in
  --keep) keep=true ;;
  "") ;;
  *) die "usage: deploy/demo.sh [--keep]" ;;
esac

"$REPO/deploy/build.sh"
"$REPO/deploy/services.sh" up
# shellcheck source=/dev/null
source "$WEIR_RUN_DIR/env.sh"
WEIR="${WEIR_BUILD_DIR:-$REPO/build}/weir"
DEMO_DIR="$WEIR_RUN_DIR/demo"
mkdir -p "$DEMO_DIR"
: "${WEIR_DEMO_COORDINATOR:=127.0.0.1:17000}"
: "${WEIR_DEMO_HTTP:=127.0.0.1:8081}"
export WEIR_COORDINATOR=$WEIR_DEMO_COORDINATOR
export WEIR_BETS_TOPIC=demo_bets_$$ WEIR_USER_ACTIONS_TOPIC=demo_user_actions_$$

# A demo kept from before (--keep) goes first: its ports are these.
"$REPO/deploy/services.sh" stop-demo
pids=()
cleanup() {
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null && wait "${pids[@]}" 2>/dev/null
  return 0
}
trap cleanup EXIT

log "starting a coordinator on $WEIR_COORDINATOR and two workers (logs in $DEMO_DIR)"
# --iceberg-catalog: the lake's catalog is also served as an Iceberg REST
# catalog at http://$WEIR_DEMO_HTTP/iceberg (docs/lake.md).
"$WEIR" coordinator --listen "$WEIR_COORDINATOR" --http "$WEIR_DEMO_HTTP" \
  --iceberg-catalog "$WEIR_PG_URL" >"$DEMO_DIR/coordinator.log" 2>&1 &
pids+=($!)
for w in worker-1 worker-2; do
  "$WEIR" worker --name "$w" >"$DEMO_DIR/$w.log" 2>&1 &
  pids+=($!)
done

# 300k bets spread over 10 minutes of event time, up to 3 s out of order.
log "generating 300000 bets into topic $WEIR_BETS_TOPIC"
"$WEIR" gen bets --topic "$WEIR_BETS_TOPIC" --partitions 4 --count 300000 --step 2 --disorder 3000
export WEIR_TABLE_PREFIX=demo_ WEIR_JOB_PREFIX=demo-
for t in bet_stats bet_avg_amount bet_status_counts bet_active_users; do
  psql "$WEIR_PG_URL" -q -c "DROP TABLE IF EXISTS demo_$t, demo_${t}__partials, demo_${t}__progress" \
    2>/dev/null
done
# Three in YAML, one in SQL (every spec has both; docs/sql.md).
for job in bets-top-games.sql bets-avg-amount.yaml bets-by-status.yaml bets-active-users.yaml; do
  log "submitting jobs/specs/$job"
  "$WEIR" submit "$REPO/jobs/specs/$job"
done
# Seed 004 into ClickHouse: 60k user actions over 30 minutes of event time.
log "generating 60000 user actions into topic $WEIR_USER_ACTIONS_TOPIC"
"$WEIR" gen user-actions --topic "$WEIR_USER_ACTIONS_TOPIC" --partitions 4 --count 60000 \
  --step 30 --disorder 3000
ch() { clickhouse-client --port "$WEIR_CLICKHOUSE_TCP_PORT" -d weir -q "$1"; }
ch "DROP TABLE IF EXISTS demo_user_aggregations_realtime"
ch "DROP TABLE IF EXISTS demo_user_aggregations_realtime__progress"
log "submitting jobs/specs/user-aggregations-realtime-clickhouse.yaml"
"$WEIR" submit "$REPO/jobs/specs/user-aggregations-realtime-clickhouse.yaml"
# The same actions into the lake, an Iceberg table (docs/lake.md); the
# demo's table starts empty every run.
export WEIR_LAKE_TABLE=weir.demo_user_actions WEIR_LAKE_PREFIX=demo/user_actions_$$
export WEIR_CATALOG_URL=$WEIR_PG_URL
psql "$WEIR_PG_URL" -qc "DELETE FROM iceberg_tables WHERE table_namespace = 'weir'
  AND table_name = 'demo_user_actions'" >/dev/null 2>&1 || true
log "submitting jobs/specs/user-actions-lake.yaml (Iceberg table $WEIR_LAKE_TABLE)"
"$WEIR" submit "$REPO/jobs/specs/user-actions-lake.yaml"
"$WEIR" status

# A window's rows are published once every partition's watermark has passed
# it; the last minute stays open (no later event). Wait until each job has
# published the last closed window.
published() { psql "$WEIR_PG_URL" -At -c "SELECT coalesce(max(watermark), 0) FROM demo_${1}__progress
  WHERE source_partition = -1" 2>/dev/null || echo 0; }
want=$(( 1767225600000 + 540000 ))  # 2026-01-01T00:09:00Z: nine full minutes
deadline=$((SECONDS + 120))
for t in bet_stats bet_avg_amount bet_status_counts bet_active_users; do
  until [[ $(published $t) -ge $want ]]; do
    ((SECONDS < deadline)) || die "$t incomplete after 120 s; see $DEMO_DIR"
    sleep 0.5
  done
done

# ClickHouse rows come per partition as its own watermark closes a window:
# wait until every partition has passed 00:25, five full windows.
ch_passed() { ch "SELECT count() FROM demo_user_aggregations_realtime__progress FINAL
  WHERE watermark >= $(( 1767225600000 + 1500000 ))" 2>/dev/null || echo 0; }
until [[ $(ch_passed) -ge 4 ]]; do
  ((SECONDS < deadline)) || die "demo_user_aggregations_realtime incomplete after 120 s; see $DEMO_DIR"
  sleep 0.5
done

q() { psql "$WEIR_PG_URL" -P pager=off -c "$1"; }
echo
echo "Top 3 games per minute (demo_bet_stats: top 10 kept per window):"
q "SELECT to_char(window_start, 'HH24:MI') AS minute, rank, game_id, bets,
          round(total_amount::numeric, 2) AS total_amount
   FROM demo_bet_stats WHERE rank <= 3 ORDER BY window_start, rank"
echo "Average bet per currency (demo_bet_avg_amount), first three minutes:"
q "SELECT to_char(window_start, 'HH24:MI') AS minute, currency, bets,
          round(avg_amount::numeric, 2) AS avg, min_amount AS min, max_amount AS max
   FROM demo_bet_avg_amount ORDER BY window_start, currency LIMIT 12"
echo "Bets by status (demo_bet_status_counts), whole run:"
q "SELECT status, sum(bets) AS bets FROM demo_bet_status_counts GROUP BY status ORDER BY 2 DESC"
echo "Active users per 5 minutes, sliding by 1 minute (demo_bet_active_users):"
q "SELECT to_char(window_start, 'HH24:MI') || '-' || to_char(window_end, 'HH24:MI') AS window,
          active_users AS exact, active_users_approx AS hyperloglog, bets
   FROM demo_bet_active_users ORDER BY window_start"

echo "Seed 004 in ClickHouse (demo_user_aggregations_realtime, read with FINAL): per 5 minutes,"
echo "the users active, their actions, and the busiest user's count:"
ch "SELECT formatDateTime(window_start, '%H:%M') AS window, count() AS users, sum(actions) AS total_actions,
          max(actions) AS busiest_user
   FROM demo_user_aggregations_realtime FINAL WHERE window_start < toDateTime('2026-01-01 00:25:00')
   GROUP BY window_start ORDER BY window_start FORMAT PrettyCompactNoEscapes"

echo "Seed 004 in the lake (Iceberg table $WEIR_LAKE_TABLE), read by pyiceberg and DuckDB:"
"$VENV_DIR/bin/python" "$REPO/deploy/lake_demo.py" "$WEIR_LAKE_TABLE" 60000 \
  "http://$WEIR_DEMO_HTTP/iceberg" ||
  die "the lake table is incomplete; see $DEMO_DIR"

echo "Dashboard, REST API (/api/v1/jobs), Prometheus metrics (/metrics) and the Iceberg REST"
echo "catalog (/iceberg): http://$WEIR_DEMO_HTTP/"
if $keep; then
  # A live stream keeps the dashboard moving: 500 bets/s, event time = now.
  "$WEIR" gen bets --topic "$WEIR_BETS_TOPIC" --count 1000000000 --rate 500 --live \
    >"$DEMO_DIR/gen.log" 2>&1 &
  pids+=($!)
  printf '%s\n' "${pids[@]}" >"$DEMO_DIR/pids"
  trap - EXIT
  log "kept running (coordinator, workers, a live stream of bets); stop it all with deploy/services.sh down"
fi
