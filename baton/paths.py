"""The path convention of the stage contract. Nothing else formats these paths.

    executions/{executionId}/{stage}/output/{dataset}/       Parquet, _manifest.json, _SUCCESS last
    executions/{executionId}/{stage}/quarantine/{dataset}/   rows that failed the stage's suite
    executions/{executionId}/{stage}/quality/{dataset}/      GE validation result, Data Docs page
    executions/{executionId}/{stage}/quality/verdict.json    what the state machine reads
    executions/{executionId}/{stage}/_staging/{token}/       where a write lands before its commit
    {warehouse}/{table}/                                     final partitioned tables

A workflow bucket is ``s3://bucket[/prefix]`` on AWS or a local directory. The warehouse is a
prefix of it, set per environment (``conf/<env>.json``: ``"warehouse"``, e.g. ``warehouse``):
every execution of that environment loads into the same tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from baton.errors import InvalidNameError

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,80}")
KINDS = ("output", "quarantine", "quality")
SUCCESS = "_SUCCESS"
MANIFEST = "_manifest.json"


def validate_name(value: object, what: str) -> str:
    """Return ``value`` if it can be a path part (1-80 of ``[A-Za-z0-9_-]``), else raise."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise InvalidNameError(
            f"invalid {what} {value!r}: expected 1 to 80 characters of A-Z, a-z, 0-9, '_' or '-' "
            "(no '/', no '..', not empty)"
        )
    return value


@dataclass(frozen=True)
class WorkflowBucket:
    """Where executions live: an S3 bucket (with optional prefix) or a local directory."""

    scheme: str  # "s3" or "file"
    root: str  # bucket name for s3, absolute directory for file
    prefix: str = ""

    @classmethod
    def parse(cls, value: str) -> WorkflowBucket:
        if not value:
            raise InvalidNameError("the workflow bucket is empty")
        if value.startswith(("s3://", "s3a://")):
            parsed = urlparse(value)
            if not parsed.netloc:
                raise InvalidNameError(f"no bucket name in {value!r}")
            return cls("s3", parsed.netloc, parsed.path.strip("/"))
        local = value[len("file://"):] if value.startswith("file://") else value
        return cls("file", str(Path(local).expanduser().resolve()))

    @property
    def is_s3(self) -> bool:
        return self.scheme == "s3"

    def uri(self, key: str = "") -> str:
        """The address Spark reads and writes: s3://bucket/prefix/key or file:///dir/key."""
        full = "/".join(p for p in (self.prefix, key) if p)
        if self.is_s3:
            return f"s3://{self.root}/{full}"
        # Not Path.as_uri(): Spark does not decode its percent-escapes ('=' of a partition).
        return "file://" + Path(self.root, full).as_posix()

    def __str__(self) -> str:
        return self.uri().rstrip("/") if self.is_s3 else self.root


def execution_prefix(execution_id: str) -> str:
    return f"executions/{validate_name(execution_id, 'execution id')}"


@dataclass(frozen=True)
class StagePaths:
    """Keys (relative to the workflow bucket) of one stage of one execution."""

    execution_id: str
    stage: str

    def __post_init__(self) -> None:
        validate_name(self.execution_id, "execution id")
        validate_name(self.stage, "stage name")

    @property
    def prefix(self) -> str:
        return f"{execution_prefix(self.execution_id)}/{self.stage}"

    def dataset(self, kind: str, dataset: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return f"{self.prefix}/{kind}/{validate_name(dataset, 'dataset name')}"

    def output(self, dataset: str) -> str:
        return self.dataset("output", dataset)

    def quarantine(self, dataset: str) -> str:
        return self.dataset("quarantine", dataset)

    def quality(self, dataset: str) -> str:
        return self.dataset("quality", dataset)

    @property
    def verdict(self) -> str:
        return f"{self.prefix}/quality/verdict.json"

    @property
    def staging_root(self) -> str:
        return f"{self.prefix}/_staging"

    def staging(self, token: str, kind: str, dataset: str) -> str:
        return f"{self.staging_root}/{validate_name(token, 'staging token')}/{kind}/{dataset}"


def success_key(dataset_key: str) -> str:
    return f"{dataset_key}/{SUCCESS}"


def manifest_key(dataset_key: str) -> str:
    return f"{dataset_key}/{MANIFEST}"


def validate_warehouse(value: object) -> str:
    """Return ``value`` if it is a warehouse prefix: names of ``validate_name`` joined by '/', not executions/."""
    parts = value.split("/") if isinstance(value, str) else [value]
    for part in parts:
        validate_name(part, "warehouse")
    if parts[0] == "executions":
        raise InvalidNameError(f"invalid warehouse {value!r}: executions/ belongs to the executions; "
                               "choose a prefix outside it, e.g. 'warehouse'")
    return value


def warehouse_table(table: str, warehouse: str) -> str:
    """The key of ``table`` in the warehouse ``warehouse`` (a prefix of the workflow bucket)."""
    return f"{validate_warehouse(warehouse)}/{validate_name(table, 'table name')}"


def notifications(execution_id: str) -> str:
    return f"{execution_prefix(execution_id)}/_notifications.jsonl"
