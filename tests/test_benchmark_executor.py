"""The executor benchmark's two machines run and agree, so its figures compare like with like."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from orchestration.asl import FakeClock, load_definition


def _benchmark():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "executor.py"
    spec = importlib.util.spec_from_file_location("benchmark_executor", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_jsonpath_and_jsonata_forms_visit_the_same_states_and_give_the_same_output():
    bench = _benchmark()
    runs = {language: load_definition(program, name=language).execute(bench.BENCHMARK_INPUT, name="t",
                                                                         clock=FakeClock())
            for language, program in bench.MACHINES.items()}
    assert {run.status for run in runs.values()} == {"SUCCEEDED"}
    assert runs["jsonpath"].output == runs["jsonata"].output == {"count": 5, "merged": {"threshold": 3, "mode": "run"}}
    entered = {language: [event["stateEnteredEventDetails"]["name"] for event in run.history
                          if event["type"].endswith("StateEntered")]
               for language, run in runs.items()}
    assert entered["jsonpath"] == entered["jsonata"]


def test_the_benchmark_command_times_both_forms(capsys):
    assert _benchmark().main(["--runs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "jsonpath: per execution: median" in printed and "jsonata: per execution: median" in printed
