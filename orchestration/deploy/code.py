"""The code a deployment ships: what ``baton synth`` makes an asset of and ``baton upload`` puts in S3."""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestration.package import build_zip, package_root


def stage_code(directory: Path) -> Path:
    """The artifacts the stacks upload: the jobs zip and each job's script, as Glue and EMR read them."""
    if directory.exists():
        shutil.rmtree(directory)
    build_zip(directory / "baton-jobs.zip")
    jobs = directory / "jobs"
    jobs.mkdir()
    for script in sorted(package_root("jobs").glob("*.py")):
        shutil.copyfile(script, jobs / script.name)
    return directory
