-- Seed 004: per-user action counts over 5-minute windows (near real time), into ClickHouse as the seed has it.
-- The SQL twin of user-aggregations-realtime-clickhouse.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}user-aggregations-realtime-clickhouse';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE user_actions (
  event_id    text NOT NULL,
  user_id     bigint NOT NULL,
  action_type text NOT NULL,
  timestamp   timestamp NOT NULL,
  metadata    jsonb,
  device_info jsonb
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_USER_ACTIONS_TOPIC:-user_actions_topic}',
  format = 'json',
  partitioned_by = 'user_id',  -- the producer keys every action by user_id
  watermark_for = 'timestamp',
  watermark_delay = '10 seconds'
);

CREATE TABLE user_aggregations_realtime (
  window_start     timestamp,
  window_end       timestamp,
  user_id          text,
  actions          bigint,
  distinct_actions bigint
) WITH (connector = 'clickhouse', url = '${WEIR_CLICKHOUSE_URL:-http://127.0.0.1:18123/weir}',
        table = '${WEIR_TABLE_PREFIX:-}user_aggregations_realtime');

INSERT INTO user_aggregations_realtime
SELECT window_start, window_end, user_id,
       COUNT(*) AS actions, COUNT(DISTINCT action_type) AS distinct_actions
FROM TUMBLE(user_actions, timestamp, INTERVAL '5' MINUTE)
GROUP BY window_start, window_end, user_id;
