"""Restitution for a Parquet file of cases, on Spark: `mapInArrow` hands each partition to
lawcode as Arrow record batches, and lawcode answers each batch with a batch of outcomes.

    python bindings/python/examples/spark_restitution.py CASES.parquet OUT.parquet

Spark does the distributed part (reading and splitting the file, scheduling partitions on
executors, retrying a failed task); lawcode does one partition at a time, purely: the same
rows always give the same outcomes, so a retried task gives what the first attempt would have.
The rule set is loaded once per Python worker (`_program`), not once per batch.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Iterator

import pyarrow as pa

import lawcode

RULES = "rules/usc/18/2259.law"


@lru_cache(maxsize=None)
def _program(path: str) -> lawcode.Program:
    # Once per worker process: loading parses and checks the rule files.
    return lawcode.load(path)


#: A column of the cases that is not a fact: the case's key, carried to the outcomes (the
#: facts reader refuses unknown keys, so it is taken out before evaluating).
KEY = "case_id"


def evaluate_partition(
    batches: Iterator[pa.RecordBatch], rules: str = RULES, key: str = KEY
) -> Iterator[pa.RecordBatch]:
    """The function given to `mapInArrow`: Arrow batches of cases in, batches of outcomes out,
    each row with its case's `key`."""
    program = _program(rules)
    for batch in batches:
        if not batch.num_rows:
            continue
        table = pa.Table.from_batches([batch])
        keys = table.column(key)
        outcomes = program.evaluate_arrow(table.drop_columns([key]))
        yield from outcomes.add_column(0, key, keys).to_batches()


def outcome_schema(rules: str = RULES, key: str = KEY, key_type: pa.DataType = pa.int64()) -> pa.Schema:
    """The schema `mapInArrow` must be told: the key, then the outcome table's columns (read
    off an evaluation of no cases)."""
    program = _program(rules)
    empty = program.evaluate_arrow(pa.table({"offense_date": pa.array([], pa.string())}))
    return empty.schema.insert(0, pa.field(key, key_type))


def main(cases: str, out: str, rules: str = RULES) -> None:
    from pyspark.sql import SparkSession
    from pyspark.sql.pandas.types import from_arrow_schema

    spark = SparkSession.builder.master("local[2]").appName("lawcode").getOrCreate()
    try:
        # The workers import this module to run `evaluate_partition`.
        spark.sparkContext.addPyFile(__file__)
        df = spark.read.parquet(cases)
        schema = from_arrow_schema(outcome_schema(rules))
        result = df.mapInArrow(lambda it: evaluate_partition(it, rules), schema)
        result.write.mode("overwrite").parquet(out)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
