"""Benchmark of the local ASL executor on a 20-state control-flow machine.

    python benchmarks/executor.py [--runs N] [--query-language jsonpath|jsonata|both] [--record]

The machine (no Task states, so no handlers) has Pass states with intrinsic functions, Choice
states, a Parallel state with two branches, a Map over five items and a Succeed state: 20 states in
all. Each execution uses a FakeClock, so the Wait costs no time.
The same machine is also written in JSONata (``--query-language jsonata``; both forms by default,
and their outputs must agree). Prints median, p95 and min milliseconds per execution of each form
with the machine, Python, load and date; ``--record`` also appends them to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from orchestration.asl import FakeClock, load_definition


def _pass_end(**extra) -> dict:
    return {"Type": "Pass", "End": True, **extra}


BENCHMARK_MACHINE = {
    "Comment": "20 states of control flow: Pass + intrinsics, Choice, Parallel, Map, Wait, Succeed",
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Next": "Route", "Parameters": {
            "run.$": "$$.Execution.Name", "source.$": "$.source", "items.$": "$.items",
            "key.$": "States.Format('raw/{}/part-{}.json', $.date, $.part)",
            "digest.$": "States.Hash($.source, 'SHA-256')",
            "range.$": "States.ArrayRange(1, 9, 2)", "next.$": "States.MathAdd($.part, 1)"}},
        "Route": {"Type": "Choice", "Default": "Unexpected", "Choices": [
            {"And": [{"Variable": "$.source", "IsPresent": True},
                     {"Variable": "$.next", "NumericGreaterThan": 1},
                     {"Variable": "$.key", "StringMatches": "raw/*.json"}], "Next": "Prepare"}]},
        "Unexpected": {"Type": "Fail", "Error": "Route.NoMatch", "Cause": "no route"},
        "Prepare": {"Type": "Pass", "Result": {"threshold": 3, "mode": "run"}, "ResultPath": "$.config",
                    "Next": "Fanout"},
        "Fanout": {"Type": "Parallel", "ResultPath": "$.parallel", "Next": "PerItem",
                   "ResultSelector": {"left.$": "$[0].label", "right.$": "$[1]"},
                   "Branches": [
                       {"StartAt": "A1", "States": {
                           "A1": {"Type": "Pass", "Next": "A2",
                                  "Parameters": {"parts.$": "States.StringSplit($.key, '/')"}},
                           "A2": {"Type": "Choice", "Default": "A4", "Choices": [
                               {"Variable": "$.parts[0]", "StringEquals": "raw", "Next": "A3"}]},
                           "A3": {"Type": "Pass", "Parameters": {"label.$": "States.Format('{}!', $.parts[1])"},
                                  "End": True},
                           "A4": _pass_end(Result={"label": "other"})}},
                       {"StartAt": "B1", "States": {
                           "B1": {"Type": "Wait", "Seconds": 0, "Next": "B2"},
                           "B2": _pass_end(InputPath="$.config")}}]},
        "PerItem": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.mapped",
                    "Next": "Summarize",
                    "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value",
                                     "threshold.$": "$.config.threshold"},
                    "ItemProcessor": {"StartAt": "M1", "States": {
                        "M1": {"Type": "Pass", "Next": "M2",
                               "Parameters": {"v.$": "$.value", "t.$": "$.threshold",
                                              "label.$": "States.Format('item-{}', $.index)"}},
                        "M2": {"Type": "Choice", "Default": "Low", "Choices": [
                            {"Variable": "$.v", "NumericGreaterThanPath": "$.t", "Next": "High"}]},
                        "High": _pass_end(Parameters={"label.$": "$.label", "band": "high"}),
                        "Low": _pass_end(Parameters={"label.$": "$.label", "band": "low"})}}},
        "Summarize": {"Type": "Pass", "Next": "Check", "ResultPath": "$.summary", "Parameters": {
            "count.$": "States.ArrayLength($.mapped)",
            "merged.$": "States.JsonMerge($.config, $.parallel.right, false)"}},
        "Check": {"Type": "Choice", "Default": "Unexpected", "Choices": [
            {"Variable": "$.summary.count", "NumericEquals": 5, "Next": "Tidy"}]},
        "Tidy": {"Type": "Pass", "OutputPath": "$.summary", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
# The same machine in JSONata (``QueryLanguage: "JSONata"``): Arguments, Output, Assign and Condition
# in place of Parameters, ResultSelector, ResultPath and Choice rules; one variable carries the
# configuration. Both forms give the same final output (checked before timing).
BENCHMARK_MACHINE_JSONATA = {
    "Comment": "The benchmark machine in JSONata, with a variable",
    "QueryLanguage": "JSONata",
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Next": "Route", "Output": {
            "run": "{% $states.context.Execution.Name %}", "source": "{% $states.input.source %}",
            "items": "{% $states.input.items %}",
            "key": "{% 'raw/' & $states.input.date & '/part-' & $string($states.input.part) & '.json' %}",
            "digest": "{% $hash($states.input.source, 'SHA-256') %}",
            "range": "{% $range(1, 9, 2) %}", "next": "{% $states.input.part + 1 %}"}},
        "Route": {"Type": "Choice", "Default": "Unexpected", "Choices": [
            {"Condition": "{% $exists($states.input.source) and $states.input.next > 1 "
                          "and $contains($states.input.key, /^raw\\/.*\\.json$/) %}", "Next": "Prepare"}]},
        "Unexpected": {"Type": "Fail", "Error": "Route.NoMatch", "Cause": "no route"},
        "Prepare": {"Type": "Pass", "Assign": {"config": {"threshold": 3, "mode": "run"}},
                    "Output": "{% $merge([$states.input, {'config': {'threshold': 3, 'mode': 'run'}}]) %}",
                    "Next": "Fanout"},
        "Fanout": {"Type": "Parallel", "Next": "PerItem",
                   "Output": "{% $merge([$states.input, {'parallel': {'left': $states.result[0].label, "
                             "'right': $states.result[1]}}]) %}",
                   "Branches": [
                       {"StartAt": "A1", "States": {
                           "A1": {"Type": "Pass", "Next": "A2",
                                  "Output": {"parts": "{% $split($states.input.key, '/') %}"}},
                           "A2": {"Type": "Choice", "Default": "A4", "Choices": [
                               {"Condition": "{% $states.input.parts[0] = 'raw' %}", "Next": "A3"}]},
                           "A3": _pass_end(Output={"label": "{% $states.input.parts[1] & '!' %}"}),
                           "A4": _pass_end(Output={"label": "other"})}},
                       {"StartAt": "B1", "States": {
                           "B1": {"Type": "Wait", "Seconds": 0, "Next": "B2"},
                           "B2": _pass_end(Output="{% $config %}")}}]},
        "PerItem": {"Type": "Map", "Items": "{% $states.input.items %}", "MaxConcurrency": 2, "Next": "Summarize",
                    "Output": "{% $merge([$states.input, {'mapped': $states.result}]) %}",
                    "ItemSelector": {"index": "{% $states.context.Map.Item.Index %}",
                                     "value": "{% $states.context.Map.Item.Value %}",
                                     "threshold": "{% $config.threshold %}"},
                    "ItemProcessor": {"StartAt": "M1", "States": {
                        "M1": {"Type": "Pass", "Next": "M2",
                               "Output": {"v": "{% $states.input.value %}", "t": "{% $states.input.threshold %}",
                                          "label": "{% 'item-' & $string($states.input.index) %}"}},
                        "M2": {"Type": "Choice", "Default": "Low", "Choices": [
                            {"Condition": "{% $states.input.v > $states.input.t %}", "Next": "High"}]},
                        "High": _pass_end(Output={"label": "{% $states.input.label %}", "band": "high"}),
                        "Low": _pass_end(Output={"label": "{% $states.input.label %}", "band": "low"})}}},
        "Summarize": {"Type": "Pass", "Next": "Check", "Output": "{% $merge([$states.input, {'summary': {"
                      "'count': $count($states.input.mapped), "
                      "'merged': $merge([$config, $states.input.parallel.right])}}]) %}"},
        "Check": {"Type": "Choice", "Default": "Unexpected", "Choices": [
            {"Condition": "{% $states.input.summary.count = 5 %}", "Next": "Tidy"}]},
        "Tidy": {"Type": "Pass", "Output": "{% $states.input.summary %}", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
BENCHMARK_INPUT = {"source": "s3://bucket/raw", "date": "2024-01-01", "part": 7, "items": [1, 5, 2, 8, 4]}


def _count_states(program: dict) -> int:
    total = 0
    for state in program["States"].values():
        total += 1
        for branch in state.get("Branches", []):
            total += _count_states(branch)
        if "ItemProcessor" in state:
            total += _count_states(state["ItemProcessor"])
    return total


MACHINES = {"jsonpath": BENCHMARK_MACHINE, "jsonata": BENCHMARK_MACHINE_JSONATA}


def _measure(program: dict, runs: int) -> tuple[dict, list[float], float]:
    """The warm-up execution, the sorted per-execution milliseconds and the load time of ``program``."""
    started = time.perf_counter()
    machine = load_definition(program, name="benchmark")
    load_ms = (time.perf_counter() - started) * 1000
    first = machine.execute(BENCHMARK_INPUT, name="warmup", clock=FakeClock())
    if first.status != "SUCCEEDED":
        raise RuntimeError(f"benchmark machine failed: {first.error}: {first.cause}")
    timings = []
    for run in range(runs):
        clock = FakeClock()
        started = time.perf_counter()
        machine.execute(BENCHMARK_INPUT, name=f"run-{run}", clock=clock)
        timings.append((time.perf_counter() - started) * 1000)
    return first, sorted(timings), load_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="executions to time (default 200)")
    parser.add_argument("--query-language", choices=[*MACHINES, "both"], default="both",
                        help="which form of the machine to time (default both, JSONPath first)")
    parser.add_argument("--record", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args(argv)
    languages = list(MACHINES) if args.query_language == "both" else [args.query_language]

    lines = [
        f"date:     {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"machine:  {platform.platform()}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}",
        f"python:   {platform.python_implementation()} {platform.python_version()}",
        f"load avg: {os.getloadavg()[0]:.2f} (1 min) at start",
        f"runs:     {args.runs} per form",
    ]
    outputs = {}
    for language in languages:
        try:
            first, timings, load_ms = _measure(MACHINES[language], args.runs)
        except RuntimeError as failed:
            print(f"{language}: {failed}", file=sys.stderr)
            return 1
        outputs[language] = first.output
        visits = sum(event["type"].endswith("StateEntered") for event in first.history)
        lines += [
            f"{language}: {_count_states(MACHINES[language])} states, {visits} state visits, "
            f"{len(first.history)} history events per execution; load {load_ms:.2f} ms",
            f"{language}: per execution: median {statistics.median(timings):.3f} ms, "
            f"p95 {timings[int(0.95 * (len(timings) - 1))]:.3f} ms, min {timings[0]:.3f} ms",
        ]
    if len(set(map(repr, outputs.values()))) > 1:
        print(f"the two forms disagree: {outputs}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    if args.record:
        _record(lines)
    return 0


def _record(lines: list[str]) -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
    with docs.open("a", encoding="utf-8") as handle:
        handle.write("\n### Local executor, 20-state control-flow machine, JSONPath and JSONata forms "
                     "(`python benchmarks/executor.py --record`)\n")
        handle.write("```\n" + "\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    sys.exit(main())
