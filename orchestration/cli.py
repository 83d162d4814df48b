"""The ``baton`` command line.

    baton run PIPELINE [--input JSON|@file] [--execution-id ID] [--json] [--master URL]
    baton backfill PIPELINE --from 2013-01 --to 2013-12 [--max-concurrency N] [--tolerated-failure-percentage P]
    baton resume ID --from STAGE [--json] [--master URL]
    baton status ID | baton history ID | baton list
    baton asl PIPELINE [--type standard|express] [--out FILE]
    baton package [--out FILE]
    baton new pipeline NAME --source NAME=PATH [--source ...] [--null-token [SOURCE=]TOKEN]
    baton suite draft PATH [--dataset NAME] [--out FILE] [--format csv|json|parquet] [--null-token TOKEN]
    baton synth PIPELINE --env ENV [--out DIR]      (CloudFormation of the CDK app, offline)
    baton deploy PIPELINE --env ENV [--out DIR] [--print]
    baton start PIPELINE --env ENV [--input JSON|@file] [--execution-id ID]   (on AWS)
    baton upload --env ENV                                                   (the code, to conf's artifacts)
    baton redrive ID --env ENV                                               (on AWS)
    baton report ID                                   (executions/ID/_report/index.html)
    baton graph PIPELINE [--format svg|dot|mermaid] [--type standard|express] [--out FILE]
    baton check SUITE DATA [--format parquet|csv|json] [--parameters JSON] [--junit FILE] [--docs DIR]
    baton check [SUITE] --execution ID --stage STAGE [--junit FILE] [--docs DIR]
    baton cost ID [--json] | baton cost PIPELINE --runs-per-day N [--execution ID] [--json]

status, history, list and resume act on AWS when conf/<env>.json has a deployment section.

Settings come from conf/<env>.json (``--env`` before or after the command, or ``BATON_ENV``;
default local).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import conf
from baton import logs, paths
from baton.errors import ArgumentError, BatonError
from baton.faults import Faults
from baton.spark import get_spark
from baton.storage import read_json
from orchestration import check, pipelines
from orchestration.asl.payload import MAX_PAYLOAD_BYTES, exceeds_quota
from orchestration.failure import job_message
from orchestration.generate import QUERY_LANGUAGES, Deployment, generate, to_json
from orchestration.local import BackfillSummary, LocalExecutions, LocalRun, RunRefused, RunSummary
from orchestration.package import build_zip
from orchestration.views import cost, graph
from orchestration.views.report import write_report

COLUMNS = (("stage", "stage"), ("engine", "engine"), ("rowsOut", "rows out"), ("rowsQuarantined", "quarantined"),
           ("seconds", "seconds"), ("attempts", "attempts"))


def cmd_run(args: argparse.Namespace) -> int:
    runner = _runner(args, args.pipeline, args.query_language)
    input = _input(args.input)
    return _report(runner.start(input, _execution_id(args)), args.json)


def _execution_id(args: argparse.Namespace) -> str:
    return args.execution_id or f"{args.pipeline}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"


def cmd_backfill(args: argparse.Namespace) -> int:
    runner = _runner(args, args.pipeline)
    initial = _input(args.input)["initialData"]
    execution_id = args.execution_id or f"{args.pipeline}-backfill-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    summary = runner.backfill(args.first, args.last, execution_id, initial, args.max_concurrency,
                              args.tolerated_failure_percentage)
    print(json.dumps(summary.to_json(), indent=2) if args.json else _backfill_table(summary))
    return 0 if summary.status == "SUCCEEDED" else 1


def _backfill_table(summary: BackfillSummary) -> str:
    lines = [f"backfill {summary.execution_id} of {summary.pipeline}: {summary.status} in {summary.seconds:.1f} s"]
    lines += [f"  {row['partition']}  {row['status']:<10} {row['executionId']}"
              + (f"  {row['error']}: {job_message(row['cause'])}" if row["error"] else "")
              for row in summary.partitions]
    if summary.error:
        lines.append(f"error: {summary.error}: {summary.cause}")
    if summary.results:
        lines.append(f"results: {summary.results}")
    return "\n".join(lines)


def cmd_resume(args: argparse.Namespace) -> int:
    if _deployed(args):
        from orchestration.deploy import remote
        from orchestration.deploy.settings import load as load_settings

        env = _env(args)
        started = remote.resume(load_settings(env), conf.load(env), args.execution_id, args.stage)
        print(json.dumps(started, indent=2) if args.json else
              f"{started['executionArn']} started {started['startDate']} (execution id {started['executionId']}, "
              f"from {args.stage})")
        return 0
    record = _local_executions(args).describe(args.execution_id)  # it names the execution's pipeline
    return _report(_runner(args, record["pipeline"]).resume(args.execution_id, args.stage), args.json)


def cmd_status(args: argparse.Namespace) -> int:
    record = _executions(args).describe(args.execution_id)
    print(json.dumps(record, indent=2) if args.json else
          "\n".join(f"{k}: {record.get(k)}" for k in ("executionId", "pipeline", "status", "startDate", "stopDate",
                                                      "failedState", "error", "cause", "workflowBucket")))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    events = _executions(args).history(args.execution_id)
    if args.json:
        print(json.dumps(events, indent=2))
        return 0
    for event in events:
        print(f"{event['id']:>4} {event['timestamp']}  {event['type']:<28} {_event_detail(event)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for record in _executions(args).list():
        print(f"{record['executionId']:<40} {record['pipeline']:<10} {record['status']:<10} {record.get('startDate')}")
    return 0


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


def cmd_package(args: argparse.Namespace) -> int:
    out = Path(args.out)
    names = build_zip(out)
    jobs = sorted(n for n in names if n.startswith("jobs/") and n.endswith(".py") and "__init__" not in n)
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(names)} files, {len(jobs)} jobs)")
    print("EMR step:  spark-submit --py-files " + out.name + " jobs/<job>.py --execution-id ...")
    print("Glue job:  --extra-py-files s3://<bucket>/" + out.name)
    return 0


def cmd_new_pipeline(args: argparse.Namespace) -> int:
    from orchestration import scaffold

    sources = scaffold.parse_sources(args.source, args.null_token)
    written = scaffold.scaffold(_spark(args), args.name, sources, scaffold.PROJECT_ROOT, taken=pipelines.PIPELINES)
    for path in written:
        print(f"wrote {path.relative_to(scaffold.PROJECT_ROOT)}")
    print(f"review the drafted suites, then: baton run {args.name}")
    return 0


def cmd_suite_draft(args: argparse.Namespace) -> int:
    from orchestration.scaffold import PROJECT_ROOT
    from quality import draft

    dataset = args.dataset or Path(args.path.rstrip("/")).name.split(".")[0]
    out = Path(args.out) if args.out else PROJECT_ROOT / "quality" / "suites" / f"{dataset}_draft.json"
    found = draft.profile(draft.read_dataset(_spark(args), args.path, args.format, args.null_token))
    draft.write_suite(draft.draft_suite(found, out.stem, dataset, args.path), out)
    print(f"wrote {out}: a draft from {found.rows:,} rows; review it before use "
          f"(candidate keys: {', '.join(found.candidate_keys) or 'none'})")
    return 0


def _spark(args: argparse.Namespace) -> Any:
    from baton.spark import get_spark

    return get_spark("baton-draft", conf.load(args.env).spark)


def cmd_synth(args: argparse.Namespace) -> int:
    from orchestration.deploy.app import synth  # aws-cdk-lib starts Node.js: only for these commands

    assembly = synth(_deploy_env(args), [args.pipeline], Path(args.out))
    for stack in assembly.stacks:
        print(f"{stack.stack_name}: {stack.template_full_path}")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from orchestration.deploy.main import deploy_command

    command = deploy_command(args.pipeline, _deploy_env(args), Path(args.out))
    if args.print:
        print(shlex.join(command))
        return 0
    return subprocess.run(command, check=False).returncode


def cmd_start(args: argparse.Namespace) -> int:
    from orchestration.deploy import remote
    from orchestration.deploy.settings import load as load_settings

    started = remote.start(load_settings(_deploy_env(args)), args.pipeline, _input(args.input), _execution_id(args))
    print(json.dumps(started, indent=2) if args.json else f"{started['executionArn']} started {started['startDate']}")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    from orchestration.deploy import remote
    from orchestration.deploy.settings import load as load_settings

    settings = load_settings(_deploy_env(args))
    keys = remote.upload(settings, Path(args.staging))
    print(f"uploaded {len(keys)} files to s3://{settings.artifacts_bucket}/{settings.artifacts_prefix}")
    return 0


def cmd_redrive(args: argparse.Namespace) -> int:
    from orchestration.deploy import remote
    from orchestration.deploy.settings import load as load_settings

    redriven = remote.redrive(load_settings(_deploy_env(args)), args.execution_id)
    print(f"{redriven['executionArn']} redriven {redriven['redriveDate']}")
    return 0


def _env(args: argparse.Namespace) -> str:
    return conf.environment(args.env)


def _deployed(args: argparse.Namespace) -> bool:
    """status, history, list and resume go to AWS for an environment with a deployment section."""
    return args.workflow_bucket is None and conf.load(_env(args)).deployment is not None


def _executions(args: argparse.Namespace) -> Any:
    """Where status, history and list read: AWS for a deployed environment, else the local executions."""
    if _deployed(args):
        from orchestration.deploy.remote import RemoteExecutions
        from orchestration.deploy.settings import load as load_settings

        return RemoteExecutions(load_settings(_env(args)))
    return _local_executions(args)


def _deploy_env(args: argparse.Namespace) -> str:
    env = args.env or os.environ.get(conf.ENV_VARIABLE)
    if env is None:
        raise ArgumentError(f"missing: say which environment to deploy (or set {conf.ENV_VARIABLE}), "
                            "e.g. --env dev", argument="--env")
    return conf.environment(env)


def cmd_report(args: argparse.Namespace) -> int:
    executions = _local_executions(args)
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
    runner = _local_executions(args)
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


def cmd_check(args: argparse.Namespace) -> int:
    parameters = json.loads(args.parameters) if args.parameters else {}
    if not isinstance(parameters, dict):
        raise RunRefused("--parameters must be a JSON object, e.g. '{\"min_year\": 2013}'")
    spark = get_spark("baton-check", conf.load(args.env).spark)
    if args.execution:
        if args.data or not args.stage:
            raise RunRefused("baton check --execution ID needs --stage STAGE and no DATA")
        targets = _stage_targets(spark, _local_executions(args), args.execution, args.stage, args.suite)
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


def _latest_succeeded(runner: LocalExecutions, pipeline: str) -> str:
    done = [r for r in runner.list() if r["pipeline"] == pipeline and r["status"] == "SUCCEEDED"]
    if not done:
        raise RunRefused(f"no succeeded execution of {pipeline} to take stage durations from: "
                         f"run `baton run {pipeline}` first, or give --execution ID")
    return max(done, key=lambda r: r["startDate"])["executionId"]


def _runner(args: argparse.Namespace, pipeline: str, query_language: str = "jsonpath") -> LocalRun:
    settings = conf.load(args.env)
    if getattr(args, "master", None):
        settings = replace(settings, spark=replace(settings.spark, master=args.master))
    return LocalRun(pipelines.get(pipeline), settings, args.workflow_bucket, query_language=query_language,
                    faults=Faults.from_environment(os.environ))


def _local_executions(args: argparse.Namespace) -> LocalExecutions:
    """The local executions of every pipeline: status, history, list, report, cost and check read them
    without a pipeline (an execution's record names its own)."""
    return LocalExecutions(conf.load(args.env), args.workflow_bucket)


def _input(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {"initialData": {}}
    text = Path(raw[1:]).read_text() if raw.startswith("@") else raw
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunRefused(f"--input is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise RunRefused("--input must be a JSON object, e.g. '{\"initialData\": {\"format\": \"csv\"}}'")
    if exceeds_quota(text):  # refused before the run writes its record: the executor would refuse it later
        raise RunRefused(f"--input is {len(text.encode())} bytes; an execution input is at most "
                         f"{MAX_PAYLOAD_BYTES} bytes (256 KiB) of JSON, as Step Functions accepts "
                         "(States.DataLimitExceeded): pass paths, not data")
    return execution_input(value)


# The execution input keys the generated definition reads; any other key is a job parameter.
EXECUTION_KEYS = ("initialData", "execution", "resumeFromStage", "gated")


def execution_input(value: dict[str, Any]) -> dict[str, Any]:
    """The execution input for ``value``; ``{"scaleFactor": 1}`` means ``{"initialData": {"scaleFactor": 1}}``.

    The definition hands the jobs only ``initialData``, so a job parameter given at the top level
    would otherwise be silently ignored. A key given both ways is refused.
    """
    initial = value.get("initialData", {})
    if not isinstance(initial, dict):
        raise RunRefused(f"--input: initialData must be a JSON object, got {json.dumps(initial)}")
    shorthand = {key: item for key, item in value.items() if key not in EXECUTION_KEYS}
    both = sorted(set(shorthand) & set(initial))
    if both:
        raise RunRefused(f"--input: {', '.join(both)} given both at the top level and in initialData")
    return {key: item for key, item in value.items() if key in EXECUTION_KEYS} | {"initialData": initial | shorthand}


def _report(summary: RunSummary, as_json: bool) -> int:
    if as_json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(_table(summary))
    return 0 if summary.status == "SUCCEEDED" else 1


def _table(summary: RunSummary) -> str:
    rows = [[_cell(stage.get(key)) for key, _ in COLUMNS] for stage in summary.stages]
    header = [title for _, title in COLUMNS]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{summary.pipeline} {summary.execution_id}: {summary.status} in {summary.seconds:.1f}s", ""]
    lines += ["  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                                    strict=True)))
              for r in [header, *rows]]
    nulls = [(stage["stage"], stage["nullsRead"]) for stage in summary.stages if stage.get("nullsRead")]
    if nulls:
        lines.append("\nvalues read as null (the source's null token, or an empty field):")
        lines += [f"  {stage}: " + ", ".join(f"{column} {_cell(n)}" for column, n in counts.items())
                  for stage, counts in nulls]
    for stage, verdict in summary.quality.items():
        lines.append(f"\nquality {stage}: passed={verdict['passed']} failedRows={verdict['failedRows']} "
                     f"corrected={verdict['correctedRows']} dropped={verdict['droppedRows']}: {verdict['reason']}")
        lines += [f"  {name}: {_dataset_counts(counts)}" for name, counts in verdict["datasets"].items()]
    if summary.error:
        lines.append(f"\nerror: {summary.failure_text()}")
    lines.append("")
    lines += [f"{name:<22} {where}" for name, where in summary.reports.items()]
    return "\n".join(lines)


def _dataset_counts(counts: dict[str, Any]) -> str:
    """``87 of 127 rows quarantined, 31 corrected, 31 dropped (duplicate: 31)``: one gated dataset, passed or not."""
    text = f"{_cell(counts['failedRows'])} of {_cell(counts['rows'])} rows quarantined"
    if counts.get("correctableRows"):
        text += f" ({_cell(counts['correctableRows'])} correctable)"
    if counts.get("correctedRows"):
        text += f", {_cell(counts['correctedRows'])} corrected"
    if counts.get("droppedRows"):
        reasons = ", ".join(f"{reason}: {_cell(n)}" for reason, n in counts.get("dropped", {}).items())
        text += f", {_cell(counts['droppedRows'])} dropped ({reasons})"
    for found in counts.get("orphans", []):
        if found["orphanRows"]:
            keys = ", ".join(str(s["key"]) for s in found["sample"][:5])
            text += (f"; {_cell(found['orphanRows'])} rows whose {found['column']} is not in "
                     f"{found['parent']}.{found['parentColumn']} ({_cell(found['orphanKeys'])} keys, e.g. {keys})")
    return text


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _event_detail(event: dict[str, Any]) -> str:
    details = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
    parts = [str(details[k]) for k in ("name", "resource", "error") if k in details]
    if "cause" in details:
        parts.append(str(job_message(details["cause"]))[:160])
    return " ".join(parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baton", description="Baton: Spark stages chained by Step Functions.")
    env_help = "settings: conf/<env>.json (default: BATON_ENV or local)"
    parser.add_argument("--env", default=None, help=env_help)
    parser.add_argument("--workflow-bucket", default=None, help="override the settings' workflow bucket")
    # --env after the subcommand too; SUPPRESS: given there it wins, not given it leaves the top level's.
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--env", default=argparse.SUPPRESS, help=env_help)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a pipeline locally, end to end", parents=[shared])
    run.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    run.add_argument("--input", help="execution input: JSON, or @file (default: {\"initialData\": {}}); "
                     "top-level keys other than initialData, execution, resumeFromStage and gated are "
                     "initialData's")
    run.add_argument("--execution-id", help="execution id (default: <pipeline>-<utc time>-<random>)")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    run.add_argument("--master", help="Spark master, e.g. spark://127.0.0.1:7077 (default: conf's, local[2])")
    run.add_argument("--query-language", choices=QUERY_LANGUAGES, default="jsonpath",
                     help="run the JSONPath or the JSONata form of the generated definition")
    run.set_defaults(func=cmd_run)

    backfill = sub.add_parser("backfill", help="run a pipeline once per partition (a Distributed Map), locally",
                              parents=[shared])
    backfill.add_argument("pipeline", choices=sorted(n for n, p in pipelines.PIPELINES.items() if p.backfill))
    backfill.add_argument("--from", dest="first", required=True, help="first partition, e.g. 2013-01")
    backfill.add_argument("--to", dest="last", required=True, help="last partition, included, e.g. 2013-12")
    backfill.add_argument("--max-concurrency", type=int, help="child executions at once (default: declared)")
    backfill.add_argument("--tolerated-failure-percentage", type=float,
                          help="failed partitions tolerated, in percent (default: declared)")
    backfill.add_argument("--input", help="what every partition's initialData starts from: JSON or @file")
    backfill.add_argument("--execution-id", help="the backfill's id; partition P runs as <id>-P "
                                                 "(default: <pipeline>-backfill-<utc time>)")
    backfill.add_argument("--json", action="store_true")
    backfill.add_argument("--master", help="Spark master (default: conf's)")
    backfill.set_defaults(func=cmd_backfill)

    resume = sub.add_parser("resume", help="re-enter an execution at a stage, from its stored outputs",
                            parents=[shared])
    resume.add_argument("execution_id")
    resume.add_argument("--from", dest="stage", required=True, help="stage to start at, e.g. Enrich")
    resume.add_argument("--json", action="store_true")
    resume.add_argument("--master", help="Spark master (default: conf's)")
    resume.set_defaults(func=cmd_resume)

    for name, func, text in (("status", cmd_status, "an execution's status"),
                             ("history", cmd_history, "an execution's history events")):
        command = sub.add_parser(name, help=text, parents=[shared])
        command.add_argument("execution_id")
        command.add_argument("--json", action="store_true")
        command.set_defaults(func=func)

    sub.add_parser("list", help="executions in the workflow bucket", parents=[shared]).set_defaults(func=cmd_list)

    asl = sub.add_parser("asl", help="print or write a pipeline's state machine definition", parents=[shared])
    asl.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    asl.add_argument("--type", choices=("standard", "express"), default="standard")
    asl.add_argument("--query-language", choices=QUERY_LANGUAGES, default="jsonpath",
                     help="JSONPath (Parameters, ResultSelector, ResultPath) or JSONata (Arguments, Output, Assign)")
    asl.add_argument("--out", help="write to this file instead of standard output")
    asl.set_defaults(func=cmd_asl)

    package = sub.add_parser("package", help="build the zip of Baton's packages for Glue and EMR", parents=[shared])
    package.add_argument("--out", default="dist/baton-jobs.zip", help="zip to write (default: %(default)s)")
    package.set_defaults(func=cmd_package)

    new = sub.add_parser("new", help="scaffold a new pipeline").add_subparsers(dest="what", required=True)
    new_pipeline = new.add_parser("pipeline", parents=[shared],
                                  help="a pipeline that runs on the given files: declaration, jobs, "
                                  "transforms, tests and a draft suite per source")
    new_pipeline.add_argument("name", help="pipeline name: lowercase letters, digits and _")
    new_pipeline.add_argument("--source", action="append", required=True, metavar="NAME=PATH",
                              help="a raw source: a .csv, .json (lines) or .parquet file, or a folder of them")
    new_pipeline.add_argument("--null-token", action="append", default=[], metavar="[SOURCE=]TOKEN",
                              help="a CSV field value read as null besides empty fields, for one source or all "
                              "(default: none, only empty fields are null)")
    new_pipeline.set_defaults(func=cmd_new_pipeline)

    suite = sub.add_parser("suite", help="quality suites").add_subparsers(dest="what", required=True)
    suite_draft = suite.add_parser("draft", parents=[shared],
                                   help="profile a dataset and write a draft GE suite to review")
    suite_draft.add_argument("path", help="a committed dataset (Parquet folder with _SUCCESS) or raw csv/json/parquet")
    suite_draft.add_argument("--dataset", help="the dataset's name (default: the path's last part)")
    suite_draft.add_argument("--out", help="suite file to write (default: quality/suites/<dataset>_draft.json)")
    suite_draft.add_argument("--format", choices=("csv", "json", "parquet"), help="default: from the path")
    suite_draft.add_argument("--null-token", default="", help="CSV: a field value read as null besides empty fields")
    suite_draft.set_defaults(func=cmd_suite_draft)

    synth = sub.add_parser("synth", help="write the CDK app's CloudFormation templates and assets (offline)",
                           parents=[shared])
    synth.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    synth.add_argument("--out", default="cdk.out", help="cloud assembly directory (default: %(default)s)")
    synth.set_defaults(func=cmd_synth)

    deploy = sub.add_parser("deploy", help="deploy a pipeline and its environment with the CDK CLI (npx aws-cdk)",
                            parents=[shared])
    deploy.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    deploy.add_argument("--out", default="cdk.out", help="cloud assembly directory (default: %(default)s)")
    deploy.add_argument("--print", action="store_true", help="print the CDK CLI command instead of running it")
    deploy.set_defaults(func=cmd_deploy)

    start = sub.add_parser("start", help="start an execution of a deployed pipeline on AWS", parents=[shared])
    start.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    start.add_argument("--input", help="execution input, shaped as for run")
    start.add_argument("--execution-id", help="execution name (default: <pipeline>-<utc time>-<random>)")
    start.add_argument("--json", action="store_true")
    start.set_defaults(func=cmd_start)

    upload = sub.add_parser("upload", help="upload the code to conf's artifacts address on AWS", parents=[shared])
    upload.add_argument("--staging", default="dist/upload", help="local staging directory (default: %(default)s)")
    upload.set_defaults(func=cmd_upload)

    redrive = sub.add_parser("redrive", help="redrive a failed execution on AWS from its failed state",
                             parents=[shared])
    redrive.add_argument("execution_id")
    redrive.set_defaults(func=cmd_redrive)

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
    checks.add_argument("--format", choices=check.FORMATS, default="parquet")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    logs.configure()  # the runtime's log lines (progress, verdicts) as plain lines on stderr
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BatonError as err:  # anything else is a bug: its traceback shows
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


if __name__ == "__main__":
    sys.exit(main())
