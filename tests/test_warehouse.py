"""The warehouse location: per environment (conf/<env>.json), handed to the jobs by the definition."""

import pytest

import conf
from baton.stage import JobSpec, StageContext
from baton.stage_args import parse_job_args
from orchestration.deployment import Deployment
from orchestration.generate import generate
from orchestration.pipelines import FLIGHTS

SPEC = JobSpec(name="test_load", body=lambda ctx: None)


def load_context(spark, bucket, warehouse: str | None) -> StageContext:
    argv = ["job.py", "--execution-id", "run-1", "--current-stage", "Load", "--previous-stage", "Aggregate",
            "--workflow-bucket", str(bucket)] + (["--warehouse", warehouse] if warehouse else [])
    return StageContext(spark, parse_job_args(argv, SPEC), "test_load")


def test_publish_loads_into_the_warehouse_it_is_given(spark, tmp_path):
    ctx = load_context(spark, tmp_path, "tables/test-run")
    df = spark.createDataFrame([(2013, 1, "a")], "year INT, month INT, v STRING")
    record = ctx.publish("t", df, ("year", "month"))
    assert record["table"] == "tables/test-run/t"
    assert (tmp_path / "tables/test-run/t/year=2013/month=1/part-00000.snappy.parquet").is_file()
    assert not (tmp_path / "warehouse").exists()


def test_without_the_argument_publish_uses_the_environment_setting(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_ENV", "local")
    ctx = load_context(spark, tmp_path, None)
    record = ctx.publish("t", spark.createDataFrame([(2013, 1, "a")], "year INT, month INT, v STRING"),
                         ("year", "month"))
    assert record["table"] == f"{conf.load('local').warehouse}/t"


@pytest.mark.parametrize("env", conf.ENVIRONMENTS)
def test_every_environment_names_its_warehouse_and_the_definition_passes_it_to_every_job(env):
    settings = conf.load(env)
    deployment = Deployment.from_settings(settings)
    assert deployment.warehouse == settings.warehouse
    states = generate(FLIGHTS, deployment)["States"]
    assert states["Load"]["Parameters"]["Arguments"]["--warehouse"] == settings.warehouse
    assert f"'--warehouse', '{settings.warehouse}'" in states["Enrich"]["Parameters"]["Step"]["HadoopJarStep"][
        "Args.$"]
