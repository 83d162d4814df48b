"""Amazon States Language (JSONPath mode) generated from a pipeline declaration.

The same definition is deployed to AWS Step Functions and run by Baton's local executor.
Its shape, for the flights pipeline::

    Start (Choice: $.execution.id given?) -> NameExecution (Pass) -> Resume (Choice on $.resumeFromStage)
    Resume -> IngestFormat (Choice on $.initialData.format) -> Ingest<Format> (Parallel: one job per source)
           -> Conform (glue) -> Validate (emr) -> ReadValidateVerdict (s3:getObject) -> ValidateVerdict (Choice)
              passed:      ValidatePassed (Pass) -> Enrich
              correctable: Correct (glue) -> ReadCorrectVerdict -> CorrectVerdict -> CorrectPassed -> Enrich
              otherwise:   <Stage>QualityFailed (Pass) -> NotifyQualityFailure (sns) -> DataQualityFailed (Fail)
           -> Enrich (emr) -> Aggregate (glue) -> Load (glue) -> Succeeded
    every Task: Retry and Catch-all -> <State>Caught (Pass: names the state) -> NotifyFailure -> Failed

With a transient EMR cluster (conf ``emr.mode``), ``CreateCluster`` (createCluster.sync) runs before
the first EMR stage, or on resuming at a stage that needs the cluster (then ``ClusterReady`` routes
again), ``TerminateCluster`` after the last, and every failure ending terminates a cluster that is
still up (``<Fail>ClusterUp`` -> ``TerminateClusterBefore<Fail>``) before it fails.

One retry layer (DESIGN 8): each job task retries under its engine's policy (Glue: 5 minutes apart),
except the errors ``baton.errors.NOT_RETRYABLE`` names; the Parallel around the ingest tasks has no
Retry, so a failed branch never runs the other branches again. docs/operations.md says what is
retried locally and on AWS.

State data stays small: task results go through ResultSelector into ``$.results.<Stage>``.
The execution id the jobs write under is ``$.execution.id``: the execution's name, set at
the start, or given in the input to resume an earlier execution from a later stage.
"""

from __future__ import annotations

import json
from typing import Any

from baton.errors import BatonError
from orchestration.deployment import Deployment
from orchestration.generate_jsonata import to_jsonata
from orchestration.pipeline import Pipeline
from orchestration.pipeline_states import S3_PUT_OBJECT, SYNC_RESOURCES, StatesBuilder

TYPES = ("standard", "express")
QUERY_LANGUAGES = ("jsonpath", "jsonata")


class ExpressNotAllowed(BatonError):
    """Express workflows cannot run .sync (run-a-job) integrations."""


def generate(pipeline: Pipeline, deployment: Deployment, workflow_type: str = "standard",
             query_language: str = "jsonpath") -> dict[str, Any]:
    """The state machine definition of ``pipeline``; refuses Express for .sync tasks.

    ``query_language`` ``jsonata`` gives the same machine in JSONata form (:func:`to_jsonata`).
    """
    if workflow_type not in TYPES:
        raise ValueError(f"workflow type must be one of {TYPES}, got {workflow_type!r}")
    if query_language not in QUERY_LANGUAGES:
        raise ValueError(f"query language must be one of {QUERY_LANGUAGES}, got {query_language!r}")
    states = StatesBuilder(pipeline, deployment).build()
    definition = {
        "Comment": f"Baton pipeline {pipeline.name} ({workflow_type.upper()}): {pipeline.description}",
        "StartAt": "Start",
        "States": states,
    }
    if query_language == "jsonata":
        definition = {"QueryLanguage": "JSONata", **definition, "States": to_jsonata(states)}
    if workflow_type == "express":
        sync = sorted(n for n, s in states.items() if _uses_sync(s))
        if sync:
            raise ExpressNotAllowed(
                f"pipeline {pipeline.name} cannot be an Express workflow: Express runs only request-response "
                f"tasks, and these states wait for a job to finish (.sync): {', '.join(sync)}. "
                "Use --type standard.")
    return definition


def generate_backfill(pipeline: Pipeline, deployment: Deployment, max_concurrency: int | None = None,
                      tolerated_failure_percentage: float | None = None) -> dict[str, Any]:
    """The backfill machine of ``pipeline``: a Distributed Map whose every child runs the pipeline's
    own states (those :func:`generate` gives) on one partition.

    Its input names the partitions and what every child's ``initialData`` starts from::

        {"partitions": [{"month": "2013-01"}, {"month": "2013-02"}], "initialData": {"format": "csv"}}

    The child of ``{"month": "2013-02"}`` in execution ``bf-1`` is the pipeline execution ``bf-1-2013-02``
    with ``initialData`` ``{"format": "csv", "month": "2013-02"}``. The children's results are written
    under ``backfills/<map run id>/`` of the workflow bucket (ResultWriter); the limits default to the
    pipeline's :class:`~orchestration.pipeline.Backfill` declaration.
    """
    backfill = pipeline.backfill
    if backfill is None:
        raise ValueError(f"pipeline {pipeline.name} declares no backfill (Pipeline(backfill=Backfill(...)))")
    bucket = deployment.bucket
    key = backfill.partition_key
    child = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Start",
             "States": StatesBuilder(pipeline, deployment).build()}
    backfill_map = {
        "Type": "Map",
        "Comment": f"One execution of the {pipeline.name} pipeline per {key}; its {backfill.filtered_at} "
                   f"keeps that {key}'s rows and its Load replaces that {key}'s partitions only.",
        "ItemsPath": "$.partitions",
        "ItemSelector": {
            "execution": {"id.$": f"States.Format('{{}}-{{}}', $$.Execution.Name, $$.Map.Item.Value.{key})"},
            "initialData.$": "States.JsonMerge($.initialData, $$.Map.Item.Value, false)"},
        "ItemProcessor": child,
        "MaxConcurrency": backfill.max_concurrency if max_concurrency is None else max_concurrency,
        "ToleratedFailurePercentage": _number(backfill.tolerated_failure_percentage
                                              if tolerated_failure_percentage is None
                                              else tolerated_failure_percentage),
        "ResultWriter": {"Resource": S3_PUT_OBJECT, "Parameters": {
            "Bucket": bucket.root, "Prefix": "/".join(p for p in (bucket.prefix, "backfills") if p)}},
        "End": True}
    return {"Comment": f"Baton backfill of pipeline {pipeline.name}, one child execution per {key}",
            "StartAt": "Backfill", "States": {"Backfill": backfill_map}}


def _number(value: float) -> float | int:
    """A whole number as an integer (statelint wants ToleratedFailurePercentage 5, not 5.0)."""
    return int(value) if float(value).is_integer() else value


def _uses_sync(state: dict[str, Any]) -> bool:
    if state.get("Resource") in SYNC_RESOURCES:
        return True
    return any(_uses_sync(s) for b in state.get("Branches", []) for s in b["States"].values())


def to_json(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"
