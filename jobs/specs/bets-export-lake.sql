-- Seed 000/001's export into an Apache Iceberg table instead of loose files:
-- every 5 minutes the bets not exported yet become ONE snapshot of weir.bets,
-- partitioned by the day they were placed, and are marked exported in the
-- transaction of the catalog swap. The SQL twin of bets-export-lake.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}bets-export-lake';

CREATE TABLE bets_table (
  bet_id    text PRIMARY KEY,
  user_id   bigint NOT NULL,
  game_id   bigint,
  amount    double precision,
  currency  text,
  odds      double precision,
  status    text,
  placed_at timestamp NOT NULL
) WITH (connector = 'postgres', url = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}', table = '${WEIR_TABLE_PREFIX:-}bets');

CREATE TABLE bets_lake (
  bet_id      text,
  user_id     bigint,
  game_id     bigint,
  amount      double precision,
  currency    text,
  odds        double precision,
  status      text,
  placed_at   timestamp,
  placed_date text GENERATED ALWAYS AS (date(placed_at)) STORED
) PARTITION BY LIST (placed_date)
  WITH (connector = 'iceberg', url = 's3://weir/${WEIR_LAKE_PREFIX:-lake/bets}',
        catalog = '${WEIR_PG_URL:-postgresql://weir@127.0.0.1:15432/weir}',
        "table" = '${WEIR_LAKE_TABLE:-weir.bets}', sort_by = 'user_id',
        every = '${WEIR_EXPORT_EVERY:-5m}');

INSERT INTO bets_lake
SELECT bet_id, user_id, game_id, amount, currency, odds, status, placed_at FROM bets_table;
