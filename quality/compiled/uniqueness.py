"""Uniqueness: the duplicated keys of every uniqueness expectation of a suite, found together.

Key hashes are sorted on the driver (ONE Arrow query, up to :data:`DRIVER_HASHES` rows) or aggregated
by Spark (ONE shuffle); exact keys are grouped only for the repeated hashes, so a collision never
flags a row. The flags then join the duplicated keys (a window only past :data:`BROADCAST_KEYS`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyspark import StorageLevel
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from quality.compiled.items import SPARK_ERRORS, considered_id, sample_count_id

if TYPE_CHECKING:
    from quality.compiled.plan import CompiledSuite

BROADCAST_KEYS = 200_000  # a uniqueness expectation with more duplicated keys keeps its window

DRIVER_HASHES = 16_000_000  # up to this many key hashes (8 bytes each) are sorted on the driver, not shuffled

KEY_PREFIX = "__baton_key_"

# Arrow batches of the hash query: 100,000 hashes (0.8 MB a column) instead of Spark's 10,000 cut
# its transfer from 0.3 to 0.1 s for 2 x 2 M hashes; set for that query only.
ARROW_BATCH_CONF, ARROW_BATCH_ROWS = "spark.sql.execution.arrow.maxRecordsPerBatch", 100_000


def find_duplicates(
    compiled: CompiledSuite, metrics: dict[Any, Any], extra: list[Column], storage_level: StorageLevel | None
) -> None:
    """Find the duplicated keys of every uniqueness expectation and set their flags and counts.

    1. The candidates: hashes (``xxhash64`` of the key, NaN and -0.0 normalized as Spark's
       grouping does) seen on more than one considered row. Up to :data:`DRIVER_HASHES` considered
       rows in all (the aggregation counted them), ONE query brings every uniqueness expectation's
       hashes to the driver as Arrow, where numpy sorts them (8 bytes a row, no shuffle); beyond,
       ONE Spark aggregation of ``(check, hash)`` pairs (one shuffle) finds them.
    2. Only where there are candidates, the rows holding them are grouped by their exact key, so
       a hash collision never flags a row; the duplicated keys and their row counts are persisted
       (:attr:`keys`). Their counts are the expectation's ``unexpected_count``.
    A flag is then ``considered AND key is duplicated``: FALSE when nothing is duplicated, else a
    broadcast join with the duplicated keys, which keeps the scan order and needs no shuffle. An
    expectation with more than :data:`BROADCAST_KEYS` candidates keeps GE's window (a shuffle
    and sort of the rows), as does every one of them if Spark cannot hash their keys. Where a
    flag is not FALSE, ONE more aggregation of the final projection counts the window flags and
    recomputes ``extra``.
    """
    unique = {index: compiled.unique[index] for index in compiled.unique if compiled.items[index].flag}
    if not unique:
        return
    considered = {index: metrics.pop(considered_id(index)) for index in unique}
    try:
        hashes = {index: _key_hash(_normalized(key, compiled.df.select(key).schema[0].dataType))
                  for index, (key, _) in unique.items()}
        wanted = {index: hashes[index] for index in unique if considered[index] > 1}
        if sum(considered[index] for index in wanted) <= DRIVER_HASHES:
            candidates = _candidates_on_driver(compiled, wanted, unique)
        else:
            candidates = _candidates_by_shuffle(compiled, wanted, unique)
        counts = _exact_duplicates(compiled, candidates, hashes, unique)
    except SPARK_ERRORS:
        compiled.release()
        counts = {index: None for index in unique}  # a window for each
    flags: dict[int, Column] = {}
    base = compiled.df
    for index, (key, considered_row) in unique.items():
        item = compiled.items[index]
        if counts[index] is None:
            compiled.windows.add(index)
            flags[index] = compiled.conditions[index]
        elif index in compiled.keys:
            name = f"{KEY_PREFIX}{index}"
            duplicated = compiled.keys[index].select(F.col("k").alias(name), F.lit(True).alias(f"{name}_dup"))
            base = base.join(F.broadcast(duplicated), key == F.col(name), "left")
            flags[index] = considered_row & F.coalesce(F.col(f"{name}_dup"), F.lit(False))
        metrics[sample_count_id(item)] = counts[index]
    if not flags:
        return
    current = {item.index: compiled.conditions[item.index] for item in compiled.items if item.flag}
    current.update({index: F.lit(False) for index in unique} | flags)
    compiled.projection = compiled._select_flags(current, base)
    if compiled.windows and storage_level is not None:
        compiled.cached = compiled.projection.persist(storage_level)
    windowed = sorted(compiled.windows)
    counts = [F.count_if(F.col(compiled.items[i].flag)) for i in windowed]
    row = list(compiled.projection.agg(*counts, *extra).first()) if windowed or extra else []
    for index, count in zip(windowed, row, strict=False):
        metrics[sample_count_id(compiled.items[index])] = count
    compiled.extra_values = row[len(windowed):]


def _candidates_on_driver(compiled: CompiledSuite, hashes: dict[int, Column], unique: dict) -> dict[int, Any]:
    """Duplicated hashes per expectation, from ONE Arrow query of the considered rows' hashes.

    Each value is a numpy array, or None past :data:`BROADCAST_KEYS` of them.
    """
    import numpy as np

    if not hashes:
        return {}
    columns = [F.when(unique[index][1], hash_).alias(f"h{index}") for index, hash_ in hashes.items()]
    with _session_conf(compiled.df.sparkSession, ARROW_BATCH_CONF, str(ARROW_BATCH_ROWS)):
        table = compiled.df.select(*columns).toArrow()
    candidates = {}
    for index in hashes:
        values = np.sort(table.column(f"h{index}").drop_null().to_numpy())
        found = np.unique(values[1:][values[1:] == values[:-1]])
        candidates[index] = found if len(found) <= BROADCAST_KEYS else None
    return candidates


def _candidates_by_shuffle(compiled: CompiledSuite, hashes: dict[int, Column], unique: dict) -> dict[int, Any]:
    """Duplicated hashes per expectation, from ONE aggregation of ``(check, hash)`` pairs (one shuffle).

    Each value is a numpy array, or None past :data:`BROADCAST_KEYS` of them (never collected).
    """
    if not hashes:
        return {}
    if len(hashes) == 1:
        ((index, hash_),) = hashes.items()
        keyed = compiled.df.where(unique[index][1]).select(F.lit(index).alias("check"), hash_.alias("h"))
    else:
        pairs = [F.when(unique[index][1], F.struct(F.lit(index).alias("check"), hash_.alias("h")))
                 for index, hash_ in hashes.items()]
        # explode then filter: array_compact here made the same aggregation 2.5x slower
        keyed = (compiled.df.select(F.explode(F.array(*pairs)).alias("e")).where(F.col("e").isNotNull())
                 .select("e.*"))
    found = (keyed.groupBy("check", "h").count().where(F.col("count") > 1).select("check", "h")
             .persist(StorageLevel.MEMORY_AND_DISK))
    try:
        counts = dict(found.groupBy("check").count().collect())
        few = [index for index in hashes if counts.get(index, 0) <= BROADCAST_KEYS]
        table = found.where(F.col("check").isin(few)).toArrow() if few else None
    finally:
        found.unpersist()
    candidates: dict[int, Any] = dict.fromkeys(hashes)
    if table is not None:
        checks, values = table.column("check").to_numpy(), table.column("h").to_numpy()
        candidates.update({index: values[checks == index] for index in few})
    return candidates


def _exact_duplicates(
    compiled: CompiledSuite, candidates: dict[int, Any], hashes: dict[int, Column], unique: dict
) -> dict:
    """Per expectation: the considered rows that hold a duplicated key (None: too many keys, use a window).

    The rows whose hash is a candidate are grouped by their exact key; the duplicated keys (with
    their row counts) are persisted in :attr:`keys` for the flags' broadcast join.
    """
    import pyarrow as pa

    counts: dict[int, int | None] = {}
    for index, (key, considered) in unique.items():
        if index in candidates and candidates[index] is None:
            counts[index] = None
            continue
        found = candidates.get(index, ())
        if len(found) == 0:
            counts[index] = 0
            continue
        hashed = f"{KEY_PREFIX}hash"
        wanted = compiled.df.sparkSession.createDataFrame(pa.table({hashed: pa.array(found, pa.int64())}))
        rows = compiled.df.where(considered).withColumn(hashed, hashes[index]).join(F.broadcast(wanted), hashed,
                                                                                "left_semi")
        duplicated = rows.groupBy(key.alias("k")).count().where(F.col("count") > 1)
        compiled.keys[index] = duplicated.persist(StorageLevel.MEMORY_AND_DISK)
        counts[index] = compiled.keys[index].agg(F.sum("count")).first()[0] or 0
        if counts[index] == 0:  # the candidates were hash collisions
            compiled.keys.pop(index).unpersist()
    return counts


@contextlib.contextmanager
def _session_conf(spark: Any, key: str, value: str) -> Iterator[None]:
    """``key`` set to ``value`` for the block, then restored (or unset)."""
    before = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def _key_hash(key: Column) -> Column:
    """The 64-bit hash that finds uniqueness candidates (equal keys, equal hashes; collisions are checked)."""
    return F.xxhash64(key)


def _normalized(column: Column, data_type: T.DataType) -> Column:
    """``column`` with -0.0 as 0.0 in its float fields (hashes tell them apart; groupings do not)."""
    if isinstance(data_type, T.StructType):
        return F.struct(*[_normalized(column.getField(f.name), f.dataType).alias(f.name) for f in data_type.fields])
    if isinstance(data_type, T.FloatType | T.DoubleType):
        return F.when(column == 0, F.lit(0.0).cast(data_type)).otherwise(column)
    return column
