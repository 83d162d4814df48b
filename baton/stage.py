"""The stage runtime: what every job does around its transforms.

A job module declares a ``JobSpec`` and calls ``run_stage``. The runtime parses the
contract arguments (with ``awsglue.utils.getResolvedOptions``, on Glue and off it), gets
the SparkSession, starts a Glue job (bookmarks) only where Glue's JVM classes exist, and
hands the job a ``StageContext`` that reads committed inputs and commits outputs:

    write under executions/{id}/{stage}/_staging/{token}/  ->  move into place
    ->  _manifest.json  ->  _SUCCESS (last)

A reader refuses a dataset without ``_SUCCESS``, so a crash at any point leaves either
the previous committed output or nothing a later stage would read.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

import conf
from baton import logs, paths
from baton.errors import ArgumentError, BatonError, MissingInputError
from baton.faults import Faults
from baton.lineage import StageLineage
from baton.parquet_footer import normalize_encodings
from baton.spark import get_spark
from baton.storage import Storage, read_json, storage_for, write_json
from baton.warehouse import replace_partitions

CONTRACT_REQUIRED = ("execution-id", "current-stage")
CONTRACT_OPTIONAL = ("workflow-bucket", "previous-stage", "initial-data", "warehouse")
log = logging.getLogger("baton.stage")


@dataclass(frozen=True)
class JobSpec:
    """What a job module declares: its name, its own arguments and its body."""

    name: str
    body: Callable[[StageContext], None]
    required_args: Sequence[str] = ()
    optional_args: Mapping[str, str] = field(default_factory=dict)  # name -> default
    description: str = ""


def parse_job_args(argv: Sequence[str], spec: JobSpec) -> dict[str, str]:
    """Parse ``--name value`` pairs the way Glue does; ignore what Glue injects.

    Returns a dict keyed by the argument names with '-' (``execution-id``...).
    """
    from awsglue.utils import GlueArgumentError, getResolvedOptions

    required = list(CONTRACT_REQUIRED) + list(spec.required_args)
    if "--JOB_NAME" in argv:  # Glue passes it; getResolvedOptions returns it only when asked
        required.append("JOB_NAME")
    try:
        resolved = getResolvedOptions(list(argv), required)
    except GlueArgumentError as err:
        raise ArgumentError(f"job {spec.name}: {err}", argument=_missing_arg(str(err))) from None
    args = {name: resolved[name.replace("-", "_")] for name in required}
    optional = {name: "" for name in CONTRACT_OPTIONAL} | dict(spec.optional_args)
    parser = argparse.ArgumentParser(add_help=False)
    for name, default in optional.items():
        parser.add_argument(f"--{name}", default=default)
    known, _ = parser.parse_known_args(list(argv)[1:])
    args.update({name: getattr(known, name.replace("-", "_")) for name in optional})
    return args


def _missing_arg(message: str) -> str | None:
    # argparse: "the following arguments are required: --execution-id, --current-stage"
    marker = "required: "
    return message.split(marker, 1)[1].split(",")[0].strip() if marker in message else None


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


def contract_arg(args: Mapping[str, str], name: str, stage: str, master: Callable[[], str]) -> str:
    """The contract argument ``--name`` (the definition passes it to every job).

    Missing, it is an ``ArgumentError`` naming it and the stage, except in the local environment
    (``BATON_ENV`` unset or ``local``) with Spark in local mode (``master()``), where conf/local.json
    gives it, as a log line says: a job run by hand on a Glue or EMR driver (whose master is not
    ``local``, whatever ``BATON_ENV`` says) would otherwise write to the driver's local disk and "succeed".
    """
    if args.get(name):
        return args[name]
    env = conf.environment()
    if env != "local":
        raise ArgumentError(f"missing: the state machine passes it to every job (BATON_ENV={env})",
                            argument=f"--{name}", stage=stage)
    if not (spark_master := master()).startswith("local"):
        raise ArgumentError(f"missing: the state machine passes it to every job (Spark master {spark_master!r} is "
                            f"not local, so conf/local.json does not apply)", argument=f"--{name}", stage=stage)
    settings = conf.load(env)
    value = {"workflow-bucket": settings.workflow_bucket, "warehouse": settings.warehouse}[name]
    log.info("stage %s: --%s not given; %s gives %r (local environment)", stage, name, settings.file, value)
    return value


class StageContext:
    """One stage of one execution: reads committed inputs, commits outputs atomically."""

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
        self.started_at = _now()
        self.token = f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:8]}"
        self.committed: dict[str, dict[str, Any]] = {}
        self._reads: list[tuple[StructType, str]] = []  # (schema, key) of every read()

    # -- reading ---------------------------------------------------------------------
    def read(self, dataset: str, stage: str | None = None, kind: str = "output") -> DataFrame:
        """A committed dataset of ``stage`` (default: the previous stage)."""
        source = stage or self.previous_stage
        if source is None:
            raise MissingInputError(f"no previous stage was given to read dataset {dataset!r} from",
                                    stage=self.current_stage, argument="--previous-stage")
        key = paths.StagePaths(self.execution_id, source).dataset(kind, dataset)
        self.require_committed(key, source)
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
        problem = _commit_problem(self.storage, key)
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

    # -- writing ---------------------------------------------------------------------
    def write(self, dataset: str, df: DataFrame, kind: str = "output",
              quality: Mapping[str, Any] | None = None, partition_by: Sequence[str] = (),
              verify: Callable[[], Mapping[str, Any] | None] | None = None) -> dict[str, Any]:
        """Write ``df`` as Parquet with Spark under the staging prefix, then commit it into place.

        ``verify`` runs between the two: checks computed by the write itself (e.g.
        :meth:`baton.sources.ObservedRead.verify`); if it raises, nothing is committed. What it
        returns (facts of the read, such as the values read as null) goes into the manifest's ``read``.
        A committed dataset that passes through unchanged is :meth:`pass_through`'s.
        """
        staged = self.paths.staging(self.token, kind, dataset)
        writer = df.write.mode("overwrite")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(self.bucket.uri(staged))
        read = None
        if verify is not None:
            try:
                read = verify()
            except BaseException:
                self.storage.delete_prefix(staged)
                raise
        self.faults.check(self.current_stage, f"{kind}-staged")
        return self._commit(staged, self.paths.dataset(kind, dataset), dataset, kind, quality, read)

    def pass_through(self, dataset: str, stage: str | None = None, kind: str = "output",
                     quality: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Commit ``stage``'s (default: the previous stage's) committed ``dataset`` unchanged as this stage's.

        Its data files are copied as they are (no Spark job, the same bytes), then committed as
        :meth:`write` commits (manifest, ``_SUCCESS`` last); ``kind`` is the source's and the target's.
        """
        source = stage or self.previous_stage
        if source is None:
            raise MissingInputError(f"no previous stage was given to pass dataset {dataset!r} through from",
                                    stage=self.current_stage, argument="--previous-stage")
        key = paths.StagePaths(self.execution_id, source).dataset(kind, dataset)
        self.require_committed(key, source)
        staged = self.paths.staging(self.token, kind, dataset)
        self._copy_data_files(key, staged)
        self.faults.check(self.current_stage, f"{kind}-staged")
        manifest = self._commit(staged, self.paths.dataset(kind, dataset), dataset, kind, quality)
        if all(read != key for _, read in self._reads):  # an input, as if read
            self._reads.append((StructType.fromJson(manifest["schema"]), key))
        return manifest

    def _copy_data_files(self, source: str, staged: str) -> None:
        """Stage a committed dataset's data files unchanged (no Spark job): the rows pass through as they are."""
        for key in self.storage.list_keys(source):
            name = key[len(source) + 1:]
            if name not in (paths.MANIFEST, paths.SUCCESS):
                self.storage.copy(key, f"{staged}/{name}")

    def _commit(self, staged: str, final: str, dataset: str, kind: str,
                quality: Mapping[str, Any] | None, read: Mapping[str, Any] | None = None) -> dict[str, Any]:
        written = self.spark.read.parquet(self.bucket.uri(staged))
        rows, schema = written.count(), written.schema  # the count comes from the Parquet footers
        manifest = {
            "executionId": self.execution_id, "stage": self.current_stage, "dataset": dataset,
            "kind": kind, "job": self.job, "rows": rows, "bytes": self.storage.size_of_prefix(staged),
            "schema": json.loads(schema.json()), "startedAt": self.started_at, "endedAt": _now(),
            "quality": dict(quality) if quality else None, "read": dict(read) if read else None,
            "token": self.token,
        }
        manifest["files"] = sorted(k[len(staged) + 1:] for k in self.storage.list_keys(staged))
        previous = f"{self.paths.staging_root}/{self.token}/previous/{kind}/{dataset}"
        if self.storage.list_keys(final):
            # Un-trust the old output first, then swap: a crash here leaves no _SUCCESS.
            self.storage.delete(paths.success_key(final))
            self.storage.move_prefix(final, previous)
        self.storage.move_prefix(staged, final)
        self.faults.check(self.current_stage, f"{kind}-moved")
        write_json(self.storage, paths.manifest_key(final), manifest)
        self.faults.check(self.current_stage, f"{kind}-manifest")
        write_json(self.storage, paths.success_key(final), {"token": self.token, "rows": rows})
        self.storage.delete_prefix(previous)
        self.faults.check(self.current_stage, f"{kind}-committed")
        self.committed[f"{kind}/{dataset}"] = manifest
        return manifest

    def publish(self, table: str, df: DataFrame, partition_by: Sequence[str]) -> dict[str, Any]:
        """Load ``df`` into ``{warehouse}/{table}/``, replacing only the partitions it has.

        The warehouse is ``--warehouse`` (the definition passes the environment's; see ``contract_arg``).

        Each partition is written whole under staging (one file, rows in a fixed order, a fixed
        file name and, locally, a normalized footer, so a rerun writes identical bytes), then
        swapped into place under the table's lock, and the table committed whole (see
        :mod:`baton.warehouse`). Partitions this execution did not produce are never touched. The stage's own
        ``output/{table}/`` records what was loaded (manifest and ``_SUCCESS``, no data).
        """
        staged = f"{self.paths.staging_root}/{self.token}/warehouse/{table}"
        ordered = df.repartition(*partition_by).sortWithinPartitions(*df.columns)
        ordered.write.mode("overwrite").partitionBy(*partition_by).parquet(self.bucket.uri(staged))
        files = [k for k in self.storage.list_keys(staged) if k.endswith(".parquet")]
        partitions = sorted({k[len(staged) + 1:].rsplit("/", 1)[0] for k in files})
        target = paths.warehouse_table(table, self.warehouse)
        for part in partitions:
            part_files = sorted(k for k in files if k.startswith(f"{staged}/{part}/"))
            for index, key in enumerate(part_files):
                name = f"{staged}/{part}/part-{index:05d}.snappy.parquet"
                self.storage.move(key, name)
                if not self.bucket.is_s3:  # reproducible bytes (see baton.parquet_footer)
                    normalize_encodings(Path(self.bucket.root, name))
        replace_partitions(self.storage, staged, target, partitions, self.token,
                           after_each=lambda: self.faults.check(self.current_stage, "partition-replaced"))
        rows = df.sparkSession.read.parquet(*[self.bucket.uri(f"{target}/{p}") for p in partitions]).count() \
            if partitions else 0
        record = {"executionId": self.execution_id, "stage": self.current_stage, "job": self.job,
                  "table": target, "partitions": partitions, "rows": rows, "startedAt": self.started_at,
                  "endedAt": _now(), "token": self.token}
        final = self.paths.output(table)
        self.storage.delete(paths.success_key(final))
        write_json(self.storage, paths.manifest_key(final), record)
        write_json(self.storage, paths.success_key(final), {"token": self.token, "rows": rows})
        self.committed[f"warehouse/{table}"] = record
        return record

    def write_object(self, key: str, value: Any) -> None:
        write_json(self.storage, key, value)

    def clean_staging(self) -> None:
        """Remove this attempt's staging prefix (parallel jobs of one stage each have their own)."""
        self.storage.delete_prefix(f"{self.paths.staging_root}/{self.token}")


def _commit_problem(storage: Storage, key: str) -> str | None:
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _glue_job(spark: SparkSession, args: Mapping[str, str]) -> Any:
    """A started awsglue Job where Glue's JVM classes exist (on AWS Glue), else None."""
    try:
        spark.sparkContext._jvm.java.lang.Class.forName("com.amazonaws.services.glue.GlueContext")
    except Exception:  # py4j raises a generic Py4JJavaError when the class is absent
        return None
    from awsglue.context import GlueContext
    from awsglue.job import Job

    job = Job(GlueContext(spark.sparkContext))
    job.init(args.get("JOB_NAME", "baton"), dict(args))
    return job


def run_stage(spec: JobSpec, argv: Sequence[str] | None = None, spark: SparkSession | None = None,
              storage: Storage | None = None, faults: Faults | None = None) -> StageContext:
    """Run one stage job in this process. Raises ``BatonError`` on bad input or arguments.

    ``faults``: what to inject (see :mod:`baton.faults`); a job started on its own reads ``BATON_FAULTS``.
    """
    argv = list(sys.argv if argv is None else argv)
    args = parse_job_args(argv, spec)
    settings = conf.load()
    faults = Faults.from_environment(os.environ) if faults is None else faults
    spark = spark or get_spark(f"baton-{spec.name}", settings.spark)
    ctx = StageContext(spark, args, spec.name, storage=storage, faults=faults)
    glue_job = _glue_job(spark, args)
    lineage = StageLineage(ctx, settings.lineage)
    lineage.start()
    try:
        faults.check(ctx.current_stage, "start")
        spec.body(ctx)
    except BaseException as err:
        lineage.fail(err)
        raise
    lineage.complete()
    ctx.clean_staging()
    if glue_job is not None:
        glue_job.commit()
    return ctx


def main_entry(spec: JobSpec) -> None:
    """``if __name__ == "__main__"`` of a job: run it, log errors plainly, exit non-zero.

    Its log lines go to stderr, prefixed ``baton:``; what it committed goes to stdout.
    """
    logs.configure(logs.JOB_FORMAT)
    try:
        ctx = run_stage(spec)
    except BatonError as err:
        log.error("%s failed: %s", spec.name, err)
        sys.exit(err.exit_code)
    except Exception:
        log.exception("%s failed", spec.name)
        sys.exit(1)
    for name, manifest in ctx.committed.items():
        print(f"baton: {spec.name} committed {name}: {manifest['rows']} rows")


def stage_job(required_args: Sequence[str] = (), optional_args: Mapping[str, str] | None = None,
              description: str = "") -> Callable[[Callable[[StageContext], None]], Callable[[StageContext], None]]:
    """Make a job module of its body and the declaration of its own arguments.

        @stage_job(required_args=("source",), optional_args={"format": "csv"})
        def ingest(ctx: StageContext) -> None:
            ...

    The module gets ``SPEC`` (named after the module's file) and ``main(argv)``, which the local
    handlers and the tests call, as a module written by hand declares them. Run as a script
    (``spark-submit jobs/<job>.py ...``), the module runs its job as soon as the body is decorated,
    so the decorated body comes last in the module.
    """
    def declare(body: Callable[[StageContext], None]) -> Callable[[StageContext], None]:
        module = body.__globals__
        taken = [name for name in ("SPEC", "main") if name in module]
        if taken:
            raise ValueError(f"{module['__name__']}: @stage_job defines {taken}; remove them from the module")
        name = module["__name__"].rsplit(".", 1)[-1]
        if name == "__main__":
            name = Path(module["__file__"]).stem
        spec = JobSpec(name=name, body=body, required_args=tuple(required_args),
                       optional_args=dict(optional_args or {}),
                       description=description or (body.__doc__ or "").strip().split("\n", 1)[0])

        def main(argv: list[str] | None = None) -> StageContext:
            return run_stage(spec, argv)

        module["SPEC"], module["main"] = spec, main
        if module["__name__"] == "__main__":
            main_entry(spec)
        return body
    return declare
