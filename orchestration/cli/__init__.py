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

This module assembles the parser; each group of commands is a module of its own: ``executions``
(run, backfill, resume, status, history, list), ``views`` (asl, graph, report, cost, check), ``new``,
``suites`` (suite draft) and ``deployment`` (package, synth, deploy, start, upload, redrive).
``baton asl``, ``baton graph`` and ``baton --help`` load no PySpark: the commands that need Spark
import it when they run.
"""

from __future__ import annotations

import argparse
import sys

from baton import logs
from baton.errors import BatonError
from orchestration.cli import deployment, executions, new, suites, views


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baton", description="Baton: Spark stages chained by Step Functions.")
    env_help = "settings: conf/<env>.json (default: BATON_ENV or local)"
    parser.add_argument("--env", default=None, help=env_help)
    parser.add_argument("--workflow-bucket", default=None, help="override the settings' workflow bucket")
    # --env after the subcommand too; SUPPRESS: given there it wins, not given it leaves the top level's.
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--env", default=argparse.SUPPRESS, help=env_help)
    sub = parser.add_subparsers(dest="command", required=True)

    # in the order --help lists them
    for add in (executions.add_run, executions.add_backfill, executions.add_resume,
                executions.add_status_history_list, views.add_asl, deployment.add_package, new.add_new,
                suites.add_suite, deployment.add_aws, views.add_report_graph_check_cost):
        add(sub, shared)
    return parser


def main(argv: list[str] | None = None) -> int:
    logs.configure()  # the runtime's log lines (progress, verdicts) as plain lines on stderr
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BatonError as err:  # anything else is a bug: its traceback shows
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
