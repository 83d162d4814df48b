"""The ``baton`` command line.

    baton run PIPELINE [--input JSON|@file] [--execution-id ID] [--json] [--master URL]
    baton backfill PIPELINE --from 2013-01 --to 2013-12 [--max-concurrency N] [--tolerated-failure-percentage P]
    baton resume ID --from STAGE [--json] [--master URL]
    baton status ID | baton history ID | baton list
    baton asl PIPELINE [--type standard|express] [--out FILE]
    baton package [--out FILE]

Settings come from conf/<env>.json (``--env`` before or after the command, or ``BATON_ENV``;
default local).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import conf
from baton.errors import BatonError
from orchestration import pipelines
from orchestration.failure import job_message
from orchestration.generate import QUERY_LANGUAGES, Deployment, ExpressNotAllowed, generate, to_json
from orchestration.local import BackfillSummary, LocalRun, RunRefused, RunSummary
from orchestration.package import build_zip

COLUMNS = (("stage", "stage"), ("engine", "engine"), ("rowsOut", "rows out"), ("rowsQuarantined", "quarantined"),
           ("seconds", "seconds"), ("attempts", "attempts"))


def cmd_run(args: argparse.Namespace) -> int:
    runner = _runner(args, args.pipeline, args.query_language)
    input = _input(args.input)
    execution_id = args.execution_id or f"{args.pipeline}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    return _report(runner.start(input, execution_id), args.json)


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
    record = _runner(args, None).describe(args.execution_id)
    return _report(_runner(args, record["pipeline"]).resume(args.execution_id, args.stage), args.json)


def cmd_status(args: argparse.Namespace) -> int:
    record = _runner(args, None).describe(args.execution_id)
    print(json.dumps(record, indent=2) if args.json else
          "\n".join(f"{k}: {record.get(k)}" for k in ("executionId", "pipeline", "status", "startDate", "stopDate",
                                                      "failedState", "error", "cause", "workflowBucket")))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    events = _runner(args, None).history(args.execution_id)
    if args.json:
        print(json.dumps(events, indent=2))
        return 0
    for event in events:
        print(f"{event['id']:>4} {event['timestamp']}  {event['type']:<28} {_event_detail(event)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for record in _runner(args, None).list():
        print(f"{record['executionId']:<40} {record['pipeline']:<10} {record['status']:<10} {record.get('startDate')}")
    return 0


def cmd_asl(args: argparse.Namespace) -> int:
    settings = conf.load(args.env)
    definition = generate(pipelines.get(args.pipeline), Deployment.from_conf(settings, args.workflow_bucket),
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


def _runner(args: argparse.Namespace, pipeline: str | None, query_language: str = "jsonpath") -> LocalRun:
    settings = conf.load(args.env)
    if getattr(args, "master", None):
        settings["spark"] = settings.get("spark", {}) | {"master": args.master}
    return LocalRun(pipelines.get(pipeline or "flights"), settings, args.workflow_bucket,
                    query_language=query_language)


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (RunRefused, ExpressNotAllowed, BatonError, KeyError, ValueError) as err:
        print(f"baton: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
