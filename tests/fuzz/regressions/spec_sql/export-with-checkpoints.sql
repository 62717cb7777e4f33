SET pipeline.name = 'x';
SET state.checkpoints.dir = 's3://b/ck';
CREATE TABLE t (id text PRIMARY KEY) WITH (connector = 'postgres', url = 'postgresql://x/y');
CREATE TABLE lake () WITH (connector = 'parquet', url = 's3://b/p', every = '5 minutes');
INSERT INTO lake SELECT id FROM t;
