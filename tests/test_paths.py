import pytest

from baton import paths
from baton.errors import InvalidNameError


@pytest.mark.parametrize("name", ["a", "Exec_1-2", "x" * 80])
def test_valid_names_pass(name):
    assert paths.validate_name(name, "execution id") == name


@pytest.mark.parametrize("name", ["", "..", "a/b", "../etc", "a b", "é", "x" * 81, None, "a.b"])
def test_invalid_names_are_refused_with_the_field_named(name):
    with pytest.raises(InvalidNameError, match="invalid execution id"):
        paths.validate_name(name, "execution id")


def test_stage_paths_follow_the_contract():
    p = paths.StagePaths("run-1", "Conform")
    assert p.output("flights") == "executions/run-1/Conform/output/flights"
    assert p.quarantine("flights") == "executions/run-1/Conform/quarantine/flights"
    assert p.quality("flights") == "executions/run-1/Conform/quality/flights"
    assert p.verdict == "executions/run-1/Conform/quality/verdict.json"
    assert p.staging("t1", "output", "flights") == "executions/run-1/Conform/_staging/t1/output/flights"
    assert paths.warehouse_table("on_time", "warehouse") == "warehouse/on_time"
    assert paths.warehouse_table("on_time", "tables/staging-test") == "tables/staging-test/on_time"


@pytest.mark.parametrize("warehouse", ["", "/abs", "a/../b", "a//b", "a/", "s3://bucket/w", "executions",
                                       "executions/w", None])
def test_a_warehouse_is_a_prefix_of_the_workflow_bucket_outside_executions(warehouse):
    with pytest.raises(InvalidNameError, match="warehouse"):
        paths.warehouse_table("on_time", warehouse)


def test_stage_paths_refuse_traversal():
    with pytest.raises(InvalidNameError):
        paths.StagePaths("run-1", "../Ingest")
    with pytest.raises(InvalidNameError):
        paths.StagePaths("run-1", "Conform").output("../../x")


def test_workflow_bucket_parses_s3_and_local(tmp_path):
    s3 = paths.WorkflowBucket.parse("s3://my-bucket/team/baton")
    assert s3.is_s3 and s3.root == "my-bucket" and s3.prefix == "team/baton"
    assert s3.uri("executions/e/S/output/d") == "s3://my-bucket/team/baton/executions/e/S/output/d"
    local = paths.WorkflowBucket.parse(str(tmp_path))
    assert not local.is_s3
    assert local.uri("executions/e/year=2013") == f"file://{tmp_path}/executions/e/year=2013"
    with pytest.raises(InvalidNameError):
        paths.WorkflowBucket.parse("s3://")
