"""Run a pipeline's generated state machine on this machine, with one SparkSession.

``LocalRun.start`` generates the pipeline's ASL for the local workflow bucket, loads it into
Baton's executor, and runs it with the local task handlers. What an execution leaves under
``executions/{id}/``, and how it is read back (ABORTED when its owner died), is in
:mod:`orchestration.executions`; what a run reports is in :mod:`orchestration.run_summary`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from baton import lease, paths
from baton.faults import Faults
from baton.spark import get_spark
from baton.storage import Storage, read_json, storage_for
from conf.settings import Settings
from orchestration.asl.clock import Clock, RealClock
from orchestration.asl.executor import Execution, load_definition
from orchestration.execution_record import LEASE_TTL, ExecutionLease, HistoryWriter, json_bytes
from orchestration.executions import DEFINITION, EXECUTION, HISTORY, RUNS, LocalExecutions, RunRefused
from orchestration.failure import Failure, failure_of, job_message
from orchestration.generate import generate, generate_backfill, to_json
from orchestration.handlers import LocalHandlers
from orchestration.pipeline import Pipeline
from orchestration.run_summary import BackfillSummary, RunSummary, quality_of, stage_counts
from quality.verdict import Verdict


class LocalRun(LocalExecutions):
    """Runs, resumes and describes local executions of one pipeline."""

    def __init__(self, pipeline: Pipeline, settings: Settings, workflow_bucket: str | None = None,
                 clock: Clock | None = None, echo: Callable[[str], None] | None = None,
                 query_language: str = "jsonpath", faults: Faults | None = None):
        super().__init__(settings, workflow_bucket)
        self.pipeline = pipeline
        self.faults = (faults or Faults()).owning_state()
        self.query_language = query_language  # which form of the generated definition runs
        self.clock = clock or RealClock(settings.retry.wait_factor)
        self.echo = echo or logging.getLogger("baton.local").info

    # -- public --------------------------------------------------------------------------
    def start(self, input: dict[str, Any], execution_id: str) -> RunSummary:
        paths.validate_name(execution_id, "execution id")
        return self._run(execution_id, dict(input), resume_from=None)

    def resume(self, execution_id: str, stage: str) -> RunSummary:
        record = self.describe(execution_id)
        if record["status"] == "RUNNING":
            owner = record.get("owner") or {}
            raise RunRefused(f"ExecutionNotRedrivable: execution {execution_id!r} is running (owner pid "
                             f"{owner.get('pid')} on host {owner.get('host')}, heartbeat {owner.get('heartbeat')}); "
                             "resume it once it has stopped")
        input = self.resume_input(execution_id, stage, record["runs"][0]["input"])
        return self._run(execution_id, input, resume_from=stage)

    def resume_input(self, execution_id: str, stage: str, first_input: dict[str, Any]) -> dict[str, Any]:
        """The input that re-enters ``execution_id`` at ``stage`` (also on AWS), once its input is committed.

        The extraction stage (``Ingest``) reads only the raw data: resuming there runs the whole pipeline again.
        """
        input = {k: v for k, v in first_input.items() if k not in ("resumeFromStage", "gated")}
        input |= {"execution": {"id": execution_id}, "resumeFromStage": stage}
        if stage == self.pipeline.extraction.name:
            return input
        try:
            target = self.pipeline.stage(stage)
        except KeyError:
            names = [self.pipeline.extraction.name] + [s.name for s in self.pipeline.all_stages()]
            raise RunRefused(f"pipeline {self.pipeline.name} has no stage {stage!r}; stages: {names}") from None
        gate = self.pipeline.gate_of(target)
        reads = target.previous
        if gate is not None and gate.correction is target:
            # The correction reads the gate's own outputs; the Resume Choice wants $.gated present, and
            # the correction's Passed state sets it.
            input["gated"] = {gate.name: gate.name}
        elif gate is not None:
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
        record = self._new_record(child_id, {"input": child.input, "resumeFrom": None, "status": "RUNNING",
                                             "startDate": start})
        for event in child.history:
            self.storage.append_line(self._key(child_id, HISTORY), json.dumps(event, default=str))
        self._finish(ExecutionLease(self.storage, self._key(child_id, EXECUTION), record), child,
                     failure_of(child.history))

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
        run = {"input": input, "resumeFrom": resume_from, "status": "RUNNING", "startDate": _iso(self.clock)}
        claimed = self._claim_new(execution_id, run) if resume_from is None else self._claim_resume(execution_id, run)
        self.storage.write_bytes(self._key(execution_id, DEFINITION), to_json(definition).encode())
        handlers = LocalHandlers(self.pipeline.jobs(), self.bucket, self.storage, echo=self.echo, faults=self.faults)
        get_spark(f"baton-{self.pipeline.name}", self.settings.spark)
        progress = _Progress(self.echo, time.monotonic())
        history = HistoryWriter(self.storage, self._key(execution_id, HISTORY), self.faults)

        def on_event(event: dict[str, Any]) -> None:
            history.append(event)
            progress.on_event(event)

        with ExecutionLease(self.storage, self._key(execution_id, EXECUTION), claimed, self.faults) as held:
            execution = machine.execute(input, name=execution_id, handlers=handlers.registry(), clock=self.clock,
                                        on_event=on_event, buckets=self._buckets())
            self._finish(held, execution, failure_of(execution.history))
        return execution, handlers, progress.elapsed()

    def _buckets(self) -> dict[str, Storage]:
        """The workflow bucket by the name the definitions give it (S3 keys there include its prefix)."""
        whole = replace(self.bucket, prefix="")
        return {self.bucket.root: self.storage if whole == self.bucket else storage_for(whole)}

    def _new_record(self, execution_id: str, run: dict[str, Any]) -> dict[str, Any]:
        return {"executionId": execution_id, "pipeline": self.pipeline.name, "workflowBucket": str(self.bucket),
                "startDate": run["startDate"],  # the execution's start; each run keeps its own
                "runs": [run], "status": "RUNNING", "stopDate": None}

    def _claim_new(self, execution_id: str, run: dict[str, Any]) -> dict[str, Any]:
        """The record of a new execution, created atomically: of two starts of one id, one is refused."""
        record = self._new_record(execution_id, run) | {"owner": lease.owner()}
        if not self.storage.create_exclusive(self._key(execution_id, EXECUTION), json_bytes(record)):
            raise RunRefused(f"ExecutionAlreadyExists: execution {execution_id!r} already exists in "
                             f"{self.bucket}; choose another --execution-id, or resume it")
        return record

    def _claim_resume(self, execution_id: str, run: dict[str, Any]) -> dict[str, Any]:
        """The record with one more run, once this process holds the claim of that run (``_runs/N.json``).

        A claim whose owner died before it recorded its run is taken over.
        """
        record = self.describe(execution_id)
        claim = self._key(execution_id, f"{RUNS}/{len(record['runs'])}.json")
        while not self.storage.create_exclusive(claim, json_bytes(lease.owner())):
            holder = read_json(self.storage, claim)
            if lease.death(holder, LEASE_TTL) is None:
                raise RunRefused(f"ExecutionNotRedrivable: another resume of execution {execution_id!r} is starting "
                                 f"(pid {holder['pid']} on host {holder['host']})")
            self.storage.delete(claim)
        record["runs"].append(run)
        return record | {"status": "RUNNING", "stopDate": None, "owner": lease.owner()}

    def _finish(self, held: ExecutionLease, execution: Execution, failure: Failure | None) -> None:
        stop = execution.stop_date.isoformat(timespec="milliseconds")
        outcome = {"status": execution.status, "stopDate": stop, "failedState": failure and failure.state,
                   "error": failure and failure.error, "cause": failure and failure.cause}
        held.finish(outcome)

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
                quality[stage.name] = quality_of(Verdict.from_json(read_json(self.storage, key)))
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


def _iso(clock: Clock) -> str:
    return clock.now().isoformat(timespec="milliseconds")
