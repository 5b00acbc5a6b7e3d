-- A streaming Flink SQL job: generated events, counted per key, printed.
-- Each printed line shows one key's state, e.g. `sql-counts> +U[k3, 17]` in the
-- TaskManager's stdout (the Flink UI: Task Managers → Stdout). After an upgrade
-- through a savepoint (edit the WHERE below and apply again) every key's count goes
-- on from where it was; it never starts again at 1.
SET 'execution.runtime-mode' = 'streaming';

CREATE TABLE events (
  k INT,
  v INT
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
  'print-identifier' = 'sql-counts'
);

INSERT INTO counts
SELECT CONCAT('k', CAST(k AS STRING)) AS k, COUNT(*) AS n
FROM events
WHERE v >= 0
GROUP BY k;
