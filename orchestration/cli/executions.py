"""Executions: ``baton run``, ``backfill``, ``resume``, ``status``, ``history`` and ``list``, and their tables.

Runs are local (the executor on local Spark); ``resume``, ``status``, ``history`` and ``list`` act on
AWS for an environment whose settings have a deployment section.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import conf
from orchestration import pipelines
from orchestration.cli import common
from orchestration.failure import job_message
from orchestration.generate import QUERY_LANGUAGES

if TYPE_CHECKING:
    from orchestration.run_summary import BackfillSummary, RunSummary

COLUMNS = (("stage", "stage"), ("engine", "engine"), ("rowsOut", "rows out"), ("rowsQuarantined", "quarantined"),
           ("seconds", "seconds"), ("attempts", "attempts"))


def cmd_run(args: argparse.Namespace) -> int:
    runner = common.runner(args, args.pipeline, args.query_language)
    input = common.read_input(args.input)
    return _report(runner.start(input, common.execution_id(args)), args.json)


def cmd_backfill(args: argparse.Namespace) -> int:
    runner = common.runner(args, args.pipeline)
    initial = common.read_input(args.input)["initialData"]
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
    if common.deployed(args):
        from orchestration.deploy import remote
        from orchestration.deploy.settings import load as load_settings

        env = common.env(args)
        started = remote.resume(load_settings(env), conf.load(env), args.execution_id, args.stage)
        print(json.dumps(started, indent=2) if args.json else
              f"{started['executionArn']} started {started['startDate']} (execution id {started['executionId']}, "
              f"from {args.stage})")
        return 0
    record = common.local_executions(args).describe(args.execution_id)  # it names the execution's pipeline
    return _report(common.runner(args, record["pipeline"]).resume(args.execution_id, args.stage), args.json)


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


def _executions(args: argparse.Namespace) -> Any:
    """Where status, history and list read: AWS for a deployed environment, else the local executions."""
    if common.deployed(args):
        from orchestration.deploy.remote import RemoteExecutions
        from orchestration.deploy.settings import load as load_settings

        return RemoteExecutions(load_settings(common.env(args)))
    return common.local_executions(args)


def _report(summary: RunSummary, as_json: bool) -> int:
    if as_json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(run_table(summary))
    return 0 if summary.status == "SUCCEEDED" else 1


def run_table(summary: RunSummary) -> str:
    """The table ``baton run`` and ``baton resume`` print: one row per stage, then quality, error and reports."""
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


def add_run(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
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


def add_backfill(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
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


def add_resume(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    resume = sub.add_parser("resume", help="re-enter an execution at a stage, from its stored outputs",
                            parents=[shared])
    resume.add_argument("execution_id")
    resume.add_argument("--from", dest="stage", required=True, help="stage to start at, e.g. Enrich")
    resume.add_argument("--json", action="store_true")
    resume.add_argument("--master", help="Spark master (default: conf's)")
    resume.set_defaults(func=cmd_resume)


def add_status_history_list(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    for name, func, text in (("status", cmd_status, "an execution's status"),
                             ("history", cmd_history, "an execution's history events")):
        command = sub.add_parser(name, help=text, parents=[shared])
        command.add_argument("execution_id")
        command.add_argument("--json", action="store_true")
        command.set_defaults(func=func)

    sub.add_parser("list", help="executions in the workflow bucket", parents=[shared]).set_defaults(func=cmd_list)
