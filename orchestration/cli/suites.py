"""``baton suite draft``: profile a dataset and write a draft Great Expectations suite to review."""

from __future__ import annotations

import argparse
from pathlib import Path

from baton.raw_source import RAW_FORMATS
from orchestration.cli import common


def cmd_suite_draft(args: argparse.Namespace) -> int:
    from orchestration.scaffold import PROJECT_ROOT
    from quality import draft

    dataset = args.dataset or Path(args.path.rstrip("/")).name.split(".")[0]
    out = Path(args.out) if args.out else PROJECT_ROOT / "quality" / "suites" / f"{dataset}_draft.json"
    found = draft.profile(draft.read_dataset(common.spark(args, "baton-draft"), args.path, args.format,
                                             args.null_token))
    draft.write_suite(draft.draft_suite(found, out.stem, dataset, args.path), out)
    print(f"wrote {out}: a draft from {found.rows:,} rows; review it before use "
          f"(candidate keys: {', '.join(found.candidate_keys) or 'none'})")
    return 0


def add_suite(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    suite = sub.add_parser("suite", help="quality suites").add_subparsers(dest="what", required=True)
    suite_draft = suite.add_parser("draft", parents=[shared],
                                   help="profile a dataset and write a draft GE suite to review")
    suite_draft.add_argument("path", help="a committed dataset (Parquet folder with _SUCCESS) or raw csv/json/parquet")
    suite_draft.add_argument("--dataset", help="the dataset's name (default: the path's last part)")
    suite_draft.add_argument("--out", help="suite file to write (default: quality/suites/<dataset>_draft.json)")
    suite_draft.add_argument("--format", choices=RAW_FORMATS, help="default: from the path")
    suite_draft.add_argument("--null-token", default="", help="CSV: a field value read as null besides empty fields")
    suite_draft.set_defaults(func=cmd_suite_draft)
