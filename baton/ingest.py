"""Ingest a declared raw source: read it with its schema, refuse what does not fit, commit it as Parquet.

The body of a generated ingest job (``baton new pipeline``): reads are checked as
:mod:`baton.sources` checks them, so a malformed line, a missing column or a value of the
wrong type stops the stage with the file, stage and column named.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from pyspark.sql import types as T

from baton.errors import ArgumentError, EmptyInputError
from baton.raw_source import RawSource
from baton.sources import (
    RawFile,
    raw_files,
    read_csv_observed,
    read_json_checked,
    read_parquet_checked,
    unreadable_files_refused,
)
from baton.stage import StageContext


def ingest_source(ctx: StageContext, sources: Mapping[str, RawSource]) -> None:
    """Commit the source the job's ``--source`` names as the dataset of that name.

    The files are read from ``initialData.sources.<name>`` if the execution gives it, else from
    the source's declared path.
    """
    if ctx.args["source"] not in sources:
        raise ArgumentError(f"unknown source {ctx.args['source']!r}; expected one of {list(sources)}",
                            stage=ctx.current_stage, argument="--source")
    source = sources[ctx.args["source"]]
    overrides = ctx.initial_data.get("sources") or {}
    if not isinstance(overrides, dict):
        raise ArgumentError("initialData.sources must be an object of source name -> path",
                            stage=ctx.current_stage, input="initialData.sources")
    location = str(overrides.get(source.name) or source.path)
    declared = T.StructType.fromDDL(source.schema)  # DDL quotes a column name like `Order ID` in backticks
    with tempfile.TemporaryDirectory(prefix="baton-raw-") as extracted:
        files = source_files(location, source.format, Path(extracted))
        if not files:
            raise EmptyInputError(f"no {source.format} files for source {source.name}", stage=ctx.current_stage,
                                  path=location)
        with unreadable_files_refused(ctx.current_stage):
            if source.format == "csv":  # parsed once: the read's checks are counted while it is written
                read = read_csv_observed(ctx.spark, files, declared, ctx.current_stage, null_value=source.null_token)
                ctx.write(source.name, read.df, verify=read.verify)
            elif source.format == "json":
                ctx.write(source.name, read_json_checked(ctx.spark, files, declared, ctx.current_stage))
            else:
                ctx.write(source.name, read_parquet_checked(ctx.spark, files, declared, ctx.current_stage))


def source_files(location: str, fmt: str, staging_dir: Path) -> list[RawFile]:
    """The files at ``location``: a file (``trips.csv``, ``trips.csv.zip``) or a folder of ``*.<fmt>``."""
    parent, _, leaf = location.rstrip("/").rpartition("/")
    for suffix in (f".{fmt}.zip", f".{fmt}"):
        if leaf.endswith(suffix):
            leaf = leaf[:-len(suffix)]
            break
    return raw_files(parent or ".", leaf, staging_dir, fmt)
