"""Hostile input: each class is refused with an error naming what is wrong (or handled as decided), and
nothing already committed changes. docs/reliability.md ("Hostile input") lists every class, its decision
and its test; the classes that tests/test_bad_input.py, test_paths.py, test_ingest_formats.py and
test_quality_gate.py already cover are pointed to there, not repeated here.
"""

import json
import re
from pathlib import Path

import pytest

from baton import paths
from baton.errors import BadInputError, InvalidNameError, MissingInputError
from baton.ingest import ingest_source
from baton.raw_source import RawSource
from baton.sources import MAX_FIELD_CHARS, RawFile, read_csv_observed, read_parquet_checked, schema
from baton.stage import StageContext
from jobs import flights_ingest
from orchestration import cli
from quality.gate import evaluate
from quality.suite import SuiteError, suite_from_dict

HEADER = "carrier,name\n"
GOOD = HEADER + "AA,American Airlines Inc.\nUA,United Air Lines Inc.\n"
COMMITTED_ID = "hostile-1"


def ingest(raw: Path, bucket: Path, source="airlines", execution=COMMITTED_ID, fmt="csv"):
    return flights_ingest.main([
        "i.py", "--execution-id", execution, "--current-stage", "Ingest", "--workflow-bucket", str(bucket),
        "--initial-data", json.dumps({"rawPath": str(raw)}), "--source", source, "--format", fmt])


def write_raw(tmp_path: Path, name: str, content: str | bytes) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    path = raw / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, newline="")
    return raw


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    """A workflow bucket where Ingest committed airlines; ``unchanged()`` says its bytes are as they were.

    One for the module (an ingest is a Spark job): a test that commits uses an execution of its own.
    """
    bucket = tmp_path_factory.mktemp("committed") / "wf"
    ingest(write_raw(bucket.parent / "good", "airlines.csv", GOOD), bucket)
    out = bucket / paths.StagePaths(COMMITTED_ID, "Ingest").prefix  # not the execution's _lineage.jsonl log

    def snapshot():
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and "_staging" not in p.parts}

    before = snapshot()
    return bucket, lambda: snapshot() == before


def committed_rows(spark, bucket: Path, execution: str, source="airlines"):
    df = spark.read.parquet(str(bucket / paths.StagePaths(execution, "Ingest").output(source)))
    return sorted(tuple(r) for r in df.collect())


# --- CSV that is refused ---------------------------------------------------------------------------------------
PLANES = "tailnum,year,type,manufacturer,model,engines,seats,speed,engine\n"
LATIN1 = (HEADER + "AA,American\nAF,Air Fran\xe7e\n").encode("latin-1")
# the bad byte beyond the 64 KiB the header check reads: only Spark's pass sees it (as U+FFFD)
LATIN1_LATE = (HEADER + "AA,American\n" * 7000 + "AF,Air Fran\xe7e\n").encode("latin-1")


@pytest.mark.parametrize(("source", "content", "words", "field"), [
    ("airlines", HEADER + 'AA,"American Airlines\nUA,United\n', ["a quote is never closed", "opened at line 2"],
     None),
    ("airlines", HEADER + "AA,American\nAirlines\n", ["malformed line with 1 fields", "'Airlines'"], "name"),
    ("airlines", (HEADER + "AA,American\n").encode("utf-16"), ["UTF-16", "byte order mark"], None),
    ("airlines", LATIN1, ["not UTF-8 at line 3", "0xe7"], None),
    ("airlines", LATIN1_LATE, ["not UTF-8 at line 7002", "0xe7"], None),
    ("airlines", "carrier,name,name\nAA,American,x\n", ["duplicate column(s) ['name']"], "name"),
    ("airlines", "AA,American Airlines Inc.\n", ["missing column(s) ['carrier', 'name']"], "carrier"),
    ("planes", PLANES + "N1,3000000000,t,m,m,2,100,NA,e\n", ["'3000000000' is out of the range of int"], "year"),
], ids=["unclosed-quote", "unquoted-newline", "utf-16", "latin-1", "latin-1-past-the-header",
        "duplicate-header", "missing-header", "int-overflow"])
def test_refused_csv_names_file_stage_and_field(tmp_path, committed, source, content, words, field):
    bucket, unchanged = committed
    raw = write_raw(tmp_path, f"{source}.csv", content)
    with pytest.raises(BadInputError) as err:
        ingest(raw, bucket, source=source)
    assert err.value.stage == "Ingest" and f"{source}.csv" in err.value.path
    assert all(word in str(err.value) for word in words), str(err.value)
    assert err.value.column == field
    assert unchanged()


def test_a_decimal_with_more_digits_than_declared_is_refused(spark, tmp_path, committed):
    bucket, unchanged = committed
    raw = write_raw(tmp_path, "fares.csv", "id,fare\n1,12.5\n2,12345.678\n")
    source = RawSource("fares", str(raw / "fares.csv"), "csv", "id INT, fare DECIMAL(5,2)", "")
    ctx = StageContext(spark, {"execution-id": COMMITTED_ID, "current-stage": "Ingest", "workflow-bucket": str(bucket),
                               "source": "fares"}, "fares_ingest")
    with pytest.raises(BadInputError) as err:
        ingest_source(ctx, {"fares": source})
    assert "'12345.678' is out of the range of decimal(5,2)" in str(err.value)
    assert err.value.column == "fare" and "fares.csv" in err.value.path and err.value.stage == "Ingest"
    assert unchanged()


@pytest.fixture(scope="session")
def hundred_mb_line(tmp_path_factory):
    """A CSV whose second record is one 100 MB line, written once per session."""
    raw = tmp_path_factory.mktemp("huge")
    with (raw / "airlines.csv").open("w") as handle:
        handle.write(HEADER + "UA,United\nAA,")
        chunk = "x" * (1 << 20)
        for _ in range(100):
            handle.write(chunk)
        handle.write("\n")
    return raw


@pytest.mark.slow
def test_a_100_mb_line_fails_clearly_without_running_out_of_memory(hundred_mb_line, committed):
    bucket, unchanged = committed
    with pytest.raises(BadInputError) as err:
        ingest(hundred_mb_line, bucket)
    assert "airlines.csv" in err.value.path and err.value.stage == "Ingest"
    assert "the file cannot be read" in str(err.value) and f"({MAX_FIELD_CHARS})" in str(err.value)
    assert unchanged()


# --- CSV that is accepted, as decided ------------------------------------------------------------------------------
@pytest.mark.parametrize(("content", "rows"), [
    (HEADER + 'AA,"American\nAirlines"\nUA,United\n', [("AA", "American\nAirlines"), ("UA", "United")]),
    (HEADER + 'AA,"American ""Air"" Lines"\nUA,"Uni\nted"\n', [("AA", 'American "Air" Lines'), ("UA", "Uni\nted")]),
    ("\ufeff" + HEADER + "AA,American\n", [("AA", "American")]),
    ("carrier,name,founded\nAA,American,1930\n", [("AA", "American")]),
    ("name,carrier\nAmerican,AA\n", [("AA", "American")]),
], ids=["quoted-newline", "quoted-newline-and-doubled-quotes", "utf-8-bom", "extra-column", "columns-reordered"])
def test_accepted_csv_is_read_by_column_name(spark, tmp_path, committed, content, rows):
    bucket, unchanged = committed
    ingest(write_raw(tmp_path, "airlines.csv", content), bucket, execution="hostile-ok")
    assert committed_rows(spark, bucket, "hostile-ok") == rows
    assert unchanged()


# --- JSON lines and Parquet ---------------------------------------------------------------------------------------
DEEP = '{"carrier": "AA", "name": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}\n"


@pytest.mark.parametrize(("content", "words"), [
    ('{"carrier": "AA", "name": "A"}\n{"carrier": "UA", "name": \n', ["does not parse", "not JSON", "line 1"]),
    (DEEP, ["does not parse", "nested too deeply"]),
], ids=["broken-line", "deeply-nested"])
def test_refused_json_lines_name_the_file(tmp_path, committed, content, words):
    bucket, unchanged = committed
    with pytest.raises(BadInputError) as err:
        ingest(write_raw(tmp_path, "airlines.json", content), bucket, fmt="json")
    assert "airlines.json" in err.value.path and err.value.stage == "Ingest"
    assert all(word in str(err.value) for word in words), str(err.value)
    assert unchanged()


def parquet_file(spark, tmp_path: Path, rows, ddl: str) -> bytes:
    spark.createDataFrame(rows, ddl).coalesce(1).write.mode("overwrite").parquet(str(tmp_path / "pq"))
    return next((tmp_path / "pq").glob("*.parquet")).read_bytes()


def test_a_parquet_file_with_a_truncated_footer_is_refused(spark, tmp_path, committed):
    bucket, unchanged = committed
    whole = parquet_file(spark, tmp_path, [("AA", "American")], "carrier STRING, name STRING")
    raw = write_raw(tmp_path, "airlines.parquet", whole[:-20])
    with pytest.raises(BadInputError, match="not a whole Parquet file") as err:
        ingest(raw, bucket, fmt="parquet")
    assert err.value.path.endswith("airlines.parquet") and err.value.stage == "Ingest"
    assert unchanged()


@pytest.mark.parametrize(("rows", "ddl"), [([(1, "United")], "carrier INT, name STRING"),
                                          ([("UA", 2)], "carrier STRING, name BIGINT")], ids=["int", "bigint"])
def test_parquet_files_of_another_schema_are_refused(spark, tmp_path, committed, rows, ddl):
    bucket, unchanged = committed
    folder = tmp_path / "raw" / "airlines"
    folder.mkdir(parents=True)
    (folder / "a.parquet").write_bytes(parquet_file(spark, tmp_path, [("AA", "American")],
                                                    "carrier STRING, name STRING"))
    (folder / "b.parquet").write_bytes(parquet_file(spark, tmp_path, rows, ddl))
    with pytest.raises(BadInputError) as err:
        ingest(tmp_path / "raw", bucket, fmt="parquet")
    assert err.value.path.endswith("b.parquet") and "cannot be read" in str(err.value)
    assert "Parquet column" in str(err.value)
    assert unchanged()


# --- committed outputs a reader must not trust ------------------------------------------------------------------
def reader(spark, bucket: Path, execution: str) -> StageContext:
    """Conform of ``execution``, reading what its Ingest left."""
    return StageContext(spark, {"execution-id": execution, "current-stage": "Conform", "previous-stage": "Ingest",
                                "workflow-bucket": str(bucket)}, "reader")


def ingested_airlines(bucket: Path, execution: str) -> Path:
    return bucket / paths.StagePaths(execution, "Ingest").output("airlines")


def test_a_zero_byte_success_without_a_manifest_is_refused(spark, committed):
    bucket, unchanged = committed
    out = ingested_airlines(bucket, "hostile-zero")
    spark.createDataFrame([("AA", "American")], "carrier STRING, name STRING").write.parquet(str(out))
    (out / "_SUCCESS").write_bytes(b"")
    with pytest.raises(MissingInputError, match="_SUCCESS that Baton did not write") as err:
        reader(spark, bucket, "hostile-zero").read("airlines")
    assert err.value.stage == "Conform" and err.value.path.endswith("Ingest/output/airlines")
    assert unchanged()


def test_a_manifest_listing_a_missing_file_is_refused(spark, tmp_path, committed):
    bucket, unchanged = committed
    ingest(write_raw(tmp_path, "airlines.csv", GOOD), bucket, execution="hostile-lost")
    out = ingested_airlines(bucket, "hostile-lost")
    lost = next(n for n in json.loads((out / "_manifest.json").read_text())["files"] if n.endswith(".parquet"))
    (out / lost).unlink()
    with pytest.raises(MissingInputError, match=r"lacks 1 file\(s\) its _manifest.json lists") as err:
        reader(spark, bucket, "hostile-lost").read("airlines")
    assert lost in str(err.value) and err.value.stage == "Conform"
    assert unchanged()


def test_a_symlink_out_of_the_bucket_is_not_followed(spark, tmp_path, committed):
    bucket, unchanged = committed
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "_SUCCESS").write_text('{"token": "t", "rows": 1}')
    (outside / "_manifest.json").write_text('{"token": "t", "files": []}')
    link = ingested_airlines(bucket, "hostile-link")
    link.parent.mkdir(parents=True)
    link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidNameError, match="leads out of the workflow bucket") as err:
        reader(spark, bucket, "hostile-link").read("airlines")
    assert err.value.path.endswith("Ingest/output/airlines/_SUCCESS")
    assert unchanged()


# --- names, pipelines, stages and the execution input --------------------------------------------------------------
HOSTILE_NAMES = ["..", "../x", "a/b", "a\x00b", "a\nb", "", "x" * 81, "a\\b", "Ingest\n"]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
@pytest.mark.parametrize(("flag", "what"), [("--execution-id", "execution id"), ("--current-stage", "stage name")])
def test_hostile_execution_ids_and_stage_names_are_refused(tmp_path, committed, name, flag, what):
    bucket, unchanged = committed
    args = ["i.py", "--execution-id", COMMITTED_ID, "--current-stage", "Ingest", "--workflow-bucket", str(bucket),
            "--source", "airlines"]
    args[args.index(flag) + 1] = name
    with pytest.raises(InvalidNameError, match=f"invalid {what}"):
        flights_ingest.main(args)
    assert unchanged()


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_dataset_names_are_refused(name):
    with pytest.raises(InvalidNameError, match="invalid dataset name"):
        paths.StagePaths(COMMITTED_ID, "Ingest").output(name)


def run_cli(argv, capsys) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().err


def test_an_unknown_pipeline_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--workflow-bucket", str(tmp_path), "run", "nope"])
    err = capsys.readouterr().err
    assert exit.value.code == 2 and "invalid choice: 'nope'" in err and "'flights'" in err
    assert not (tmp_path / "executions").exists()


def test_an_unknown_stage_to_resume_from_is_refused(tmp_path, capsys):
    record = {"executionId": "run-1", "pipeline": "flights", "status": "FAILED", "runs": [{"input": {}}]}
    key = tmp_path / "executions" / "run-1" / "_execution.json"
    key.parent.mkdir(parents=True)
    key.write_text(json.dumps(record))
    code, err = run_cli(["--workflow-bucket", str(tmp_path), "resume", "run-1", "--from", "Nope"], capsys)
    assert code == 2 and "pipeline flights has no stage 'Nope'" in err and "Conform" in err
    assert json.loads(key.read_text()) == record and sorted(p.name for p in key.parent.iterdir()) == [key.name]


def test_an_input_over_256_kib_is_refused_before_anything_is_written(tmp_path, capsys):
    big = json.dumps({"initialData": {"note": "x" * (256 * 1024)}})
    code, err = run_cli(["--workflow-bucket", str(tmp_path), "run", "flights", "--execution-id", "big-1",
                         "--input", big], capsys)
    assert code == 2 and err.startswith("error: argument --input: the execution input is ")
    assert "bytes of JSON; Step Functions accepts at most 262144 bytes (256 KiB)" in err
    assert not (tmp_path / "executions").exists()


# --- suites -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("expectation", "words"), [
    ({"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}},
     ["expectation #0", "unknown expectation type 'expect_column_values_to_be_purple'"]),
    ({"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 1}},
     ["expectation #0", "expect_column_values_to_be_between refuses", "column: field required"]),
    ({"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": "low"}},
     ["expectation #0", "refuses", "min_value"]),
], ids=["unknown-type", "missing-column", "min_value-not-a-number"])
def test_a_suite_that_great_expectations_would_drop_or_refuse_late_is_refused(spark, expectation, words):
    suite = suite_from_dict({"name": "s", "expectations": [expectation]}, source="suites/s.json")
    with pytest.raises(SuiteError) as err:
        evaluate(spark.createDataFrame([(1,)], "a INT"), suite, {})
    assert str(err.value).startswith("suites/s.json: ")
    assert all(word in str(err.value) for word in words), str(err.value)




# --- the same refusals for raw files on S3 (moto in-process; refused before Spark reads them) ------------------------
@pytest.fixture()
def s3_raw(monkeypatch):
    import boto3
    from moto import mock_aws

    for name, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="raw-bucket")
        yield lambda key, body: (s3.put_object(Bucket="raw-bucket", Key=key, Body=body),
                                 RawFile(f"s3://raw-bucket/{key}", f"s3://raw-bucket/{key}"))[1]


@pytest.mark.parametrize(("body", "words"), [
    ((HEADER + "AA,American\n").encode("utf-16"), "UTF-16"),
    ("carri\xe9r,name\nAA,American\n".encode("latin-1"), "not UTF-8 at line 1 (byte 0xe9)"),
], ids=["utf-16", "latin-1"])
def test_an_s3_csv_not_in_utf_8_is_refused(spark, s3_raw, body, words):
    with pytest.raises(BadInputError, match=re.escape(words)) as err:
        read_csv_observed(spark, [s3_raw("raw/airlines.csv", body)], schema("carrier STRING, name STRING"),
                          "Ingest", null_value="")
    assert err.value.path == "s3://raw-bucket/raw/airlines.csv"


@pytest.mark.parametrize("cut", [20, 1000], ids=["footer-cut", "shorter-than-the-magic"])
def test_an_s3_parquet_file_cut_short_is_refused(spark, tmp_path, s3_raw, cut):
    whole = parquet_file(spark, tmp_path, [("AA", "American")], "carrier STRING, name STRING")
    raw = s3_raw("raw/airlines.parquet", whole[:max(len(whole) - cut, 8)])
    with pytest.raises(BadInputError, match="not a whole Parquet file") as err:
        read_parquet_checked(spark, [raw], schema("carrier STRING, name STRING"), "Ingest")
    assert err.value.path == "s3://raw-bucket/raw/airlines.parquet" and err.value.stage == "Ingest"
