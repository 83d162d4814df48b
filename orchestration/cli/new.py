"""``baton new pipeline``: scaffold a pipeline that runs on the given files."""

from __future__ import annotations

import argparse

from orchestration import pipelines
from orchestration.cli import common


def cmd_new_pipeline(args: argparse.Namespace) -> int:
    from orchestration import scaffold

    sources = scaffold.parse_sources(args.source, args.null_token)
    written = scaffold.scaffold(common.spark(args, "baton-draft"), args.name, sources, scaffold.PROJECT_ROOT,
                                taken=pipelines.PIPELINES)
    for path in written:
        print(f"wrote {path.relative_to(scaffold.PROJECT_ROOT)}")
    print(f"review the drafted suites, then: baton run {args.name}")
    return 0


def add_new(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
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
