"""`baton new pipeline`: the arguments, and a scaffolded pipeline that runs at once on its files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from baton import paths
from orchestration import scaffold
from orchestration.package import PACKAGES
from orchestration.scaffold import ScaffoldError, SourceArg, parse_sources, source_format

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_sources_take_their_null_token_or_everyones():
    found = parse_sources(["orders=raw/orders.csv", "customers=raw/customers.csv"], ["orders=NA", "-"])
    assert found == [SourceArg("orders", Path("raw/orders.csv"), "NA"),
                     SourceArg("customers", Path("raw/customers.csv"), "-")]
    assert parse_sources(["orders=o.csv"], [])[0].null_token == ""


@pytest.mark.parametrize(("sources", "message"), [
    (["orders"], "expected NAME=PATH"),
    (["Orders=o.csv"], "source name 'Orders'"),
    (["orders=o.csv", "orders=p.csv"], "give each source once"),
])
def test_bad_sources_are_refused_with_the_fix(sources, message):
    with pytest.raises(ScaffoldError, match=message):
        parse_sources(sources, [])


def test_format_comes_from_the_file_or_the_folder(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.json").write_text("{}")
    assert source_format(tmp_path / "orders.csv.zip") == "csv"
    assert source_format(tmp_path / "parts") == "json"
    with pytest.raises(ScaffoldError, match="cannot tell its format"):
        source_format(tmp_path / "orders.xlsx")


def test_a_pipeline_name_already_declared_or_unfit_is_refused(spark, tmp_path):
    sources = parse_sources([f"orders={tmp_path / 'orders.csv'}"], [])
    with pytest.raises(ScaffoldError, match="already declared"):
        scaffold.scaffold(spark, "flights", sources, tmp_path, taken=("flights",))
    with pytest.raises(ScaffoldError, match="pipeline name 'My-Shop'"):
        scaffold.scaffold(spark, "My-Shop", sources, tmp_path)


def test_existing_files_are_never_overwritten(spark, tmp_path):
    (tmp_path / "orders.csv").write_text("id,city\n1,Oslo\n")
    (tmp_path / "transforms").mkdir()
    (tmp_path / "transforms" / "shop.py").write_text("# mine\n")
    with pytest.raises(ScaffoldError, match=r"nothing was written: \['transforms/shop.py'\]"):
        scaffold.scaffold(spark, "shop", parse_sources([f"orders={tmp_path / 'orders.csv'}"], []), tmp_path)
    assert (tmp_path / "transforms" / "shop.py").read_text() == "# mine\n"
    assert not (tmp_path / "jobs").exists()


def test_a_missing_source_is_named(spark, tmp_path):
    with pytest.raises(ScaffoldError, match="no such file or folder"):
        scaffold.scaffold(spark, "shop", parse_sources([f"orders={tmp_path / 'orders.csv'}"], []), tmp_path)


def test_json_lines_are_scaffolded_with_the_types_spark_infers(spark, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "events.json").write_text('{"id": 1, "kind": "open", "score": 0.5}\n{"id": 2, "kind": "open"}\n'
                                     '{"id": 3, "kind": "close", "score": 2.0}\n{"id": 4, "kind": "open", '
                                     '"score": 1.5}\n')
    scaffold.scaffold(spark, "feed", parse_sources([f"events={raw / 'events.json'}"], []), tmp_path)
    facts = (tmp_path / "domains" / "feed.py").read_text()
    assert 'format="json"' in facts and 'schema="id BIGINT, kind STRING, score DOUBLE"' in facts
    suite = json.loads((tmp_path / "quality" / "suites" / "feed_validate_events.json").read_text())
    names = {e["meta"]["baton"]["name"] for e in suite["expectations"]}
    assert {"id_unique", "kind_in_set", "score_mostly_present", "score_in_range"} <= names


def test_a_column_a_schema_cannot_declare_is_refused(spark, tmp_path):
    (tmp_path / "orders.csv").write_text("order.id,city\n1,Oslo\n")
    with pytest.raises(ScaffoldError, match="column 'order.id': a name with a dot"):
        scaffold.scaffold(spark, "shop", parse_sources([f"orders={tmp_path / 'orders.csv'}"], []), tmp_path)


def _copy_project(project: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", project / "tests")
    shutil.copy(ROOT / "pyproject.toml", project)
    return project


def test_generated_code_passes_the_linter_with_long_paths_and_wide_tables(tmp_path):
    from baton.raw_source import RawSource
    from orchestration import scaffold_templates

    wide = ", ".join([f"measurement_{i:02d} DOUBLE" for i in range(30)] + ["`Station Name (official)` STRING"])
    sources = [RawSource("hourly_station_counts", "/" + "/".join(["a_rather_long_folder_name"] * 8) + "/counts.csv",
                         "csv", wide, ""),
               RawSource("stations", "raw/stations.csv", "csv", "station_id INT", "")]
    renames = {"hourly_station_counts": {"Station Name (official)": "station_name_official"}, "stations": {}}
    texts = scaffold_templates.render("city_bicycle_counts_2024", sources, renames, {})
    _copy_project(tmp_path)  # the project's rules, and its modules to tell first-party imports
    for key, path in scaffold.planned_files("city_bicycle_counts_2024", [], tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[key])
    lint = subprocess.run([str(BIN / "ruff"), "check", "."], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout


# -- end to end, in a copy of the project's layout (the repository itself is never written) ------------

ORDERS = """order_id,customer,status,amount,ordered_on
1,ann,paid,12.50,2024-01-03
2,bob,paid,NA,2024-01-04
3,ann,refunded,7.25,2024-02-01
4,cy,paid,99.00,2024-02-09
5,bob,void,0,2024-03-01
6,ann,paid,3.10,2024-03-02
"""
CUSTOMERS = "customer,Home City\nann,Oslo\nbob,\ncy,NA\n"  # a header that is not a plain name


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the packages, conf and test fixtures, plus two raw CSV files outside it."""
    project = _copy_project(tmp_path_factory.mktemp("project"))
    raw = tmp_path_factory.mktemp("raw")
    (raw / "orders.csv").write_text(ORDERS)
    (raw / "customers.csv").write_text(CUSTOMERS)
    return project, raw


def _run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "SPARK_LOCAL_IP": "127.0.0.1", "HOME": os.environ.get("HOME", "/tmp"),
           "PYTHONPATH": str(project), "BATON_JVM_FLAGS": os.environ.get("BATON_JVM_FLAGS", "")}
    return subprocess.run(args, capture_output=True, text=True, timeout=900, env=env, cwd=project)


@pytest.mark.slow
def test_a_scaffolded_pipeline_runs_on_its_files(project, spark):
    project, raw = project
    made = _run(project, sys.executable, "-m", "orchestration.cli", "new", "pipeline", "shop",
                "--source", f"orders={raw / 'orders.csv'}", "--source", f"customers={raw / 'customers.csv'}",
                "--null-token", "orders=NA")
    assert made.returncode == 0, made.stderr[-3000:]
    written = sorted(line.split()[1] for line in made.stdout.splitlines() if line.startswith("wrote "))
    assert written == sorted(["domains/shop.py", "jobs/shop_ingest.py", "jobs/shop_conform.py",
                              "jobs/shop_validate.py", "jobs/shop_aggregate.py", "jobs/shop_load.py",
                              "transforms/shop.py", "tests/test_transforms_shop.py",
                              "orchestration/declarations/shop.py", "quality/suites/shop_validate_orders.json",
                              "quality/suites/shop_validate_customers.json"])
    assert 'null_token="NA"' in (project / "domains" / "shop.py").read_text()
    lint = _run(project, str(BIN / "ruff"), "check", *[w for w in written if w.endswith(".py")])
    assert lint.returncode == 0, lint.stdout

    ran = _run(project, sys.executable, "-m", "orchestration.cli", "--workflow-bucket", "wf", "run", "shop",
               "--execution-id", "shop-1", "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert json.loads(ran.stdout)["status"] == "SUCCEEDED"

    bucket = project / "wf"
    orders = spark.read.parquet(str(bucket / paths.StagePaths("shop-1", "Ingest").output("orders")))
    assert sorted((r.order_id, r.amount) for r in orders.collect())[:2] == [(1, 12.5), (2, None)]  # NA is null
    customers = spark.read.parquet(str(bucket / paths.StagePaths("shop-1", "Ingest").output("customers")))
    assert sorted(r["Home City"] or "<null>" for r in customers.collect()) == ["<null>", "NA", "Oslo"]  # "" is null
    conformed = spark.read.parquet(str(bucket / paths.StagePaths("shop-1", "Conform").output("customers")))
    assert conformed.columns == ["customer", "home_city"]
    verdict = json.loads((bucket / paths.StagePaths("shop-1", "Validate").verdict).read_text())
    assert (verdict["passed"], verdict["rows"], verdict["failedRows"]) == (True, 9, 0)
    warehouse = json.loads((project / "conf" / "local.json").read_text())["warehouse"]
    loaded = spark.read.parquet(str(bucket / paths.warehouse_table("shop_row_counts", warehouse)))
    assert sorted((r.dataset, r.rows) for r in loaded.collect()) == [("customers", 3), ("orders", 6)]

    # the generated job runs as spark-submit runs it (its __main__), here Load again from committed outputs
    submitted = _run(project, str(BIN / "spark-submit"), "--master", "local[1]", "jobs/shop_load.py",
                     "--execution-id", "shop-1", "--current-stage", "Load", "--previous-stage", "Aggregate",
                     "--workflow-bucket", "wf", "--initial-data", "{}")
    assert submitted.returncode == 0, submitted.stderr[-3000:]
    assert "baton: shop_load committed warehouse/shop_row_counts: 2 rows" in submitted.stdout

    tested = _run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "tests/test_transforms_shop.py")
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "4 passed" in tested.stdout
