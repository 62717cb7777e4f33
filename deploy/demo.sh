#!/usr/bin/env bash
# The demo, end to end: install, build, start the services, start a
# coordinator and two workers, generate bets into Kafka, run the seed's
# "top games" job and print its windowed counts from PostgreSQL.
# The services keep running afterwards (stop them: deploy/services.sh down);
# the weir processes stop when the demo ends.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$REPO/deploy/build.sh"
"$REPO/deploy/services.sh" up
# shellcheck source=/dev/null
source "$WEIR_RUN_DIR/env.sh"
WEIR="${WEIR_BUILD_DIR:-$REPO/build}/weir"
DEMO_DIR="$WEIR_RUN_DIR/demo"
mkdir -p "$DEMO_DIR"
: "${WEIR_DEMO_COORDINATOR:=127.0.0.1:17000}"
export WEIR_COORDINATOR=$WEIR_DEMO_COORDINATOR
export WEIR_BETS_TOPIC=demo_bets_$$

pids=()
cleanup() {
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null && wait "${pids[@]}" 2>/dev/null
  return 0
}
trap cleanup EXIT

log "starting a coordinator on $WEIR_COORDINATOR and two workers (logs in $DEMO_DIR)"
"$WEIR" coordinator --listen "$WEIR_COORDINATOR" >"$DEMO_DIR/coordinator.log" 2>&1 &
pids+=($!)
for w in worker-1 worker-2; do
  "$WEIR" worker --name "$w" >"$DEMO_DIR/$w.log" 2>&1 &
  pids+=($!)
done

# 300k bets spread over 10 minutes of event time, up to 3 s out of order.
log "generating 300000 bets into topic $WEIR_BETS_TOPIC"
"$WEIR" gen bets --topic "$WEIR_BETS_TOPIC" --partitions 4 --count 300000 --step 2 --disorder 3000
psql "$WEIR_PG_URL" -q -c 'DROP TABLE IF EXISTS bet_stats, bet_stats__partials' 2>/dev/null
log "submitting jobs/specs/bets-top-games.yaml"
"$WEIR" submit "$REPO/jobs/specs/bets-top-games.yaml"
"$WEIR" status

# The last minute stays open (no later event moves the watermark past it).
# Each partition's closed windows are merged into bet_stats as they arrive, so
# wait until every closed window is there and the totals stop changing.
total() { psql "$WEIR_PG_URL" -At -c "SELECT count(DISTINCT window_start) || '/' ||
  coalesce(sum(bets), 0) FROM bet_stats" 2>/dev/null || echo "0/0"; }
deadline=$((SECONDS + 90))
last=""
while :; do
  now=$(total)
  [[ ${now%%/*} -ge 10 && $now == "$last" ]] && break
  ((SECONDS < deadline)) || die "results incomplete after 90 s ($now); see $DEMO_DIR"
  last=$now
  sleep 2
done
echo
echo "Top 3 games per 1-minute window (bet_stats, from PostgreSQL):"
psql "$WEIR_PG_URL" -P pager=off -c "
  SELECT to_char(window_start, 'HH24:MI') AS window, game_id, bets,
         round(total_amount::numeric, 2) AS total_amount
  FROM (SELECT *, rank() OVER (PARTITION BY window_start ORDER BY bets DESC, game_id) AS r
        FROM bet_stats) ranked
  WHERE r <= 3 ORDER BY window_start, r"
psql "$WEIR_PG_URL" -At -c "SELECT 'windows: ' || count(DISTINCT window_start) || ', rows: ' ||
  count(*) || ', bets counted: ' || sum(bets) FROM bet_stats"
