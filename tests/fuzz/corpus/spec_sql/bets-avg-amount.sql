-- Seed 000/001 job_avg_bet: average bet size per minute. Amounts in different
-- currencies do not average together, so the key is the currency.
-- The SQL twin of bets-avg-amount.yaml.
SET pipeline.name = 'bets-avg-amount';
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

CREATE TABLE bet_avg_amount (
  window_start timestamp,
  window_end   timestamp,
  currency     text,
  avg_amount   double precision,
  min_amount   double precision,
  max_amount   double precision,
  bets         bigint
) WITH (connector = 'postgres', url = 'postgresql://weir@127.0.0.1:15432/weir', table = 'bet_avg_amount');

INSERT INTO bet_avg_amount
SELECT window_start, window_end, currency,
       AVG(amount) AS avg_amount, MIN(amount) AS min_amount, MAX(amount) AS max_amount,
       COUNT(*) AS bets
FROM TUMBLE(bets, timestamp, INTERVAL '1' MINUTE)
GROUP BY window_start, window_end, currency;
