-- Batch: a bounded datagen (number-of-rows) -> two aggregates -> print, ONE job that ends FINISHED.
-- Both INSERTs run together: an EXECUTE STATEMENT SET is one Flink job.
SET 'execution.runtime-mode' = 'batch';

CREATE TEMPORARY TABLE orders (
  id BIGINT,
  k INT,
  amount INT
) WITH (
  'connector' = 'datagen',
  'number-of-rows' = '1000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000',
  'fields.k.min' = '0', 'fields.k.max' = '4',
  'fields.amount.min' = '1', 'fields.amount.max' = '10'
);

CREATE TEMPORARY TABLE totals (k INT, orders BIGINT, amount BIGINT)
  WITH ('connector' = 'print', 'print-identifier' = 'batch-totals');

CREATE TEMPORARY TABLE overall (orders BIGINT, max_id BIGINT)
  WITH ('connector' = 'print', 'print-identifier' = 'batch-overall');

EXECUTE STATEMENT SET
BEGIN
  INSERT INTO totals SELECT k, COUNT(*), SUM(amount) FROM orders GROUP BY k;
  INSERT INTO overall SELECT COUNT(*), MAX(id) FROM orders;
END;
