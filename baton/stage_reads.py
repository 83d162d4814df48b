"""What a stage reads: its contract, and the committed datasets of earlier stages.

:class:`StageReads` holds one stage's place (execution, stage, bucket, storage, staging token) and
reads committed inputs; a dataset whose ``_SUCCESS`` Baton did not write, or whose files are missing,
is refused (:func:`commit_problem`). :class:`baton.stage_context.StageContext` adds the commits.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from baton import paths
from baton.errors import ArgumentError, MissingInputError
from baton.faults import Faults
from baton.stage_args import contract_arg
from baton.storage import Storage, read_json, storage_for


def _parse_initial_data(raw: str, stage: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ArgumentError(f"--initial-data is not JSON: {err}", stage=stage, argument="--initial-data") from None
    if not isinstance(value, dict):
        raise ArgumentError("--initial-data must be a JSON object", stage=stage, argument="--initial-data")
    return value


class StageReads:
    """One stage of one execution and the committed inputs it reads."""

    def __init__(self, spark: SparkSession, args: Mapping[str, str], job: str,
                 storage: Storage | None = None, faults: Faults | None = None):
        self.spark = spark
        self.faults = faults or Faults()
        self.job = job
        self.args = dict(args)
        self.current_stage = paths.validate_name(args["current-stage"], "stage name")
        self.execution_id = paths.validate_name(args["execution-id"], "execution id")
        previous = args.get("previous-stage") or ""
        self.previous_stage = paths.validate_name(previous, "previous stage name") if previous else None
        self.bucket = paths.WorkflowBucket.parse(contract_arg(args, "workflow-bucket", self.current_stage,
                                                                lambda: spark.sparkContext.master))
        self.warehouse = contract_arg(args, "warehouse", self.current_stage, lambda: spark.sparkContext.master)
        self.storage = storage or storage_for(self.bucket, stage=self.current_stage)
        self.initial_data = _parse_initial_data(args.get("initial-data", ""), self.current_stage)
        self.paths = paths.StagePaths(self.execution_id, self.current_stage)
        self.started_at = now()
        self.token = f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:8]}"
        self.committed: dict[str, dict[str, Any]] = {}
        self._reads: list[tuple[StructType, str]] = []  # (schema, key) of every read()


    def committed_key(self, dataset: str, stage: str | None, kind: str, use: str) -> str:
        """The key of ``stage``'s (default: the previous stage's) committed ``dataset``, refused unless committed."""
        source = stage or self.previous_stage
        if source is None:
            raise MissingInputError(f"no previous stage was given to {use} dataset {dataset!r} from",
                                    stage=self.current_stage, argument="--previous-stage")
        key = paths.StagePaths(self.execution_id, source).dataset(kind, dataset)
        self.require_committed(key, source)
        return key

    def read(self, dataset: str, stage: str | None = None, kind: str = "output") -> DataFrame:
        """A committed dataset of ``stage`` (default: the previous stage)."""
        key = self.committed_key(dataset, stage, kind, "read")
        df = self.spark.read.parquet(self.bucket.uri(key))
        self._reads.append((df.schema, key))
        return df

    def require_committed(self, key: str, source_stage: str) -> None:
        if not self.storage.exists(paths.success_key(key)):
            partial = bool(self.storage.list_keys(key))
            state = "is partial (no _SUCCESS)" if partial else "does not exist"
            raise MissingInputError(
                f"input {key}/ of stage {source_stage} {state}: that stage did not commit its output; "
                f"run or resume {source_stage} first",
                stage=self.current_stage, path=self.bucket.uri(paths.success_key(key)))
        problem = commit_problem(self.storage, key)
        if problem:
            raise MissingInputError(f"input {key}/ of stage {source_stage} {problem}; run or resume {source_stage} "
                                    "again", stage=self.current_stage, path=self.bucket.uri(key))

    def committed_manifest(self, dataset: str, stage: str | None = None, kind: str = "output") -> dict[str, Any]:
        """The ``_manifest.json`` of a committed dataset (default: of the previous stage)."""
        source = stage or self.previous_stage or self.current_stage
        key = paths.StagePaths(self.execution_id, source).dataset(kind, dataset)
        self.require_committed(key, source)
        return read_json(self.storage, paths.manifest_key(key))

    def inputs(self) -> list[tuple[str, StructType]]:
        """``(key, schema)`` of every committed dataset this stage read, in reading order."""
        return [(key, schema) for schema, key in self._reads]


def commit_problem(storage: Storage, key: str) -> str | None:
    """What makes a dataset with a ``_SUCCESS`` untrustworthy, or None.

    Baton's ``_SUCCESS`` names its commit's token, as its ``_manifest.json`` does; a zero-byte one
    comes from another writer. Every file the manifest lists must be there.
    """
    try:
        marker = read_json(storage, paths.success_key(key))
    except ValueError:
        marker = None
    if not isinstance(marker, dict) or "token" not in marker or not storage.exists(paths.manifest_key(key)):
        return "has a _SUCCESS that Baton did not write (no commit token, or no _manifest.json)"
    manifest = read_json(storage, paths.manifest_key(key))
    if manifest.get("token") != marker["token"]:
        return "has a _SUCCESS and a _manifest.json of different commits"
    present = {k[len(key) + 1:] for k in storage.list_keys(key)}
    missing = sorted(set(manifest.get("files", [])) - present)
    return f"lacks {len(missing)} file(s) its _manifest.json lists: {missing[:3]}" if missing else None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
