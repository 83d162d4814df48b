"""Transient EMR mode: the definition creates a cluster before the first EMR stage and terminates it after
the last, and on every failure path; the local executor runs those states with the local handlers.

Jobs are stand-ins here (no Spark): what is tested is the generated control flow around the cluster.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from deployments import deployment

from baton.errors import SettingError
from baton.paths import WorkflowBucket
from baton.storage import LocalStorage
from orchestration.asl.clock import FakeClock
from orchestration.asl.errors import TaskFailure
from orchestration.asl.executor import load_definition
from orchestration.deployment import Deployment, TransientCluster
from orchestration.generate import generate, to_json
from orchestration.handlers import LocalHandlers
from orchestration.pipeline_states import EMR_ADD_STEP_SYNC, GLUE_SYNC, S3_GET_OBJECT
from orchestration.pipelines import FLIGHTS, TPCH

CLUSTER = TransientCluster(releaseLabel="emr-spark-8.0.0", instanceType="m5.xlarge", coreInstances=2,
                           serviceRole="baton-dev-emr-service", instanceProfile="baton-dev-emr-instance",
                           logUri="s3://baton-dev-workflow/emr-logs/")


def _deployment(tmp_path, mode="transient") -> Deployment:
    return deployment(str(tmp_path / "workflow"), emr_mode=mode, emr_cluster=CLUSTER if mode == "transient" else None)


class _Run:
    """Runs a definition with the local handlers, jobs replaced by recorders; ``fail`` names a failing stage."""

    def __init__(self, tmp_path, pipeline=FLIGHTS, fail: str | None = None):
        bucket = WorkflowBucket.parse(str(tmp_path / "workflow"))
        self.handlers = LocalHandlers(pipeline.jobs(), bucket, LocalStorage(bucket.root), echo=lambda _: None)
        self.fail = fail
        self.steps: list[tuple[str, str]] = []  # (stage, cluster id) of each EMR step
        self.definition = generate(pipeline, _deployment(tmp_path))

    def _job(self, stage: str) -> dict:
        if stage == self.fail:
            raise TaskFailure("ArgumentError", "stand-in failure")  # not retried: NOT_RETRYABLE
        return {}

    def glue(self, parameters, context):
        self._job(parameters["Arguments"]["--current-stage"])
        return {"Id": "jr_1", "JobRunState": "SUCCEEDED", "ExecutionTime": 1}

    def emr(self, parameters, context):
        args = parameters["Step"]["HadoopJarStep"]["Args"]
        stage = args[args.index("--current-stage") + 1]
        self.steps.append((stage, parameters["ClusterId"]))
        self._job(stage)
        return {"Step": {"Id": "s-1", "Status": {"State": "COMPLETED"}}}

    @staticmethod
    def verdict(parameters, context):
        return {"Body": json.dumps({"passed": True, "correctable": False, "reason": "ok"})}

    def execute(self, input=None):
        registry = self.handlers.registry() | {GLUE_SYNC: self.glue, EMR_ADD_STEP_SYNC: self.emr,
                                               S3_GET_OBJECT: self.verdict}
        execution = load_definition(self.definition).execute(input or {"initialData": {}}, name="run-1",
                                                             handlers=registry, clock=FakeClock())
        entered = [e["stateEnteredEventDetails"]["name"] for e in execution.history
                   if e["type"].endswith("StateEntered")]
        return execution, entered


def test_the_cluster_lives_from_the_first_to_the_last_emr_stage(tmp_path):
    run = _Run(tmp_path)
    execution, entered = run.execute()
    assert execution.status == "SUCCEEDED"
    assert entered.index("Conform") < entered.index("CreateCluster") < entered.index("Validate")
    assert entered.index("Enrich") < entered.index("TerminateCluster") < entered.index("Aggregate")
    (cluster,) = run.handlers.clusters
    assert run.handlers.clusters[cluster] == "TERMINATED"
    assert run.steps == [("Validate", cluster), ("Enrich", cluster)]


@pytest.mark.parametrize("stage", ["Validate", "Enrich"])
def test_a_failure_while_the_cluster_is_up_terminates_it(tmp_path, stage):
    run = _Run(tmp_path, fail=stage)
    execution, entered = run.execute()
    assert execution.status == "FAILED"
    assert "TerminateClusterBeforeFailed" in entered
    assert list(run.handlers.clusters.values()) == ["TERMINATED"]


def test_a_failure_after_the_cluster_is_gone_does_not_terminate_it_again(tmp_path):
    run = _Run(tmp_path, fail="Aggregate")
    execution, entered = run.execute()
    assert execution.status == "FAILED"
    assert entered.count("TerminateCluster") == 1
    assert "TerminateClusterBeforeFailed" not in entered


def test_a_failure_before_the_cluster_exists_creates_none(tmp_path):
    run = _Run(tmp_path, fail="Conform")
    execution, entered = run.execute()
    assert execution.status == "FAILED"
    assert run.handlers.clusters == {}
    assert "TerminateClusterBeforeFailed" not in entered


def test_resuming_at_an_emr_stage_creates_the_cluster_then_goes_there(tmp_path):
    run = _Run(tmp_path)
    execution, entered = run.execute({"initialData": {}, "execution": {"id": "run-0"}, "resumeFromStage": "Enrich",
                                      "gated": {"Validate": "Validate"}})
    assert execution.status == "SUCCEEDED"
    assert entered[entered.index("CreateCluster"):entered.index("CreateCluster") + 3] == [
        "CreateCluster", "ClusterReady", "Enrich"]
    assert "Conform" not in entered and "Validate" not in entered


def test_resuming_after_the_last_emr_stage_needs_no_cluster(tmp_path):
    run = _Run(tmp_path)
    execution, entered = run.execute({"initialData": {}, "execution": {"id": "run-0"}, "resumeFromStage": "Load"})
    assert execution.status == "SUCCEEDED"
    assert "CreateCluster" not in entered and run.handlers.clusters == {}


def test_tpch_terminates_after_its_last_emr_stage(tmp_path):
    run = _Run(tmp_path, pipeline=TPCH)
    execution, entered = run.execute()
    assert execution.status == "SUCCEEDED"
    assert entered.index("Denormalize") < entered.index("TerminateCluster") < entered.index("Aggregate")


def test_existing_mode_names_the_cluster_and_creates_none(tmp_path):
    definition = generate(FLIGHTS, deployment(str(tmp_path), emr_cluster_id="j-1ABC"))
    assert "CreateCluster" not in definition["States"]
    assert definition["States"]["Enrich"]["Parameters"]["ClusterId"] == "j-1ABC"


def test_transient_mode_refuses_an_extraction_on_emr(tmp_path):
    on_emr = dataclasses.replace(FLIGHTS, extraction=dataclasses.replace(FLIGHTS.extraction, engine="emr"))
    with pytest.raises(SettingError, match=r"^setting emr\.mode: pipeline flights: a transient EMR cluster starts "
                                           r"after the extraction"):
        generate(on_emr, _deployment(tmp_path))


def test_transient_mode_needs_a_cluster_description(tmp_path):
    with pytest.raises(SettingError, match="setting emr.cluster: emr.mode transient needs the cluster"):
        deployment(str(tmp_path), emr_mode="transient")


def test_statelint_accepts_the_transient_definitions(tmp_path):
    paths = []
    for pipeline in (FLIGHTS, TPCH):
        paths.append(tmp_path / f"{pipeline.name}.json")
        paths[-1].write_text(to_json(generate(pipeline, _deployment(tmp_path))))
    statelint = Path(sys.executable).with_name("statelint")
    proc = subprocess.run([str(statelint), *map(str, paths)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
