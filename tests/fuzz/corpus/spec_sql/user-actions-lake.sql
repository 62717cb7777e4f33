-- Seed 004: every user action on S3 (MinIO) as Parquet, partitioned like the
-- seed's Paimon table: event_date / 2-hour event_hour / bucket = user_id % 128.
-- Files are committed at checkpoints and named by Kafka partition and offsets,
-- so a crash and replay neither loses nor duplicates rows.
-- The SQL twin of user-actions-lake.yaml.
SET pipeline.name = 'user-actions-lake';
SET state.checkpoints.dir = 's3://weir/checkpoints';
SET execution.checkpointing.interval = '10s';

CREATE TABLE user_actions (
  event_id    text NOT NULL,
  user_id     bigint NOT NULL,
  action_type text NOT NULL,
  timestamp   timestamp NOT NULL,
  metadata    jsonb,  -- kept as JSON text
  device_info jsonb
) WITH (
  connector = 'kafka',
  brokers = '127.0.0.1:19092',
  topic = 'user_actions_topic',
  format = 'json'
);

CREATE TABLE user_actions_lake (
  event_id    text,
  user_id     bigint,
  action_type text,
  event_time  timestamp,
  metadata    text,
  device_info text,
  event_date  text GENERATED ALWAYS AS (date(event_time)) STORED,
  event_hour  int  GENERATED ALWAYS AS (hour(event_time, 2)) STORED,  -- 2-hour buckets
  bucket      int  GENERATED ALWAYS AS (user_id % 128) STORED
) PARTITION BY LIST (event_date, event_hour, bucket)
  WITH (connector = 'parquet', url = 's3://weir/lake/user_actions',
        codec = 'zstd');

INSERT INTO user_actions_lake
SELECT event_id, user_id, action_type, timestamp AS event_time, metadata, device_info
FROM user_actions;
