"""Run a pipeline's generated state machine on this machine, with one SparkSession.

``LocalRun.start`` generates the pipeline's ASL for the local workflow bucket, loads it into
Baton's executor, and runs it with the local task handlers. Everything an execution leaves
is under ``executions/{id}/``:

    _definition.asl.json   the definition that ran (the same one ``baton asl`` prints)
    _execution.json        status, input, start and stop of each run (start, then resumes); the
                           failed state, its error and the job's message when a run failed
    _history.jsonl         Step Functions-shaped history events of every run
    _notifications.jsonl   what sns:publish sent
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from baton import paths
from baton.errors import BatonError
from baton.spark import get_spark
from baton.stage import FAULTS_ENV
from baton.storage import Storage, read_json, storage_for, write_json
from conf.settings import Settings
from orchestration.asl.clock import Clock, RealClock
from orchestration.asl.executor import Execution, load_definition
from orchestration.failure import Failure, failure_of, job_message
from orchestration.generate import Deployment, generate, generate_backfill, to_json
from orchestration.handlers import LocalHandlers
from orchestration.pipeline import Pipeline
from quality.verdict import Verdict

DEFINITION = "_definition.asl.json"
EXECUTION = "_execution.json"
HISTORY = "_history.jsonl"


class RunRefused(BatonError):
    """A run or resume that would be wrong to start (duplicate id, missing outputs, unknown stage)."""


@dataclass
class RunSummary:
    execution_id: str
    pipeline: str
    status: str
    workflow_bucket: str
    seconds: float
    stages: list[dict[str, Any]]
    quality: dict[str, dict[str, Any]]
    error: str | None = None
    cause: str | None = None
    reports: dict[str, str] = field(default_factory=dict)
    failed_state: str | None = None  # with error and cause: see orchestration.failure

    def to_json(self) -> dict[str, Any]:
        return {"executionId": self.execution_id, "pipeline": self.pipeline, "status": self.status,
                "workflowBucket": self.workflow_bucket, "seconds": round(self.seconds, 1), "stages": self.stages,
                "quality": self.quality, "failedState": self.failed_state, "error": self.error, "cause": self.cause,
                "reports": self.reports}

    def failure_text(self) -> str:
        """``state Conform: InjectedFault: <the job's message>``, the error named once."""
        message = self.cause or ""
        said = message if message.startswith(f"{self.error}: ") else f"{self.error}: {message}"
        return f"state {self.failed_state}: {said}" if self.failed_state else said


@dataclass
class BackfillSummary:
    """A backfill: its status, and per partition the pipeline execution that ran it."""

    execution_id: str
    pipeline: str
    status: str
    workflow_bucket: str
    seconds: float
    partitions: list[dict[str, Any]]  # {"partition", "executionId", "status", "error", "cause"}
    map_run_arn: str | None
    results: str | None  # the ResultWriter's manifest.json
    error: str | None = None
    cause: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"executionId": self.execution_id, "pipeline": self.pipeline, "status": self.status,
                "workflowBucket": self.workflow_bucket, "seconds": round(self.seconds, 1),
                "partitions": self.partitions, "mapRunArn": self.map_run_arn, "results": self.results,
                "error": self.error, "cause": self.cause}


class LocalExecutions:
    """The executions in an environment's workflow bucket, of any pipeline: what status, history and list read."""

    def __init__(self, settings: Settings, workflow_bucket: str | None = None):
        self.settings = settings
        self.deployment = Deployment.from_settings(settings, workflow_bucket)
        self.bucket = self.deployment.bucket
        self.storage: Storage = storage_for(self.bucket)

    def describe(self, execution_id: str) -> dict[str, Any]:
        key = self._key(execution_id, EXECUTION)
        if not self.storage.exists(key):
            raise RunRefused(f"ExecutionDoesNotExist: no execution {execution_id!r} in {self.bucket}")
        return read_json(self.storage, key)

    def history(self, execution_id: str) -> list[dict[str, Any]]:
        self.describe(execution_id)
        text = self.storage.read_bytes(self._key(execution_id, HISTORY)).decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def list(self) -> list[dict[str, Any]]:
        keys = [k for k in self.storage.list_keys("executions") if k.endswith(f"/{EXECUTION}")]
        return [read_json(self.storage, k) for k in sorted(keys)]

    @staticmethod
    def _key(execution_id: str, name: str) -> str:
        return f"{paths.execution_prefix(execution_id)}/{name}"


class LocalRun(LocalExecutions):
    """Runs, resumes and describes local executions of one pipeline."""

    def __init__(self, pipeline: Pipeline, settings: Settings, workflow_bucket: str | None = None,
                 clock: Clock | None = None, echo: Callable[[str], None] | None = None,
                 query_language: str = "jsonpath"):
        super().__init__(settings, workflow_bucket)
        self.pipeline = pipeline
        self.query_language = query_language  # which form of the generated definition runs
        self.clock = clock or RealClock(settings.retry.wait_factor)
        self.echo = echo or logging.getLogger("baton.local").info

    # -- public --------------------------------------------------------------------------
    def start(self, input: dict[str, Any], execution_id: str) -> RunSummary:
        paths.validate_name(execution_id, "execution id")
        if self.storage.exists(self._key(execution_id, EXECUTION)):
            raise RunRefused(f"ExecutionAlreadyExists: execution {execution_id!r} already exists in "
                             f"{self.bucket}; choose another --execution-id, or resume it")
        return self._run(execution_id, dict(input), resume_from=None)

    def resume(self, execution_id: str, stage: str) -> RunSummary:
        record = self.describe(execution_id)
        input = self.resume_input(execution_id, stage, record["runs"][0]["input"])
        return self._run(execution_id, input, resume_from=stage)

    def resume_input(self, execution_id: str, stage: str, first_input: dict[str, Any]) -> dict[str, Any]:
        """The input that re-enters ``execution_id`` at ``stage`` (also on AWS), once its input is committed."""
        try:
            target = self.pipeline.stage(stage)
        except KeyError:
            names = [s.name for s in self.pipeline.all_stages()]
            raise RunRefused(f"pipeline {self.pipeline.name} has no stage {stage!r}; stages: {names}") from None
        input = {k: v for k, v in first_input.items() if k not in ("resumeFromStage", "gated")}
        input |= {"execution": {"id": execution_id}, "resumeFromStage": stage}
        gate = self.pipeline.gate_of(target)
        reads = target.previous
        if gate is not None:
            reads = self._gate_output(execution_id, gate.name, gate.correction.name)
            input["gated"] = {gate.name: reads}
        if reads is not None:
            self._require_committed(execution_id, reads, stage)
        return input

    def backfill(self, first: str, last: str, execution_id: str, initial_data: dict[str, Any],
                 max_concurrency: int | None = None, tolerated_failure_percentage: float | None = None
                 ) -> BackfillSummary:
        """Run the pipeline once per partition from ``first`` to ``last`` (the backfill machine, a Distributed Map).

        Each partition is a pipeline execution of its own, ``<execution_id>-<partition>`` (``baton status``,
        ``history`` and ``resume`` take it), recorded here from the Map Run's child execution.
        """
        backfill = self.pipeline.backfill
        if backfill is None:
            raise RunRefused(f"pipeline {self.pipeline.name} declares no backfill")
        partitions = backfill.partitions(first, last)
        for name in [execution_id] + [f"{execution_id}-{partition}" for partition in partitions]:
            paths.validate_name(name, "execution id")
            if self.storage.exists(self._key(name, EXECUTION)):
                raise RunRefused(f"ExecutionAlreadyExists: execution {name!r} already exists in {self.bucket}; "
                                 "choose another --execution-id")
        definition = generate_backfill(self.pipeline, self.deployment, max_concurrency, tolerated_failure_percentage)
        input = {"partitions": [{backfill.partition_key: partition} for partition in partitions],
                 "initialData": initial_data}
        execution, _, seconds = self._execute(execution_id, definition, input, resume_from=None)
        rows = []
        map_run = execution.map_runs[0] if execution.map_runs else None
        for child in map_run.executions if map_run else []:
            child_id = child.input["execution"]["id"]
            self._record_child(child_id, child)
            rows.append({"partition": child.input["initialData"][backfill.partition_key], "executionId": child_id,
                         "status": child.status, "error": child.error, "cause": child.cause})
        results = execution.output.get("ResultWriterDetails", {}).get("Key") if execution.output else None
        return BackfillSummary(execution_id, self.pipeline.name, execution.status, str(self.bucket), seconds, rows,
                               map_run.arn if map_run else None, results and self.bucket.uri(results),
                               execution.error, execution.cause)

    def _record_child(self, child_id: str, child: Execution) -> None:
        """A backfill's child as an execution of the pipeline: its definition, record and history."""
        definition = generate(self.pipeline, self.deployment)
        self.storage.write_bytes(self._key(child_id, DEFINITION), to_json(definition).encode())
        start = child.start_date.isoformat(timespec="milliseconds")
        record = self._record(child_id, {"input": child.input, "resumeFrom": None, "status": "RUNNING",
                                         "startDate": start})
        self._finish(child_id, record, child, failure_of(child.history))

    # -- running -------------------------------------------------------------------------
    def _run(self, execution_id: str, input: dict[str, Any], resume_from: str | None) -> RunSummary:
        definition = generate(self.pipeline, self.deployment, query_language=self.query_language)
        execution, handlers, seconds = self._execute(execution_id, definition, input, resume_from)
        self._write_report(execution_id)
        failure = failure_of(execution.history)
        summary = self._summary(execution, handlers, seconds)
        if failure is None:
            return summary
        return replace(summary, failed_state=failure.state, error=failure.error, cause=failure.cause)

    def _execute(self, execution_id: str, definition: dict[str, Any], input: dict[str, Any],
                 resume_from: str | None) -> tuple[Execution, LocalHandlers, float]:
        """Run ``definition`` with the local handlers, recording the run; the execution, handlers, seconds."""
        machine = load_definition(definition, name=f"baton-{self.pipeline.name}")
        self.storage.write_bytes(self._key(execution_id, DEFINITION), to_json(definition).encode())
        handlers = LocalHandlers(self.pipeline.jobs(), self.bucket, self.storage, echo=self.echo)
        get_spark(f"baton-{self.pipeline.name}", self.settings.spark)
        run = {"input": input, "resumeFrom": resume_from, "status": "RUNNING", "startDate": _iso(self.clock)}
        record = self._record(execution_id, run)
        progress = _Progress(self.echo, time.monotonic())
        with _fault_state():
            execution = machine.execute(input, name=execution_id, handlers=handlers.registry(), clock=self.clock,
                                        on_event=progress.on_event, buckets=self._buckets())
        self._finish(execution_id, record, execution, failure_of(execution.history))
        return execution, handlers, progress.elapsed()

    def _buckets(self) -> dict[str, Storage]:
        """The workflow bucket by the name the definitions give it (S3 keys there include its prefix)."""
        whole = replace(self.bucket, prefix="")
        return {self.bucket.root: self.storage if whole == self.bucket else storage_for(whole)}

    def _record(self, execution_id: str, run: dict[str, Any]) -> dict[str, Any]:
        key = self._key(execution_id, EXECUTION)
        record = read_json(self.storage, key) if self.storage.exists(key) else {
            "executionId": execution_id, "pipeline": self.pipeline.name, "workflowBucket": str(self.bucket),
            "startDate": run["startDate"], "runs": []}  # the execution's start; each run keeps its own
        record["runs"].append(run)
        record |= {"status": "RUNNING", "stopDate": None}
        write_json(self.storage, key, record)
        return record

    def _finish(self, execution_id: str, record: dict[str, Any], execution: Execution,
                failure: Failure | None) -> None:
        for event in execution.history:
            self.storage.append_line(self._key(execution_id, HISTORY), json.dumps(event, default=str))
        stop = execution.stop_date.isoformat(timespec="milliseconds")
        outcome = {"status": execution.status, "stopDate": stop, "failedState": failure and failure.state,
                   "error": failure and failure.error, "cause": failure and failure.cause}
        record["runs"][-1] |= outcome
        record |= outcome
        write_json(self.storage, self._key(execution_id, EXECUTION), record)

    def _write_report(self, execution_id: str) -> None:
        """The execution's HTML report; a report that cannot be written never fails the run."""
        from orchestration.views.report import write_report  # the report reads stage_counts from here

        try:
            self.echo(f"report: {self.bucket.uri(write_report(self.storage, execution_id))}")
        except Exception as err:  # whatever the reason, the run's outcome stands
            logging.getLogger("baton").warning("no report for execution %s: %s: %s", execution_id,
                                               type(err).__name__, err)

    # -- checks --------------------------------------------------------------------------
    def _gate_output(self, execution_id: str, gate: str, correction: str) -> str:
        """Which stage's output passed the gate: the correction's if it ran and passed, else the gate's."""
        for stage in (correction, gate):
            key = paths.StagePaths(execution_id, stage).verdict
            if self.storage.exists(key) and Verdict.from_json(read_json(self.storage, key)).passed:
                return stage
        raise RunRefused(f"neither {gate} nor {correction} of execution {execution_id!r} has a passed verdict; "
                         f"resume from {gate} instead")

    def _require_committed(self, execution_id: str, stage: str, resuming: str) -> None:
        prefix = f"{paths.StagePaths(execution_id, stage).prefix}/output"
        datasets = {k[len(prefix) + 1:].split("/", 1)[0] for k in self.storage.list_keys(prefix)}
        missing = sorted(d for d in datasets
                         if not self.storage.exists(paths.success_key(f"{prefix}/{d}")))
        if not datasets or missing:
            what = f"datasets {missing} lack _SUCCESS" if missing else "no committed output"
            raise RunRefused(f"cannot resume {resuming}: stage {stage} of execution {execution_id!r} has {what} "
                             f"under {self.bucket.uri(prefix)}/; resume from an earlier stage")

    # -- summary -------------------------------------------------------------------------
    def _summary(self, execution: Execution, handlers: LocalHandlers, seconds: float) -> RunSummary:
        rows = []
        for key in dict.fromkeys((a.stage, a.source) for a in handlers.attempts):
            runs = [a for a in handlers.attempts if (a.stage, a.source) == key]
            stage, source = key
            rows.append({"stage": stage if source is None else f"{stage} {source}", "engine": runs[0].engine,
                         **stage_counts(self.storage, execution.name, stage, only=source),
                         "seconds": round(sum(a.seconds for a in runs), 1), "attempts": len(runs),
                         "succeeded": runs[-1].succeeded})
        quality = {}
        for stage in (s for s in self.pipeline.all_stages() if s.gated):
            key = paths.StagePaths(execution.name, stage.name).verdict
            if self.storage.exists(key):
                quality[stage.name] = _quality_of(Verdict.from_json(read_json(self.storage, key)))
        return RunSummary(execution.name, self.pipeline.name, execution.status, str(self.bucket), seconds, rows,
                          quality, execution.error, execution.cause, self._reports(execution.name))

    def _reports(self, execution_id: str) -> dict[str, str]:
        base = paths.execution_prefix(execution_id)
        reports = {"execution": self.bucket.uri(base), "history": self.bucket.uri(f"{base}/{HISTORY}")}
        for stage in (s for s in self.pipeline.all_stages() if s.gated):
            verdict = paths.StagePaths(execution_id, stage.name).verdict
            if self.storage.exists(verdict):
                reports[f"{stage.name} verdict"] = self.bucket.uri(verdict)
                reports[f"{stage.name} Data Docs"] = self.bucket.uri(f"{base}/{stage.name}/quality/index.html")
        if self.storage.exists(paths.notifications(execution_id)):
            reports["notifications"] = self.bucket.uri(paths.notifications(execution_id))
        reports["warehouse"] = self.bucket.uri(self.deployment.warehouse)
        return reports


class _Progress:
    """Prints which state runs and how long it took, from the executor's history events."""

    def __init__(self, echo: Callable[[str], None], started: float):
        self.echo = echo
        self.started = started

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        at = f"[{self.elapsed():7.1f}s]"
        if kind == "TaskStateEntered":
            self.echo(f"{at} > {event['stateEnteredEventDetails']['name']}")
        elif kind == "TaskFailed":
            details = event["taskFailedEventDetails"]
            self.echo(f"{at} ! task failed: {details.get('error')}: {str(job_message(details.get('cause')))[:300]}")
        elif kind in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            self.echo(f"{at} {kind}")


class _fault_state:
    """Give BATON_FAULTS's fail-once a place to count attempts for the length of a run."""

    def __enter__(self) -> None:
        self.made = None
        if os.environ.get(FAULTS_ENV) and not os.environ.get("BATON_FAULTS_STATE"):
            self.made = tempfile.TemporaryDirectory(prefix="baton-faults-")
            os.environ["BATON_FAULTS_STATE"] = self.made.name

    def __exit__(self, *exc: object) -> None:
        if self.made is not None:
            del os.environ["BATON_FAULTS_STATE"]
            self.made.cleanup()


def stage_counts(storage: Storage, execution_id: str, stage: str, only: str | None = None) -> dict[str, Any]:
    """A stage's rows out and quarantined, summed over its committed datasets (``only``: that one) and listed.

    ``{"rowsOut", "rowsQuarantined", "nullsRead", "datasets": {name: {"rowsOut", "rowsQuarantined",
    "nullsRead"}}}`` from the manifests of datasets with ``_SUCCESS``; a sum is None when the stage
    committed no dataset of that kind. ``nullsRead`` (``dataset.column``) keeps the columns where the
    read turned values into null (the source's null token, or an empty field).
    """
    datasets: dict[str, dict[str, Any]] = {}
    for kind, field_name in (("output", "rowsOut"), ("quarantine", "rowsQuarantined")):
        prefix = f"{paths.StagePaths(execution_id, stage).prefix}/{kind}"
        for key in storage.list_keys(prefix):
            name, _, rest = key[len(prefix) + 1:].partition("/")
            dataset_key = f"{prefix}/{name}"
            if rest != paths.MANIFEST or (only and name != only) or not storage.exists(paths.success_key(dataset_key)):
                continue
            manifest = read_json(storage, key)
            entry = datasets.setdefault(name, {})
            entry[field_name] = manifest["rows"]
            nulls = {c: n for c, n in ((manifest.get("read") or {}).get("nullsRead") or {}).items() if n}
            if nulls:
                entry["nullsRead"] = nulls

    def total(field_name: str) -> int | None:
        counted = [d[field_name] for d in datasets.values() if field_name in d]
        return sum(counted) if counted else None

    counts = {"rowsOut": total("rowsOut"), "rowsQuarantined": total("rowsQuarantined")}
    nulls = {f"{d}.{c}": n for d, entry in sorted(datasets.items()) for c, n in entry.get("nullsRead", {}).items()}
    if nulls:
        counts["nullsRead"] = nulls
    return counts | {"datasets": dict(sorted(datasets.items()))}


def _quality_of(verdict: Verdict) -> dict[str, Any]:
    """What the summary shows of a gated stage's verdict: its totals, and the counts of every gated dataset."""
    parts = verdict.datasets or {}
    return {"passed": verdict.passed, "correctable": verdict.correctable, "rows": verdict.rows,
            "failedRows": verdict.failed_rows, "correctableRows": verdict.correctable_rows, "reason": verdict.reason,
            "correctedRows": sum(v.corrected_rows or 0 for v in parts.values()),
            "droppedRows": sum(v.dropped_rows or 0 for v in parts.values()),
            "datasets": {d: _dataset_quality(v) for d, v in parts.items()}}


def _dataset_quality(verdict: Verdict) -> dict[str, Any]:
    """A gated dataset's counts in the summary, with what its verdict has of corrections, drops and orphans."""
    optional = {"correctedRows": verdict.corrected_rows, "droppedRows": verdict.dropped_rows,
                "dropped": None if verdict.dropped is None else dict(verdict.dropped),
                "orphans": None if verdict.orphans is None else [dict(o) for o in verdict.orphans]}
    return {"passed": verdict.passed, "rows": verdict.rows, "failedRows": verdict.failed_rows,
            "correctableRows": verdict.correctable_rows} | {k: v for k, v in optional.items() if v is not None}


def _iso(clock: Clock) -> str:
    return clock.now().isoformat(timespec="milliseconds")
