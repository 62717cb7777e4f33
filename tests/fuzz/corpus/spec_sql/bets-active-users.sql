-- Seed 000/001 job_active_users: distinct users who bet in each 5 minutes,
-- sliding every minute; exact and HyperLogLog estimate side by side.
-- The SQL twin of bets-active-users.yaml.
SET pipeline.name = 'bets-active-users';
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

CREATE TABLE bet_active_users (
  window_start        timestamp,
  window_end          timestamp,
  active_users        bigint,
  active_users_approx bigint,
  bets                bigint
) WITH (connector = 'postgres', url = 'postgresql://weir@127.0.0.1:15432/weir', table = 'bet_active_users');

INSERT INTO bet_active_users
SELECT window_start, window_end,
       COUNT(DISTINCT user_id) AS active_users,
       APPROX_COUNT_DISTINCT(user_id) AS active_users_approx,
       COUNT(*) AS bets
FROM HOP(bets, timestamp, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)
GROUP BY window_start, window_end;
