"""Scale-out without a home-made engine: PySpark (local mode) reads a Parquet file of cases
and hands each partition to lawcode through `mapInArrow`; the outcomes equal `lawcode eval
--batch` on the same cases. Needs pyspark and a Java runtime (ci.sh installs both); a missing
one fails the test, it never skips."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from test_lawcode import CORPUS, REPO, RULES, expected_rows, raw_facts, same

sys.path.insert(0, str(REPO / "bindings/python/examples"))
import spark_restitution  # noqa: E402


def test_spark_map_in_arrow_equals_the_cli_batch(tmp_path):
    from pyspark.sql import SparkSession
    from pyspark.sql.pandas.types import from_arrow_schema

    copies = 20
    facts = [json.loads(Path(p).read_text(), parse_float=str, parse_int=str)["facts"] for p in CORPUS] * copies
    table = pa.Table.from_pylist(facts)
    table = table.add_column(0, "case_id", pa.array(range(len(facts)), pa.int64()))
    cases = tmp_path / "cases.parquet"
    # Several row groups, so that Spark makes several partitions.
    pq.write_table(table, cases, row_group_size=200)
    lines = "".join(raw_facts(Path(p).read_text()) + "\n" for p in CORPUS) * copies
    answers = expected_rows(lines)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("lawcode-test")
        .config("spark.sql.files.maxPartitionBytes", "16k")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        # The workers import the example as the driver does: ship it (lawcode itself is
        # installed in the workers' Python, as on a cluster's nodes).
        spark.sparkContext.addPyFile(spark_restitution.__file__)
        df = spark.read.parquet(str(cases))
        assert df.rdd.getNumPartitions() > 1
        rules = str(REPO / RULES)
        schema = from_arrow_schema(spark_restitution.outcome_schema(rules))
        result = df.mapInArrow(lambda it: spark_restitution.evaluate_partition(it, rules), schema)
        out = tmp_path / "outcomes.parquet"
        result.write.mode("overwrite").parquet(str(out))
    finally:
        spark.stop()

    rows = sorted(pq.read_table(out).to_pylist(), key=lambda r: r["case_id"])
    assert [r["case_id"] for r in rows] == list(range(len(facts)))
    assert all(same(r, a) for r, a in zip(rows, answers))
    assert all(isinstance(r["restitution_amount"], (Decimal, type(None))) for r in rows)
