"""Per-environment settings: conf/local.json, conf/dev.json, conf/prod.json.

``load()`` reads the environment ``BATON_ENV`` names (unset: ``local``) and returns the typed,
frozen ``conf.settings.Settings``; every reader of a setting takes that object, and an unknown,
missing or mistyped key is an error naming the file and the key. Values that are paths are
relative to the current directory unless absolute.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from baton.errors import SettingError
from conf.settings import Settings, read

ENVIRONMENTS = ("local", "dev", "prod")
ENV_VARIABLE = "BATON_ENV"


def environment(env: str | None = None) -> str:
    """``env``, else ``BATON_ENV``, else ``local``; refused unless one of ``ENVIRONMENTS``."""
    name = env or os.environ.get(ENV_VARIABLE) or "local"
    if name not in ENVIRONMENTS:
        raise SettingError(f"unknown environment {name!r} (--env or {ENV_VARIABLE}); expected one of "
                           f"{list(ENVIRONMENTS)}")
    return name


def load(env: str | None = None, directory: Path | None = None) -> Settings:
    """The settings of ``env`` (see ``environment``) from ``directory`` (default: this package's)."""
    name = environment(env)
    if directory is None:  # errors name the file as the repository does
        return read(Path(str(resources.files("conf"))) / f"{name}.json", name, f"conf/{name}.json")
    path = Path(directory) / f"{name}.json"
    return read(path, name, str(path))
