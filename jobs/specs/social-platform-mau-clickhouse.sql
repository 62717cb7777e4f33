-- Seed 003: MAU, the users active in the 30 UTC days up to each day's
-- end ([d1 - 30d, d1)), exact and approximate: 30-day windows sliding by a
-- day, into ClickHouse beside daily_platform_stats.
-- The SQL twin of social-platform-mau-clickhouse.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}social-platform-mau-clickhouse';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE social_events (
  event_type   text NOT NULL,
  user_id      bigint NOT NULL,
  timestamp    timestamp NOT NULL
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_SOCIAL_TOPIC:-social_events}',
  format = 'json',
  watermark_for = 'timestamp',
  watermark_delay = '10 seconds'
);

CREATE TABLE daily_platform_stats_mau () WITH (
  connector = 'clickhouse', url = '${WEIR_CLICKHOUSE_URL:-http://127.0.0.1:18123/weir}',
  table = '${WEIR_TABLE_PREFIX:-}daily_platform_stats_mau',
  -- users are in every partition: partials wait in PostgreSQL until the day is final
  partials_url = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}');

INSERT INTO daily_platform_stats_mau
SELECT window_start, window_end,
       COUNT(DISTINCT user_id) AS mau, APPROX_COUNT_DISTINCT(user_id) AS mau_approx
FROM HOP(social_events, timestamp, INTERVAL '1' DAY, INTERVAL '30' DAY)
GROUP BY window_start, window_end;
