"""The ``baton`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.package import build_zip


def cmd_package(args: argparse.Namespace) -> int:
    out = Path(args.out)
    names = build_zip(out)
    jobs = sorted(n for n in names if n.startswith("jobs/") and n.endswith(".py") and "__init__" not in n)
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(names)} files, {len(jobs)} jobs)")
    print("EMR step:  spark-submit --py-files " + out.name + " jobs/<job>.py --execution-id ...")
    print("Glue job:  --extra-py-files s3://<bucket>/" + out.name)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baton", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    package = sub.add_parser("package", help="build the zip of Baton's packages for Glue and EMR")
    package.add_argument("--out", default="dist/baton-jobs.zip", help="zip to write (default: %(default)s)")
    package.set_defaults(func=cmd_package)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
