-- Seed 003: interactions per post per UTC day [d0, d1): comments and
-- reactions, and the distinct users who made them, into ClickHouse. A post
-- belongs to one community, by which its events are keyed: every row is final
-- as its partition emits it.
-- The SQL twin of social-post-daily-clickhouse.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}social-post-daily-clickhouse';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE social_events (
  event_type   text NOT NULL,
  community_id bigint,
  post_id      bigint,
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

CREATE TABLE post_daily_interactions () WITH (
  connector = 'clickhouse', url = '${WEIR_CLICKHOUSE_URL:-http://127.0.0.1:18123/weir}',
  table = '${WEIR_TABLE_PREFIX:-}post_daily_interactions');

INSERT INTO post_daily_interactions
SELECT window_start, window_end, community_id, post_id,
       COUNT(*) AS interactions, COUNT(DISTINCT user_id) AS users
FROM TUMBLE(social_events, timestamp, INTERVAL '1' DAY)
WHERE event_type IN ('comment_added', 'reaction_added')
GROUP BY window_start, window_end, community_id, post_id;
