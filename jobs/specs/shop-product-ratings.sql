-- Seed 002: each product's rating per day (half-open UTC days [d0, d1)), from
-- the shop's review events, into MariaDB as the seed's analytics store.
-- The SQL twin of shop-product-ratings.yaml.
SET pipeline.name = '${WEIR_JOB_PREFIX:-}shop-product-ratings';
SET state.checkpoints.dir = '${WEIR_CHECKPOINT_URL:-s3://weir/checkpoints}';
SET execution.checkpointing.interval = '10s';

CREATE TABLE shop_events (
  event_type text NOT NULL,
  product_id bigint,
  user_id    bigint NOT NULL,
  rating     bigint,
  timestamp  timestamp NOT NULL
) WITH (
  connector = 'kafka',
  brokers = '${WEIR_KAFKA_BROKERS:-127.0.0.1:19092}',
  topic = '${WEIR_SHOP_TOPIC:-shop_events}',
  format = 'json',
  partitioned_by = 'product_id',  -- `weir gen shop` keys reviews by product_id
  watermark_for = 'timestamp',
  watermark_delay = '10 seconds'
);

CREATE TABLE product_rating_daily () WITH (
  connector = 'mysql', url = '${WEIR_MYSQL_URL:-mysql://weir@127.0.0.1:13306/weir}',
  table = '${WEIR_TABLE_PREFIX:-}product_rating_daily');

INSERT INTO product_rating_daily
SELECT window_start, window_end, product_id,
       COUNT(*) AS reviews, AVG(rating) AS avg_rating, MIN(rating) AS min_rating
FROM TUMBLE(shop_events, timestamp, INTERVAL '1' DAY)
WHERE event_type = 'product_review'
GROUP BY window_start, window_end, product_id;
