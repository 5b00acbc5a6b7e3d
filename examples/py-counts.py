"""A streaming PyFlink job (Table API): generated events, counted per key,
printed to the TaskManagers' stdout as `<ident>> +U[k3, 17]`. Each update shows
the count so far, so a restart from empty state would show a key counted from 1
again; upgrades go through a savepoint and the counts go on.

Arguments (the spec's `args`):
  --ident NAME           the print identifier (default py-counts)
  --where CONDITION      which events count (SQL, default `v >= 0`)
  --rows-per-second N    the generator's rate (default 20)
"""

import argparse

from pyflink.table import EnvironmentSettings, TableEnvironment

parser = argparse.ArgumentParser()
parser.add_argument("--ident", default="py-counts")
parser.add_argument("--where", default="v >= 0")
parser.add_argument("--rows-per-second", type=int, default=20)
args, _ = parser.parse_known_args()

t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
t_env.execute_sql(
    f"""
    CREATE TEMPORARY TABLE events (k INT, v INT) WITH (
      'connector' = 'datagen', 'rows-per-second' = '{args.rows_per_second}',
      'fields.k.min' = '0', 'fields.k.max' = '3',
      'fields.v.min' = '0', 'fields.v.max' = '99')
    """
)
t_env.execute_sql(
    f"""
    CREATE TEMPORARY TABLE counts (k STRING, n BIGINT) WITH (
      'connector' = 'print', 'print-identifier' = '{args.ident}')
    """
)
# The job is submitted here; the controller chose its id and name.
t_env.execute_sql(
    f"""
    INSERT INTO counts
    SELECT CONCAT('k', CAST(k AS STRING)) AS k, COUNT(*) AS n FROM events
    WHERE {args.where}
    GROUP BY k
    """
)
