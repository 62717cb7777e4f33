-- Seed 003: community_daily_stats, per community, event kind and UTC day
-- [d0, d1): events and distinct members active, into ClickHouse as the seed.
-- The SQL twin of social-community-daily-clickhouse.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}social-community-daily-clickhouse';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE social_events (
  event_type   text NOT NULL,
  community_id bigint,
  user_id      bigint NOT NULL,
  timestamp    timestamp NOT NULL
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_SOCIAL_TOPIC:-social_events}',
  format = 'json',
  partitioned_by = 'community_id',  -- `weir gen social` keys community events by community_id
  watermark_for = 'timestamp',
  watermark_delay = '10 seconds'
);

CREATE TABLE community_daily_stats () WITH (
  connector = 'clickhouse', url = '${WEIR_CLICKHOUSE_URL:-http://127.0.0.1:18123/weir}',
  table = '${WEIR_TABLE_PREFIX:-}community_daily_stats');

INSERT INTO community_daily_stats
SELECT window_start, window_end, community_id, event_type,
       COUNT(*) AS events, COUNT(DISTINCT user_id) AS members
FROM TUMBLE(social_events, timestamp, INTERVAL '1' DAY)
WHERE event_type IN ('post_created', 'comment_added', 'reaction_added', 'community_joined')
GROUP BY window_start, window_end, community_id, event_type;
