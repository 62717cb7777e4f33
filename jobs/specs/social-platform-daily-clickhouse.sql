-- Seed 003: daily_platform_stats, per UTC day [d0, d1): every event, and the
-- daily active users (DAU) exact and approximate, into ClickHouse as the seed.
-- WAU and MAU are social-platform-wau/-mau-clickhouse.
-- The SQL twin of social-platform-daily-clickhouse.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}social-platform-daily-clickhouse';
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

CREATE TABLE daily_platform_stats () WITH (
  connector = 'clickhouse', url = '${WEIR_CLICKHOUSE_URL:-http://127.0.0.1:18123/weir}',
  table = '${WEIR_TABLE_PREFIX:-}daily_platform_stats',
  -- users are in every partition: partials wait in PostgreSQL until the day is final
  partials_url = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}');

INSERT INTO daily_platform_stats
SELECT window_start, window_end,
       COUNT(*) AS events, COUNT(DISTINCT user_id) AS dau,
       APPROX_COUNT_DISTINCT(user_id) AS dau_approx
FROM TUMBLE(social_events, timestamp, INTERVAL '1' DAY)
GROUP BY window_start, window_end;
