-- Seed 004: every user action into an Apache Iceberg v2 table on S3 (MinIO),
-- laid out like the seed's Paimon table: partitioned by event_date and 2-hour
-- event_hour, data files sorted by user_bucket (user_id % 128) and user_id.
-- One snapshot is committed per checkpoint, so a crash and replay neither
-- loses nor duplicates rows. Read it with pyiceberg or DuckDB (docs/lake.md).
-- The SQL twin of user-actions-lake.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}user-actions-lake';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '${WEIR_CHECKPOINT_INTERVAL:-10s}';

CREATE TABLE user_actions (
  event_id    text NOT NULL,
  user_id     bigint NOT NULL,
  action_type text NOT NULL,
  timestamp   timestamp NOT NULL,
  metadata    jsonb,  -- kept as JSON text
  device_info jsonb
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_USER_ACTIONS_TOPIC:-user_actions_topic}',
  format = 'json'
);

CREATE TABLE user_actions_lake (
  event_id    text,
  user_id     bigint,
  action_type text,
  event_time  timestamp,
  metadata    text,
  device_info text,
  event_date  text   GENERATED ALWAYS AS (date(event_time)) STORED,
  event_hour  text   GENERATED ALWAYS AS (hour(event_time, 2)) STORED,  -- 2-hour buckets
  user_bucket bigint GENERATED ALWAYS AS (user_id % 128) STORED
) PARTITION BY LIST (event_date, event_hour)
  WITH (connector = 'iceberg', url = 's3://weir/${WEIR_LAKE_PREFIX:-lake/user_actions}',
        catalog = '${WEIR_CATALOG_URL:-postgresql://weir@127.0.0.1:15432/weir}',
        "table" = '${WEIR_LAKE_TABLE:-weir.user_actions}',
        sort_by = 'user_bucket, user_id', codec = 'zstd', commit_every = '1');

INSERT INTO user_actions_lake
SELECT event_id, user_id, action_type, timestamp AS event_time, metadata, device_info
FROM user_actions;
