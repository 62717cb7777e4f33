-- Seed 000/001 job_avg_bet: average bet size per minute. Amounts in different
-- currencies do not average together, so the key is the currency.
-- The SQL twin of bets-avg-amount.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}bets-avg-amount';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE bets (
  bet_id    text NOT NULL,
  user_id   bigint NOT NULL,
  game_id   bigint,
  amount    numeric(12,2),  -- money: summed exactly
  currency  text,
  odds      double precision,
  status    text,
  timestamp timestamp NOT NULL
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_BETS_TOPIC:-bets}',
  format = 'json',
  watermark_for = 'timestamp',
  watermark_delay = '5 seconds'
);

CREATE TABLE bet_avg_amount (
  window_start timestamp,
  window_end   timestamp,
  currency     text,
  avg_amount   numeric(38,6),
  min_amount   numeric(12,2),
  max_amount   numeric(12,2),
  bets         bigint
) WITH (connector = 'postgres', url = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}', table = '${WEIR_TABLE_PREFIX:-}bet_avg_amount');

INSERT INTO bet_avg_amount
SELECT window_start, window_end, currency,
       AVG(amount) AS avg_amount, MIN(amount) AS min_amount, MAX(amount) AS max_amount,
       COUNT(*) AS bets
FROM TUMBLE(bets, timestamp, INTERVAL '1' MINUTE)
GROUP BY window_start, window_end, currency;
