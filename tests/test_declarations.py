"""Declarations found by name under orchestration/declarations/ (what `baton new pipeline` writes)."""

from __future__ import annotations

import sys

import pytest

from orchestration import declarations
from orchestration.pipeline import DeclarationError

DECLARATION = '''
from orchestration.pipeline import Extraction, Job, Pipeline, Stage

PIPELINE = Pipeline(
    name="{name}",
    extraction=Extraction(name="Ingest", sources=("orders",), jobs_by_format={{"csv": Job("i", "x_ingest")}},
                          default_format="csv"),
    stages=(Stage("Load", Job("l", "x_load"), previous="Ingest"),),
)
'''


@pytest.fixture
def declared(tmp_path, monkeypatch):
    """A declarations folder of its own; the modules imported from it are forgotten afterwards."""
    monkeypatch.setattr(declarations, "__path__", [str(tmp_path)])
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith(f"{declarations.__name__}.")]:
        del sys.modules[name]


def test_a_declaration_is_found_by_its_module_name(declared):
    (declared / "shop.py").write_text(DECLARATION.format(name="shop"))
    found = declarations.discover(taken=("flights", "tpch"))
    assert list(found) == ["shop"] and found["shop"].stages[0].name == "Load"


@pytest.mark.parametrize(("module", "text", "message"), [
    ("shop", DECLARATION.format(name="store"), "declares pipeline 'store'; name the module store.py"),
    ("flights", DECLARATION.format(name="flights"), "'flights' is already declared"),
    ("shop", "PIPELINE = None\n", "expected PIPELINE = Pipeline"),
])
def test_a_wrong_declaration_names_its_file(declared, module, text, message):
    (declared / f"{module}.py").write_text(text)
    with pytest.raises(DeclarationError, match=message) as raised:
        declarations.discover(taken=("flights", "tpch"))
    assert str(raised.value).startswith(f"file orchestration/declarations/{module}.py: ")

