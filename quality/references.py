"""Referential checks: every key of a column exists in another dataset, as a join flag.

For "every ``tailnum`` of flights is in planes" a ``$PARAMETER`` value set is the short route, and
fits a few hundred keys. Past that it costs: every parent key goes into the Spark plan, into GE's
validation result and into its Data Docs page (20,000 keys made a 1.1 MB page of 20,000 badges).
A join flag costs one pass and a hash set of the keys, and reports the orphans instead of the keys:

    from quality import checkpoint, references

    ref = references.KeyReference("l_orderkey", "orders", "o_orderkey")      # flag: l_orderkey_in_orders
    flagged = lineitem.transform(references.flag_known_keys(orders, ref.key, ref.parent_key, ref.flag))
    checkpoint.gate_dataset(ctx, "lineitem", flagged, suite, drop=[ref.flag], references={ref: orders})

and the suite expects the flag to be true (``on_fail`` and ``reason`` as for any expectation)::

    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "l_orderkey_in_orders", "value_set": [true]},
     "meta": {"baton": {"name": "l_orderkey_in_orders", "reason": "l_orderkey not in orders"}}}

``drop`` keeps the flag out of the committed rows; ``references`` puts, for each reference whose
check failed, the orphans' row and key counts and a sample of the keys into the dataset's verdict
(:func:`orphans`). A null key is not known (a row with one fails the check). A parent too large to
broadcast takes :func:`unknown_keys` and :func:`flag_unknown_keys` (see ``jobs/tpch_validate.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

Transform = Callable[[DataFrame], DataFrame]

ORPHAN_SAMPLE = 20  # orphan keys a verdict shows, most frequent first
_KNOWN_KEY = "_baton_known_key"
_KNOWN = "_baton_known"


class KeyReference(NamedTuple):
    """A foreign key: ``key`` of a dataset refers to ``parent_key`` of dataset ``parent``."""

    key: str
    parent: str
    parent_key: str

    @property
    def flag(self) -> str:
        """The flag column the suite checks: ``<key>_in_<parent>``."""
        return f"{self.key}_in_{self.parent}"


def flag_known_keys(parent: DataFrame, key: str, parent_key: str, flag: str) -> Transform:
    """Add the boolean ``flag``: whether the row's ``key`` is one of ``parent[parent_key]``.

    Never null (a null key is not known); every row is kept exactly once. The distinct parent keys
    are broadcast, which suits small parents: the hash relation is built on the driver and read by
    the executors, and with TPC-H SF10's 15 M order keys it ran a 2 GiB heap out of memory (large
    parents take :func:`flag_unknown_keys`). Because the keys are distinct, Spark drops the join
    from any query that does not read ``flag``.
    """

    def _apply(df: DataFrame) -> DataFrame:
        keys = (parent.select(F.col(parent_key).alias(_KNOWN_KEY)).where(F.col(_KNOWN_KEY).isNotNull())
                .distinct().withColumn(_KNOWN, F.lit(True)))
        joined = df.join(F.broadcast(keys), df[key] == keys[_KNOWN_KEY], "left")
        return joined.select(*[df[c] for c in df.columns], F.coalesce(keys[_KNOWN], F.lit(False)).alias(flag))

    return _apply


def flag_unknown_keys(unknown: DataFrame, key: str, flag: str) -> Transform:
    """:func:`flag_known_keys` for large parents, from ``unknown``: the frame's keys without a parent.

    ``unknown`` is :func:`unknown_keys`'s result, persisted by the caller; only those keys, normally
    none, are joined (no broadcast of the parent). A null key is not known. The joined side is made
    distinct, so Spark drops the join from any query that does not read ``flag``.
    """

    def _apply(df: DataFrame) -> DataFrame:
        missing = unknown.select(F.col(_KNOWN_KEY)).distinct().withColumn(_KNOWN, F.lit(False))
        joined = df.join(missing, df[key] == missing[_KNOWN_KEY], "left")
        known = df[key].isNotNull() & F.coalesce(missing[_KNOWN], F.lit(True))
        return joined.select(*[df[c] for c in df.columns], known.alias(flag))

    return _apply


def unknown_keys(parent: DataFrame, key: str, parent_key: str) -> Transform:
    """The distinct non-null ``key`` values of a frame that are not ``parent[parent_key]`` values.

    One column, ``_baton_known_key``; one shuffle of the distinct keys of each side (no broadcast),
    for :func:`flag_unknown_keys`.
    """

    def _apply(df: DataFrame) -> DataFrame:
        keys = df.select(F.col(key).alias(_KNOWN_KEY)).where(F.col(_KNOWN_KEY).isNotNull()).distinct()
        parents = parent.select(F.col(parent_key).alias(_KNOWN_KEY))
        return keys.join(parents, _KNOWN_KEY, "left_anti")

    return _apply


def orphans(df: DataFrame, parent: DataFrame, ref: KeyReference, sample: int = ORPHAN_SAMPLE) -> dict[str, Any]:
    """The rows of ``df`` whose (non-null) ``ref.key`` is not in ``parent[ref.parent_key]``: counts and a sample.

    ``{"column", "parent", "parentColumn", "orphanRows", "orphanKeys", "sample": [{"key", "rows"}]}``,
    the sample's most frequent keys first. Two Spark jobs over the orphan keys (one shuffle of
    the distinct keys of each side): call it when the flag check failed.
    """
    by_key = (df.transform(unknown_keys(parent, ref.key, ref.parent_key))
              .join(df.select(F.col(ref.key).alias(_KNOWN_KEY)), _KNOWN_KEY).groupBy(_KNOWN_KEY).count())
    totals = by_key.agg(F.sum("count").alias("rows"), F.count(F.lit(1)).alias("keys")).first()
    top = by_key.orderBy(F.desc("count"), _KNOWN_KEY).limit(sample).collect()
    return {"column": ref.key, "parent": ref.parent, "parentColumn": ref.parent_key,
            "orphanRows": totals["rows"] or 0, "orphanKeys": totals["keys"],
            "sample": [{"key": _json_value(row[_KNOWN_KEY]), "rows": row["count"]} for row in top]}


def no_orphans(ref: KeyReference) -> dict[str, Any]:
    """:func:`orphans` of a reference whose check passed (no Spark job)."""
    return {"column": ref.key, "parent": ref.parent, "parentColumn": ref.parent_key, "orphanRows": 0,
            "orphanKeys": 0, "sample": []}


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, date | datetime | Decimal) else value
