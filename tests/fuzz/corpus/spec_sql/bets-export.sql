-- Seed 000/001 all_bets_exporter_dag: every 5 minutes, the bets not exported
-- yet go to MinIO as one Parquet file, raw/YYYY-MM-DD/part-HHMMSS.parquet, and
-- are marked exported. The SQL twin of bets-export.yaml.
SET pipeline.name = 'bets-export';

CREATE TABLE bets_table (
  bet_id    text PRIMARY KEY,
  user_id   bigint NOT NULL,
  game_id   bigint,
  amount    double precision,
  currency  text,
  odds      double precision,
  status    text,
  placed_at timestamp NOT NULL
) WITH (connector = 'postgres', url = 'postgresql://weir@127.0.0.1:15432/weir', table = 'bets');

CREATE TABLE bets_archive () WITH (
  connector = 'parquet',
  url = 's3://weir/raw',
  every = '5m'
);

INSERT INTO bets_archive
SELECT bet_id, user_id, game_id, amount, currency, odds, status, placed_at FROM bets_table;
