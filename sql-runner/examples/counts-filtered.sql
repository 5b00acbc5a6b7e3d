-- counts.sql changed in a state-compatible way: a WHERE filter. The job graph keeps its shape
-- (the filter joins the Calc that already projects k, chained to the source), so the operator
-- ids are the same and a savepoint of counts.sql restores into it: counts continue.
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
  n BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'counts'
);

INSERT INTO counts
SELECT CONCAT('k', CAST(k AS STRING)) AS k, COUNT(*) AS n
FROM events
WHERE v < 80
GROUP BY k;
