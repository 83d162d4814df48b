"""Per-environment settings: conf/local.json, conf/dev.json, conf/prod.json.

``load()`` picks the environment from ``BATON_ENV`` (default ``local``). Values that are
paths are relative to the current directory unless absolute.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any

ENVIRONMENTS = ("local", "dev", "prod")


def load(env: str | None = None) -> dict[str, Any]:
    name = env or os.environ.get("BATON_ENV", "local")
    if name not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {name!r} (BATON_ENV); expected one of {list(ENVIRONMENTS)}")
    text = resources.files("conf").joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text) | {"environment": name}
