"""Views of a pipeline or an execution: ``baton asl``, ``graph``, ``report``, ``cost`` and ``check``.

``asl`` and ``graph`` read only the declaration and the settings, and never load PySpark; ``report``
and ``cost`` read what an execution left; ``check`` runs the gate on Spark.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import conf
from baton import paths
from baton.raw_source import RAW_FORMATS
from baton.storage import read_json
from orchestration import pipelines
from orchestration.cli import common
from orchestration.deployment import Deployment
from orchestration.generate import QUERY_LANGUAGES, generate, to_json
from orchestration.views import cost, graph
from orchestration.views.report import write_report

if TYPE_CHECKING:
    from orchestration.executions import LocalExecutions


def cmd_asl(args: argparse.Namespace) -> int:
    settings = conf.load(args.env)
    definition = generate(pipelines.get(args.pipeline), Deployment.from_settings(settings, args.workflow_bucket),
                          args.type, args.query_language)
    text = to_json(definition)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out} ({len(definition['States'])} states, {args.type}, {args.query_language})",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    executions = common.local_executions(args)
    executions.describe(args.execution_id)
    print(executions.bucket.uri(write_report(executions.storage, args.execution_id)))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    settings = conf.load(args.env)
    definition = generate(pipelines.get(args.pipeline), Deployment.from_settings(settings, args.workflow_bucket),
                          args.type)
    text = graph.render(definition, args.format)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out} ({args.format})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from orchestration.executions import RunRefused

    runner = common.local_executions(args)
    settings = runner.settings
    if args.target in pipelines.PIPELINES:
        if args.runs_per_day is None:
            raise RunRefused(f"baton cost {args.target}: give --runs-per-day N for a monthly estimate "
                             "(or an execution id for the cost of one execution)")
        execution_id = args.execution or _latest_succeeded(runner, args.target)
        table = cost.monthly(cost.stored_execution_cost(runner.storage, execution_id, runner.history(execution_id),
                                                        settings), args.runs_per_day, execution_id)
    else:
        table = cost.stored_execution_cost(runner.storage, args.target, runner.history(args.target), settings)
    print(json.dumps(cost.to_json(table), indent=2) if args.json else cost.render(table))
    return 0


def _latest_succeeded(runner: LocalExecutions, pipeline: str) -> str:
    from orchestration.executions import RunRefused

    done = [r for r in runner.list() if r["pipeline"] == pipeline and r["status"] == "SUCCEEDED"]
    if not done:
        raise RunRefused(f"no succeeded execution of {pipeline} to take stage durations from: "
                         f"run `baton run {pipeline}` first, or give --execution ID")
    return max(done, key=lambda r: r["startDate"])["executionId"]


def cmd_check(args: argparse.Namespace) -> int:
    from orchestration import check
    from orchestration.executions import RunRefused

    try:
        parameters = json.loads(args.parameters) if args.parameters else {}
    except json.JSONDecodeError as err:
        raise RunRefused(f"is not JSON: {err}", argument="--parameters") from None
    if not isinstance(parameters, dict):
        raise RunRefused("--parameters must be a JSON object, e.g. '{\"min_year\": 2013}'")
    spark = common.spark(args, "baton-check")
    if args.execution:
        if args.data or not args.stage:
            raise RunRefused("baton check --execution ID needs --stage STAGE and no DATA")
        targets = _stage_targets(spark, common.local_executions(args), args.execution, args.stage, args.suite)
    else:
        if not (args.suite and args.data):
            raise RunRefused("baton check needs SUITE and DATA, or --execution ID --stage STAGE")
        targets = [(args.suite, check.dataset_name(args.data), check.read_dataset(spark, args.data, args.format))]
    results = [check.check(df, suite, name, parameters) for suite, name, df in targets]
    check.write_outputs(results, args.junit, args.docs)
    for result in results:
        print(f"{result.suite.name} on {result.name}: {'passed' if result.passed else 'FAILED'}: "
              f"{result.verdict.reason}")
    return 0 if all(result.passed for result in results) else 1


def _stage_targets(spark: Any, runner: LocalExecutions, execution_id: str, stage: str,
                   suite: str | None) -> list[tuple[str, str, Any]]:
    """(suite, dataset, DataFrame) of each committed output of ``stage``: the suite given, else its manifest's."""
    from orchestration import check
    from orchestration.executions import RunRefused

    stage_paths = paths.StagePaths(execution_id, stage)
    targets = []
    for dataset in check.stage_datasets(runner.storage.list_keys(stage_paths.prefix), stage_paths.prefix):
        key = stage_paths.output(dataset)
        named = suite or (read_json(runner.storage, paths.manifest_key(key)).get("quality") or {}).get("suite")
        if named:
            targets.append((named, dataset, spark.read.parquet(runner.bucket.uri(key))))
    if not targets:
        raise RunRefused(f"stage {stage} of {execution_id} has no committed output gated by a suite; "
                         "name one: baton check SUITE --execution ID --stage STAGE")
    return targets


def add_asl(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    asl = sub.add_parser("asl", help="print or write a pipeline's state machine definition", parents=[shared])
    asl.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    asl.add_argument("--type", choices=("standard", "express"), default="standard")
    asl.add_argument("--query-language", choices=QUERY_LANGUAGES, default="jsonpath",
                     help="JSONPath (Parameters, ResultSelector, ResultPath) or JSONata (Arguments, Output, Assign)")
    asl.add_argument("--out", help="write to this file instead of standard output")
    asl.set_defaults(func=cmd_asl)


def add_report_graph_check_cost(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", help="write an execution's HTML report (graph, timeline, stages, quality)",
                            parents=[shared])
    report.add_argument("execution_id")
    report.set_defaults(func=cmd_report)

    drawing = sub.add_parser("graph", help="draw a pipeline's state machine", parents=[shared])
    drawing.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    drawing.add_argument("--format", choices=graph.FORMATS, default="svg")
    drawing.add_argument("--type", choices=("standard", "express"), default="standard")
    drawing.add_argument("--out", help="write to this file instead of standard output")
    drawing.set_defaults(func=cmd_graph)

    checks = sub.add_parser("check", help="validate a dataset against a suite with the gate (JUnit XML for CI)",
                            parents=[shared])
    checks.add_argument("suite", nargs="?", help="suite name under quality/suites/, e.g. flights_validate")
    checks.add_argument("data", nargs="?", help="dataset path (a file or a directory)")
    checks.add_argument("--format", choices=RAW_FORMATS, default="parquet")
    checks.add_argument("--parameters", help="suite parameters as a JSON object")
    checks.add_argument("--junit", help="write JUnit XML here (one test case per expectation)")
    checks.add_argument("--docs", help="write the Data Docs site into this directory")
    checks.add_argument("--execution", help="check a stage's committed outputs of this execution")
    checks.add_argument("--stage", help="with --execution: the stage")
    checks.set_defaults(func=cmd_check)

    costs = sub.add_parser("cost", help="what an execution costs on AWS, or a pipeline a month", parents=[shared])
    costs.add_argument("target", help="an execution id, or a pipeline name with --runs-per-day")
    costs.add_argument("--runs-per-day", type=int, help="monthly estimate for this many runs a day")
    costs.add_argument("--execution", help="with a pipeline: the execution whose durations to take "
                       "(default: its latest succeeded one)")
    costs.add_argument("--json", action="store_true")
    costs.set_defaults(func=cmd_cost)
