"""Pipeline declarations found by name: each module here exposes ``PIPELINE``, named as the module.

``baton new pipeline NAME`` writes ``orchestration/declarations/NAME.py``; ``baton run NAME``
finds it without a registry to edit. A declaration imports only declarations and its
domain's facts (``domains/<name>.py``), never a job's Spark code.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from orchestration.pipeline import DeclarationError, Pipeline


def discover(taken: Iterable[str] = ()) -> dict[str, Pipeline]:
    """Every declared pipeline by name; a name in ``taken`` (already known) is refused."""
    taken = set(taken)
    found = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        where = f"orchestration/declarations/{module}.py"
        pipeline = getattr(importlib.import_module(f"{__name__}.{module}"), "PIPELINE", None)
        if not isinstance(pipeline, Pipeline):
            raise DeclarationError(f"expected PIPELINE = Pipeline(...), found {pipeline!r}", path=where)
        if pipeline.name != module:
            raise DeclarationError(f"declares pipeline {pipeline.name!r}; name the module {pipeline.name}.py",
                                   path=where)
        if module in taken:
            raise DeclarationError(f"pipeline {module!r} is already declared in orchestration/pipelines.py",
                                   path=where)
        found[module] = pipeline
    return found
