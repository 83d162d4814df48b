"""The executions in a workflow bucket, read: describe, history, list, and ABORTED for a dead owner.

Everything an execution leaves is under ``executions/{id}/``:

    _definition.asl.json   the definition that ran (the same one ``baton asl`` prints)
    _execution.json        status, input, start and stop of each run (start, then resumes); the
                           failed state, its error and the job's message when a run failed; while a
                           run goes on, its owner (pid, host, heartbeat)
    _history.jsonl         Step Functions-shaped history events of every run, appended as they happen
    _notifications.jsonl   what sns:publish sent
    _runs/N.json           the claim of the N-th resume (an exclusive create: one resume at a time)

A start creates ``_execution.json`` exclusively: of two starts of one id, one is refused. The record is
rewritten whole and atomically; the owner refreshes its heartbeat (see :mod:`orchestration.execution_record`). An
execution whose record says RUNNING but whose owner is dead (killed, or silent for ``LEASE_TTL``) is
described as ABORTED, with the stage that was running; it can be resumed from that stage. See
docs/reliability.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

from baton import lease, paths
from baton.errors import BatonError
from baton.storage import Storage, read_json, storage_for
from conf.settings import Settings
from orchestration import pipelines
from orchestration.deployment import Deployment
from orchestration.execution_record import LEASE_TTL

DEFINITION = "_definition.asl.json"
EXECUTION = "_execution.json"
HISTORY = "_history.jsonl"
RUNS = "_runs"
_CURRENT_STAGE = re.compile(r'"--current-stage"[:,]"([A-Za-z0-9_-]+)"')


class RunRefused(BatonError):
    """A run or resume that would be wrong to start (duplicate id, missing outputs, unknown stage)."""



class LocalExecutions:
    """The executions in an environment's workflow bucket, of any pipeline: what status, history and list read."""

    def __init__(self, settings: Settings, workflow_bucket: str | None = None):
        self.settings = settings
        self.deployment = Deployment.from_settings(settings, workflow_bucket)
        self.bucket = self.deployment.bucket
        self.storage: Storage = storage_for(self.bucket)

    def describe(self, execution_id: str) -> dict[str, Any]:
        """The execution's record; RUNNING with a dead owner is ABORTED, failed in the stage that was running."""
        key = self._key(execution_id, EXECUTION)
        if not self.storage.exists(key):
            raise RunRefused(f"ExecutionDoesNotExist: no execution {execution_id!r} in {self.bucket}")
        return self._alive_or_aborted(read_json(self.storage, key))

    def _alive_or_aborted(self, record: dict[str, Any]) -> dict[str, Any]:
        owner = record.get("owner")
        why = lease.death(owner, LEASE_TTL) if record.get("status") == "RUNNING" and owner else None
        if why is None:
            return record
        stage = self._running_stage(record)
        outcome = {"status": "ABORTED", "stopDate": owner["heartbeat"], "failedState": stage, "error": "OwnerDied",
                   "cause": f"{why} while stage {stage} ran; resume with: baton resume {record['executionId']} "
                            f"--from {stage}"}
        record["runs"][-1] |= outcome
        return record | outcome

    def _running_stage(self, record: dict[str, Any]) -> str:
        """The stage of the last task the last run scheduled (else the stage that run started at)."""
        first = pipelines.get(record["pipeline"]).extraction.name
        stage = first
        for event in self.history(record["executionId"], describe=False):
            if event["type"] == "ExecutionStarted":  # a run starts at its resumeFromStage, if any
                started = json.loads(event["executionStartedEventDetails"]["input"])
                stage = started.get("resumeFromStage") or first
            found = _CURRENT_STAGE.search(event.get("taskScheduledEventDetails", {}).get("parameters", ""))
            if found:
                stage = found.group(1)
        return stage

    def history(self, execution_id: str, describe: bool = True) -> list[dict[str, Any]]:
        """Every run's events; a last line torn by a kill is left out (the next run's first append repairs it)."""
        if describe:
            self.describe(execution_id)
        key = self._key(execution_id, HISTORY)
        if not self.storage.exists(key):
            return []
        lines = self.storage.read_bytes(key).decode().split("\n")
        return [json.loads(line) for line in lines[:-1] if line.strip()]  # after the last newline: torn or ""

    def list(self) -> list[dict[str, Any]]:
        keys = [k for k in self.storage.list_keys("executions") if k.endswith(f"/{EXECUTION}")]
        return [self._alive_or_aborted(read_json(self.storage, k)) for k in sorted(keys)]

    @staticmethod
    def _key(execution_id: str, name: str) -> str:
        return f"{paths.execution_prefix(execution_id)}/{name}"
