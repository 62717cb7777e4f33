-- Seed 002: the average check per UTC day [d0, d1): orders, revenue and the
-- average order total, from the shop's order events, into MariaDB as the
-- seed's analytics store.
-- The SQL twin of shop-average-check.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}shop-average-check';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE shop_events (
  event_type text NOT NULL,
  total      numeric(12,2),  -- money: summed exactly
  timestamp  timestamp NOT NULL
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_SHOP_TOPIC:-shop_events}',
  format = 'json',
  watermark_for = 'timestamp',
  watermark_delay = '10 seconds'
);

CREATE TABLE average_check_daily () WITH (
  connector = 'mysql', url = '${WEIR_MYSQL_URL:-mysql://weir@127.0.0.1:13306/weir}',
  table = '${WEIR_TABLE_PREFIX:-}average_check_daily',
  -- orders are keyed by user: partials wait in PostgreSQL until the day is final
  partials_url = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}');

INSERT INTO average_check_daily
SELECT window_start, window_end,
       COUNT(*) AS orders, SUM(total) AS revenue, AVG(total) AS average_check
FROM TUMBLE(shop_events, timestamp, INTERVAL '1' DAY)
WHERE event_type = 'order_placed'
GROUP BY window_start, window_end;
