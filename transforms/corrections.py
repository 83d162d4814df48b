"""Corrections of quarantined rows from a reference table. Pure: no I/O.

A reference table holds, per key, the values a row should have and a ``note`` saying what
was wrong. ``apply_reference`` replaces a row's values by the reference's; rows without a
reference entry are returned by ``without_reference`` and stay quarantined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

CORRECTION_COLUMN = "_baton_correction"


def apply_reference(reference: DataFrame, key: str, note: str = "note") -> Callable[[DataFrame], DataFrame]:
    """Rows whose ``key`` is in ``reference``, with every shared column taken from the reference.

    The output has the input's columns (in order) plus ``_baton_correction`` (the note).
    """
    def transform(df: DataFrame) -> DataFrame:
        shared = [c for c in df.columns if c in reference.columns and c != key]
        ref = reference.select(key, note, *[F.col(c).alias(f"_ref_{c}") for c in shared])
        joined = df.join(F.broadcast(ref), on=key, how="inner")
        columns = [F.col(f"_ref_{c}").cast(df.schema[c].dataType).alias(c) if c in shared else F.col(c)
                   for c in df.columns]
        return joined.select(*columns, F.col(note).alias(CORRECTION_COLUMN))
    return transform


def without_reference(reference: DataFrame, key: str) -> Callable[[DataFrame], DataFrame]:
    """Rows whose ``key`` has no entry in ``reference``."""
    def transform(df: DataFrame) -> DataFrame:
        return df.join(F.broadcast(reference.select(key)), on=key, how="left_anti")
    return transform


def missing_from(existing: Sequence[DataFrame], key: str) -> Callable[[DataFrame], DataFrame]:
    """Rows of the reference whose ``key`` appears in none of ``existing`` (to supplement them)."""
    def transform(reference: DataFrame) -> DataFrame:
        result = reference
        for df in existing:
            result = result.join(F.broadcast(df.select(key)), on=key, how="left_anti")
        return result
    return transform


def failed_only(allowed: Sequence[str], failed_column: str) -> Column:
    """True for rows every failed expectation of which is in ``allowed`` (the correctable ones)."""
    allowed_array = F.array(*[F.lit(name) for name in allowed]).cast("array<string>")
    return F.size(F.array_except(F.col(failed_column), allowed_array)) == 0
