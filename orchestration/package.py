"""Build the zip that Glue (``--extra-py-files``) and EMR (``spark-submit --py-files``) import jobs from."""

from __future__ import annotations

import zipfile
from importlib import resources
from pathlib import Path

PACKAGES = ("baton", "domains", "jobs", "transforms", "quality", "orchestration", "conf")
_SKIP_DIRS = {"__pycache__"}
_DATA_SUFFIXES = {".py", ".json", ".csv", ".md"}


def package_root(name: str) -> Path:
    return Path(str(resources.files(name)))


def build_zip(out: Path) -> list[str]:
    """Write the project's packages (code, suites, reference data, report assets, conf) to ``out``.

    Entries are written in sorted order with a fixed timestamp, so the same sources give
    the same bytes. Returns the names written.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    names = []
    tmp = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for package in PACKAGES:
            root = package_root(package)
            for path in sorted(root.rglob("*")):
                if path.is_dir() or _SKIP_DIRS & set(path.parts) or (
                        path.suffix not in _DATA_SUFFIXES and "report_assets" not in path.parts):
                    continue
                name = f"{package}/{path.relative_to(root).as_posix()}"
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
                names.append(name)
    tmp.replace(out)
    return names
