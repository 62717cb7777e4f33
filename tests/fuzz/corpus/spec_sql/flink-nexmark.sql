SET 'pipeline.name' = 'nx';
CREATE TABLE bids (
  `auction` BIGINT,
  `price` BIGINT,
  `dateTime` TIMESTAMP(3),
  `extra` STRING,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'kafka', 'brokers' = 'b:1', 'topic' = 'bids', 'format' = 'json');
CREATE TABLE `out` () WITH ('connector' = 'blackhole');
INSERT INTO `out`
SELECT window_start, auction, count(*) AS bids, max(price) AS top
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, auction;
