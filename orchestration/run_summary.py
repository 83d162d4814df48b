"""What a local run reports: its summary, a backfill's, and each stage's committed counts and verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baton import paths
from baton.storage import Storage, read_json
from quality.verdict import Verdict


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


def quality_of(verdict: Verdict) -> dict[str, Any]:
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
