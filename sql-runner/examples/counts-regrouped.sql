-- counts.sql changed INCOMPATIBLY: GROUP BY k, v % 2. The job graph has the same shape (same
-- operator ids) but the aggregate's key type changes; restoring a savepoint of counts.sql fails
-- at task start: "StateMigrationException: The new key serializer (...) must be compatible with
-- the previous key serializer (...)", and the job ends FAILED.
SET 'execution.runtime-mode' = 'streaming';

CREATE TABLE events (
  k INT,      -- key: 0..4 (5 distinct values)
  v INT       -- payload: 0..99
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '5',
  'fields.k.kind' = 'random', 'fields.k.min' = '0', 'fields.k.max' = '4',
  'fields.v.kind' = 'random', 'fields.v.min' = '0', 'fields.v.max' = '99'
);

CREATE TABLE counts (
  k STRING,
  parity INT,
  n BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'counts'
);

INSERT INTO counts
SELECT CONCAT('k', CAST(k AS STRING)) AS k, v % 2 AS parity, COUNT(*) AS n
FROM events
GROUP BY k, v % 2;
