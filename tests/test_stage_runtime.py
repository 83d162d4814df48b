"""The stage runtime: contract arguments, committed reads, atomic writes, warehouse loads."""

import json
import logging

import pytest
from chispa import assert_df_equality

import conf
from baton import paths
from baton.errors import ArgumentError, InjectedFault, InvalidNameError, MissingInputError
from baton.stage import JobSpec, StageContext, run_stage
from baton.stage_args import contract_arg, parse_job_args

SPEC = JobSpec(name="test_job", body=lambda ctx: None, required_args=("source",))


def argv(bucket, stage="Conform", previous="Ingest", execution="run-1", *extra):
    return ["job.py", "--execution-id", execution, "--current-stage", stage, "--previous-stage", previous,
            "--workflow-bucket", str(bucket), "--initial-data", '{"rawPath": "/data"}', "--source", "x",
            *extra]


def test_arguments_parse_like_glue_and_ignore_what_glue_injects(tmp_path):
    args = parse_job_args(argv(tmp_path, "Ingest", "", "run-1", "--JOB_ID", "j_1",
                               "--job-bookmark-option", "job-bookmark-enable", "--TempDir", "s3://t/"), SPEC)
    assert args["execution-id"] == "run-1" and args["source"] == "x" and "JOB_NAME" not in args
    assert json.loads(args["initial-data"]) == {"rawPath": "/data"}


def test_glue_job_name_is_kept_for_job_bookmarks(tmp_path):
    args = parse_job_args(argv(tmp_path) + ["--JOB_NAME", "baton-flights-conform"], SPEC)
    assert args["JOB_NAME"] == "baton-flights-conform"


def test_no_glue_job_starts_without_glue_jvm_classes(spark):
    from baton.stage import _glue_job

    assert _glue_job(spark, {"JOB_NAME": "x"}) is None


def test_a_missing_argument_is_named():
    with pytest.raises(ArgumentError, match="execution-id") as err:
        parse_job_args(["job.py", "--current-stage", "S", "--source", "x"], SPEC)
    assert err.value.argument == "--execution-id"


def test_bad_initial_data_is_refused(spark, tmp_path):
    args = parse_job_args(argv(tmp_path) + ["--initial-data", "{oops"], SPEC)
    with pytest.raises(ArgumentError, match="initial-data is not JSON"):
        StageContext(spark, args, "test_job")


@pytest.mark.parametrize(("flag", "value"), [("--execution-id", "../../etc"), ("--current-stage", "a/b"),
                                             ("--previous-stage", "..")])
def test_invalid_ids_and_stage_names_are_refused(spark, tmp_path, flag, value):
    args = parse_job_args(argv(tmp_path) + [flag, value], SPEC)
    with pytest.raises(InvalidNameError, match="invalid"):
        StageContext(spark, args, "test_job")


def test_a_job_without_its_workflow_bucket_fails_off_the_local_environment(spark, monkeypatch):
    monkeypatch.setenv("BATON_ENV", "dev")
    bare = ["job.py", "--execution-id", "run-1", "--current-stage", "Conform", "--source", "x"]
    with pytest.raises(ArgumentError) as raised:
        run_stage(SPEC, bare, spark=spark)
    assert str(raised.value) == ("stage Conform, argument --workflow-bucket: missing: the state machine passes it "
                                 "to every job (BATON_ENV=dev)")


def test_a_job_without_its_warehouse_fails_off_the_local_environment(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_ENV", "prod")
    with pytest.raises(ArgumentError, match=r"^stage Conform, argument --warehouse: missing"):
        StageContext(spark, parse_job_args(argv(tmp_path), SPEC), "test_job")


def test_the_local_environment_gives_a_missing_workflow_bucket_and_says_so(spark, monkeypatch, caplog):
    monkeypatch.delenv("BATON_ENV", raising=False)
    bare = ["job.py", "--execution-id", "run-1", "--current-stage", "Conform", "--source", "x"]
    with caplog.at_level(logging.INFO, logger="baton"):
        ctx = StageContext(spark, parse_job_args(bare, SPEC), "test_job")
    assert ctx.bucket == paths.WorkflowBucket.parse(conf.load("local").workflow_bucket)
    assert ctx.warehouse == conf.load("local").warehouse
    assert "--workflow-bucket not given; conf/local.json gives 'workflow'" in caplog.text


@pytest.mark.parametrize("master", ["yarn", "jes"])  # an EMR step's master, and a Glue job's
def test_a_job_on_a_cluster_without_its_workflow_bucket_fails_even_when_baton_env_is_unset(monkeypatch, master):
    monkeypatch.delenv("BATON_ENV", raising=False)
    with pytest.raises(ArgumentError) as raised:
        contract_arg({"execution-id": "run-1"}, "workflow-bucket", "Conform", lambda: master)
    assert str(raised.value) == ("stage Conform, argument --workflow-bucket: missing: the state machine passes it "
                                 f"to every job (Spark master '{master}' is not local, so conf/local.json does not "
                                 "apply)")


def context(spark, bucket, stage="Conform", previous="Ingest"):
    return StageContext(spark, parse_job_args(argv(bucket, stage, previous), SPEC), "test_job")


def test_write_commits_manifest_then_success(spark, tmp_path):
    ctx = context(spark, tmp_path)
    df = spark.createDataFrame([(1, "a"), (2, "b")], "id INT, v STRING")
    manifest = ctx.write("things", df, quality={"passed": True})
    key = ctx.paths.output("things")
    assert (tmp_path / key / "_SUCCESS").exists()
    on_disk = json.loads((tmp_path / key / "_manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(manifest))
    assert manifest["rows"] == 2 and manifest["bytes"] > 0 and manifest["job"] == "test_job"
    assert [f["name"] for f in manifest["schema"]["fields"]] == ["id", "v"]
    assert manifest["quality"] == {"passed": True}
    assert not list((tmp_path / ctx.paths.staging_root).glob("*/output/things"))
    assert_df_equality(ctx.read("things", stage="Conform"), df, ignore_row_order=True)


def test_a_dataset_passed_through_is_committed_by_copying_its_files(spark, tmp_path):
    df = spark.createDataFrame([(i, f"v{i}") for i in range(20)], "id INT, v STRING").repartition(3)
    context(spark, tmp_path, stage="Ingest", previous="Start").write("d", df)
    ctx = context(spark, tmp_path)
    manifest = ctx.pass_through("d")
    source, target = (tmp_path / paths.StagePaths("run-1", s).output("d") for s in ("Ingest", "Conform"))
    names = sorted(p.name for p in source.glob("part-*"))
    assert names and sorted(p.name for p in target.glob("part-*")) == names  # Spark would name new files anew
    assert all((source / n).read_bytes() == (target / n).read_bytes() for n in names)
    assert (manifest["rows"], manifest["stage"], manifest["kind"]) == (20, "Conform", "output")
    assert (target / "_SUCCESS").exists()
    assert ctx.inputs() == [(paths.StagePaths("run-1", "Ingest").output("d"), ctx.read("d").schema)]
    assert_df_equality(ctx.read("d", stage="Conform"), df, ignore_row_order=True)
    with pytest.raises(MissingInputError, match="does not exist"):
        ctx.pass_through("d", kind="quarantine")


def test_write_always_writes_with_spark(spark, tmp_path):
    df = spark.createDataFrame([(i, f"v{i}") for i in range(20)], "id INT, v STRING").repartition(3)
    context(spark, tmp_path, stage="Ingest", previous="Start").write("d", df)
    ctx = context(spark, tmp_path)
    read = ctx.read("d")
    names = {p.name for p in (tmp_path / paths.StagePaths("run-1", "Ingest").output("d")).glob("part-*")}
    for same in (read, read.select("id", "v")):
        written = ctx.write("e", same)  # rewritten by Spark: new files
        assert written["rows"] == 20
        assert not {p.name for p in (tmp_path / ctx.paths.output("e")).glob("part-*")} & names


def test_read_refuses_missing_and_partial_inputs(spark, tmp_path):
    ctx = context(spark, tmp_path)
    with pytest.raises(MissingInputError, match="does not exist") as missing:
        ctx.read("flights")
    assert missing.value.stage == "Conform" and "Ingest/output/flights/_SUCCESS" in missing.value.path
    partial = tmp_path / paths.StagePaths("run-1", "Ingest").output("flights")
    partial.mkdir(parents=True)
    (partial / "part-00000.parquet").write_bytes(b"half a file")
    with pytest.raises(MissingInputError, match="is partial"):
        ctx.read("flights")


def test_rewrite_replaces_the_whole_output(spark, tmp_path):
    first = spark.createDataFrame([(i,) for i in range(10)], "id INT")
    second = spark.createDataFrame([(99,)], "id INT")
    context(spark, tmp_path).write("d", first)
    context(spark, tmp_path).write("d", second)
    assert_df_equality(context(spark, tmp_path).read("d", stage="Conform"), second)


def test_a_failure_before_commit_keeps_the_committed_output(spark, tmp_path, monkeypatch):
    good = spark.createDataFrame([(1,)], "id INT")
    context(spark, tmp_path).write("d", good)
    out = tmp_path / paths.StagePaths("run-1", "Conform").output("d")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def failing_commit(*_args, **_kwargs):
        raise InjectedFault("crash between write and commit", stage="Conform")

    ctx = context(spark, tmp_path)
    monkeypatch.setattr(ctx, "_commit", failing_commit)
    with pytest.raises(InjectedFault):
        ctx.write("d", spark.createDataFrame([(2,), (3,)], "id INT"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_fault_injection_fails_the_named_stage(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_FAULTS", "Other:fail,Conform:fail")
    with pytest.raises(InjectedFault, match="injected failure"):
        run_stage(SPEC, argv(tmp_path), spark=spark)


def test_fail_once_fails_only_the_first_attempt(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_FAULTS", "Conform:fail-once")
    monkeypatch.setenv("BATON_FAULTS_STATE", str(tmp_path / "faults"))
    with pytest.raises(InjectedFault):
        run_stage(SPEC, argv(tmp_path), spark=spark)
    run_stage(SPEC, argv(tmp_path), spark=spark)


def test_publish_replaces_only_the_partitions_it_produced(spark, tmp_path):
    schema = "year INT, month INT, v STRING"
    first = context(spark, tmp_path, "Load", "Aggregate")
    first.publish("t", spark.createDataFrame([(2013, 1, "old"), (2013, 2, "old")], schema), ("year", "month"))
    second = StageContext(spark, parse_job_args(argv(tmp_path, "Load", "Aggregate", "run-2"), SPEC), "test_job")
    record = second.publish("t", spark.createDataFrame([(2013, 2, "new"), (2013, 2, "new2")], schema),
                            ("year", "month"))
    assert record["partitions"] == ["year=2013/month=2"] and record["rows"] == 2
    table = spark.read.parquet(str(tmp_path / "warehouse" / "t"))
    assert sorted((r.month, r.v) for r in table.collect()) == [(1, "old"), (2, "new"), (2, "new2")]
    part = tmp_path / "warehouse/t/year=2013/month=2"
    assert sorted(p.name for p in part.iterdir() if not p.name.startswith(".")) == ["part-00000.snappy.parquet"]
    assert (tmp_path / second.paths.output("t") / "_SUCCESS").exists()
