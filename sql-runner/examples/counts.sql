-- Streaming: datagen -> GROUP BY key COUNT(*) -> print (TaskManager stdout, the .out file).
-- Each line "counts> +U[k3, 17]" shows the state of one key: after an upgrade through a
-- savepoint a key's count continues, it never goes back to 1.
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
GROUP BY k;
