"""``baton new pipeline``: write a pipeline that runs on the given files, for a person to make their own.

    baton new pipeline shop --source orders=data/orders.csv --source customers=data/customers.csv

reads each source the way its Ingest job will (the schema Spark infers, the null token given),
profiles it and writes, refusing to overwrite any file:

    domains/shop.py                             the facts: each source's path, format, schema (DDL), null token
    jobs/shop_ingest.py ... jobs/shop_load.py   Ingest, Conform, Validate (gated), Aggregate, Load
    transforms/shop.py                          conform_<dataset>() (unchanged rows) and row_count()
    quality/suites/shop_validate_<dataset>.json a draft suite per dataset (quality.draft)
    tests/test_transforms_shop.py               tests of the transforms
    orchestration/declarations/shop.py          the declaration ``baton run shop`` finds

``baton run shop`` then runs on the given files (their paths are the declared defaults;
``initialData.sources.<name>`` points an execution elsewhere). The row counts per dataset land
in ``warehouse/shop_row_counts/``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from baton.errors import BatonError
from baton.ingest import source_files
from baton.paths import validate_name
from baton.raw_source import RAW_FORMATS, RawSource
from baton.sources import read_csv_observed, read_json_checked, read_parquet_checked
from orchestration import scaffold_templates as tpl
from quality import draft

log = logging.getLogger("baton")

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # jobs/, transforms/, quality/ are its packages
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STAGE = "Scaffold"
# Spark types -> the DDL names baton.sources.schema reads
_DDL = {T.IntegerType: "INT", T.LongType: "BIGINT", T.DoubleType: "DOUBLE", T.StringType: "STRING",
        T.TimestampType: "TIMESTAMP", T.DateType: "DATE", T.BooleanType: "BOOLEAN"}


class ScaffoldError(BatonError):
    """The scaffold cannot be written as asked: the message says which source, column or file."""


@dataclass(frozen=True)
class SourceArg:
    """A ``--source NAME=PATH`` with its null token."""

    name: str
    path: Path
    null_token: str


def parse_sources(sources: Sequence[str], null_tokens: Sequence[str]) -> list[SourceArg]:
    """``NAME=PATH`` pairs and ``[NAME=]TOKEN`` null tokens (a token without a source name is everyone's)."""
    pairs = []
    for item in sources:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise ScaffoldError(f"--source {item!r}: expected NAME=PATH, e.g. orders=data/orders.csv")
        _check_identifier(name, "source name")
        pairs.append((name, Path(path)))
    names = [name for name, _ in pairs]
    if not pairs or len(set(names)) != len(names):
        raise ScaffoldError(f"give each source once with --source NAME=PATH; got {names}")
    tokens = {"": ""}
    for item in null_tokens:
        name, sep, token = item.partition("=")
        tokens.update({name: token} if sep and name in names else {"": item})
    return [SourceArg(name, path, tokens.get(name, tokens[""])) for name, path in pairs]


def _check_identifier(name: str, what: str) -> None:
    if not IDENTIFIER.match(name):
        raise ScaffoldError(f"{what} {name!r}: use 1 to 24 lowercase letters, digits and '_', starting with a letter "
                            "(it names modules, suites and tables)")


def source_format(path: Path) -> str:
    """The format of a raw file (its suffix) or of a folder (the suffix its files share)."""
    suffixes = {p.suffix.lstrip(".").lower() for p in path.iterdir() if p.is_file()} if path.is_dir() else \
        {path.name.removesuffix(".zip").rsplit(".", 1)[-1].lower()}
    found = suffixes & set(RAW_FORMATS)
    if len(found) != 1:
        raise ScaffoldError(f"{path}: cannot tell its format from {sorted(suffixes)}; "
                            f"expected files ending in one of {list(RAW_FORMATS)}")
    return found.pop()


@dataclass(frozen=True)
class Inferred:
    """A source's schema as its Ingest job declares it, and the renames Conform makes to plain names."""

    ddl: str
    renames: dict[str, str]


def infer_schema(spark: SparkSession, source: SourceArg, fmt: str) -> Inferred:
    """What Spark infers from the source's files; a type or a column name Baton cannot declare is refused.

    A column whose name is not plain (``Order ID``) keeps it through Ingest, which reads by the
    header, and gets a plain one in Conform (``order_id``), so suites and marts use plain names.
    """
    df = draft.read_dataset(spark, str(source.path), fmt, source.null_token)
    parts, renames = [], {}
    for field in df.schema.fields:
        if not field.name.strip() or set(field.name) & set(".`,"):
            raise ScaffoldError(f"column {field.name!r}: a name with a dot, backtick or comma (or none) cannot be "
                                "declared (Spark reads a dot as a path); rename it in the file's header",
                                path=str(source.path))
        ddl = _DDL.get(type(field.dataType))
        if ddl is None:
            raise ScaffoldError(f"column {field.name} has type {field.dataType.simpleString()}, which a source "
                                f"schema cannot declare (one of {sorted(set(_DDL.values()))}); convert the file first",
                                path=str(source.path))
        if COLUMN.match(field.name):
            parts.append(f"{field.name} {ddl}")
        else:
            parts.append(f"`{field.name}` {ddl}")
            renames[field.name] = _plain_name(field.name, taken=[f.name for f in df.schema.fields] +
                                              list(renames.values()))
    return Inferred(", ".join(parts), renames)


def _plain_name(name: str, taken: Sequence[str]) -> str:
    """``Order ID`` -> ``order_id``; a name already taken gets a numbered suffix."""
    plain = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "column"
    plain = f"c_{plain}" if plain[0].isdigit() else plain
    candidate, n = plain, 1
    while candidate in taken:
        n += 1
        candidate = f"{plain}_{n}"
    return candidate


def read_as_ingest(spark: SparkSession, source: RawSource, renames: dict[str, str], staging: Path) -> draft.Profile:
    """Profile ``source`` as Validate will see it: read as its Ingest job reads it, renamed as Conform does."""
    files = source_files(source.path, source.format, staging)
    declared = T.StructType.fromDDL(source.schema)
    if source.format == "csv":
        read = read_csv_observed(spark, files, declared, STAGE, null_value=source.null_token)
        found = draft.profile(read.df.withColumnsRenamed(renames))
        read.verify()  # a line that does not fit the schema stops the scaffold, as it would stop Ingest
        return found
    reader = read_json_checked if source.format == "json" else read_parquet_checked
    return draft.profile(reader(spark, files, declared, STAGE).withColumnsRenamed(renames))


def scaffold(spark: SparkSession, name: str, sources: Sequence[SourceArg], root: Path,
             taken: Iterable[str] = ()) -> list[Path]:
    """Write the pipeline ``name`` under ``root`` (the project); return the files written.

    ``taken`` are the names of the pipelines already declared.
    """
    _check_identifier(name, "pipeline name")
    validate_name(name, "pipeline name")
    if name in taken:
        raise ScaffoldError(f"pipeline {name!r} is already declared; choose another name")
    files = planned_files(name, [s.name for s in sources], root)
    existing = [str(p.relative_to(root)) for p in files.values() if p.exists()]
    if existing:
        raise ScaffoldError(f"pipeline {name}: these files exist, nothing was written: {existing}")
    missing = [str(s.path) for s in sources if not s.path.exists()]
    if missing:
        raise ScaffoldError(f"no such file or folder: {missing}")
    formats = {s.name: source_format(s.path) for s in sources}
    if len(set(formats.values())) != 1:
        raise ScaffoldError(f"the sources have different formats {formats}: the state machine routes all "
                            "sources of an execution by one format; convert them or make two pipelines")
    inferred = {s.name: infer_schema(spark, s, formats[s.name]) for s in sources}
    raw = [RawSource(s.name, _declared_path(s.path, root), formats[s.name], inferred[s.name].ddl, s.null_token)
           for s in sources]
    renames = {source: found.renames for source, found in inferred.items()}
    with tempfile.TemporaryDirectory(prefix="baton-scaffold-") as staging:
        suites = {s.name: draft.draft_suite(read_as_ingest(spark, _resolved(s, root), renames[s.name],
                                                           Path(staging, s.name)),
                                            f"{name}_validate_{s.name}", s.name, s.path) for s in raw}
    contents = tpl.render(name, raw, renames, suites)
    for key, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contents[key], encoding="utf-8")
        log.info("wrote %s", path.relative_to(root))
    return list(files.values())


def planned_files(name: str, datasets: Sequence[str], root: Path) -> dict[str, Path]:
    """Every file the scaffold writes, by its template key."""
    files = {f"job_{stage}": root / "jobs" / f"{name}_{stage}.py" for stage in tpl.JOB_STAGES}
    files |= {"facts": root / "domains" / f"{name}.py", "transforms": root / "transforms" / f"{name}.py",
              "tests": root / "tests" / f"test_transforms_{name}.py",
              "declaration": root / "orchestration" / "declarations" / f"{name}.py"}
    files |= {f"suite_{d}": root / "quality" / "suites" / f"{name}_validate_{d}.json" for d in datasets}
    return files


def _declared_path(path: Path, root: Path) -> str:
    """The path as the facts declare it: relative to the project when inside it (runs start there)."""
    resolved = path.resolve()
    return resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else \
        resolved.as_posix()


def _resolved(source: RawSource, root: Path) -> RawSource:
    return RawSource(source.name, os.path.join(root, source.path), source.format, source.schema, source.null_token)
