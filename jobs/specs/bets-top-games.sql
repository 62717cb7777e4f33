-- Seed 000/001 job_top_games: the 10 games with the most bets in each minute,
-- with their turnover. The SQL twin of bets-top-games.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}bets-top-games';
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

CREATE TABLE bet_stats (
  window_start timestamp,
  window_end   timestamp,
  game_id      text,  -- weir stores key columns as text
  bets         bigint,
  total_amount numeric(38,2),
  rank         bigint
) WITH (connector = 'postgres', url = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}', table = '${WEIR_TABLE_PREFIX:-}bet_stats');

INSERT INTO bet_stats
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bets DESC) AS rank
  FROM (
    SELECT window_start, window_end, game_id, COUNT(*) AS bets, SUM(amount) AS total_amount
    FROM TUMBLE(bets, timestamp, INTERVAL '1' MINUTE)
    GROUP BY window_start, window_end, game_id
  ) AS per_game
) AS ranked
WHERE rank <= 10;
