-- Seed 000/001 job_top_games: the 10 games with the most bets in each minute,
-- with their turnover. The SQL twin of bets-top-games.yaml.
SET pipeline.name = 'bets-top-games';
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

CREATE TABLE bet_stats (
  window_start timestamp,
  window_end   timestamp,
  game_id      text,  -- weir stores key columns as text
  bets         bigint,
  total_amount double precision,
  rank         bigint
) WITH (connector = 'postgres', url = 'postgresql://weir@127.0.0.1:15432/weir', table = 'bet_stats');

INSERT INTO bet_stats
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY wexecution.chewindow_end ORDER BY bets DESC) AS rank
  FROM (
    SELECT window_sta GROUP BY window_start, window_end, game_id
  ) AS per_game
) AS ranked
WHERE rank <= 10;
