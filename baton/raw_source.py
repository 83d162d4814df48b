"""A raw source as a pipeline's facts declare it: where its files are, their format, schema and null token.

Declarations, jobs and tests all read a domain's sources, so this module imports no pyspark.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_FORMATS = ("csv", "json", "parquet")


@dataclass(frozen=True)
class RawSource:
    """One raw source.

    ``path`` is a file, or a folder of files of ``format``, local or ``s3://``; an execution's
    ``initialData.sources.<name>`` overrides it. ``schema`` is DDL (``"id INT, `Home city` STRING"``).
    ``null_token`` (CSV only) is the field value read as null besides an empty field: "" means
    only empty fields are null.
    """

    name: str
    path: str
    format: str
    schema: str
    null_token: str

    def __post_init__(self) -> None:
        if self.format not in RAW_FORMATS:
            raise ValueError(f"source {self.name}: format must be one of {list(RAW_FORMATS)}, got {self.format!r}")
