-- Seed 000/001 job_bet_status: bets per status per minute.
-- The SQL twin of bets-by-status.yaml.
SET pipeline.name = 'bets-by-status';
SET state.checkpoints.dir = 's3://weir/checkpoints';
SET execution.checkpointing.interval = '10s';

CREATE TABLE bets (
  bet_id    text NOT NULL,
  user_id   bigint NOT NULL,
  game_id   bigint,
  amount    double precision,
  currency  text,
  odds      double precision,
  status    text,
  timestamp timestamp NOT NULL
) WITH (
  connector = 'kafka',
  brokers = '127.0.0.1:19092',
  topic = 'bets',
  format = 'json',
  watermark_for = 'timestamp',
  watermark_delay = '5 seconds'
);

CREATE TABLE bet_status_counts (
  window_start timestamp,
  window_end   timestamp,
  status       text,
  bets         bigint
) WITH (connector = 'postgres', url = 'postgresql://weir@127.0.0.1:15432/weir', table = 'bet_status_counts');

INSERT INTO bet_status_counts
SELECT window_start, window_end, status, COUNT(*) AS bets
FROM TUMBLE(bets, timestamp, INTERVAL '1' MINUTE)
GROUP BY window_start, window_end, status;
