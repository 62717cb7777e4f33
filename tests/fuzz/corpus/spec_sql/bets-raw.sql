-- Seed 000/001 all_bets_consumer: every bet into PostgreSQL table bets
-- (exported = false until the scheduled export takes it), exactly once: the
-- bet id is the primary key, so a replay inserts nothing twice.
-- The SQL twin of bets-raw.yaml.
SET pipeline.name = 'bets-raw';
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
  format = 'json'
);

CREATE TABLE bets_table (
  bet_id    text PRIMARY KEY,
  user_id   bigint,
  game_id   bigint,
  amount    double precision,
  currency  text,
  odds      double precision,
  status    text,
  placed_at timestamp
) WITH (connector = 'postgres', url = 'postgresql://weir@127.0.0.1:15432/weir', table = 'bets');

INSERT INTO bets_table
SELECT bet_id, user_id, game_id, amount, currency, odds, status, timestamp AS placed_at
FROM bets;
