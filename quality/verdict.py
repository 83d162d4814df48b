"""The verdict: what a gate decided, the contract between a stage's job and the state machine.

A gated stage writes one verdict to ``quality/verdict.json`` (its datasets' verdicts under
``datasets``); the generated state machine reads it with ``s3:getObject`` and its Choice state
reads :data:`PASSED` and :data:`CORRECTABLE`, its failure notification :data:`REASON`. The JSON
form is :meth:`Verdict.to_json`: the JSON names of the fields that are set (``None`` is left
out), so a dataset's verdict, a correction's and a stage's differ only in what they carry.
No PySpark here: orchestration imports this module to generate and summarise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

PASSED = "passed"
CORRECTABLE = "correctable"
REASON = "reason"


def _json(name: str) -> Any:
    return field(metadata={"json": name})


def _optional(name: str) -> Any:
    return field(default=None, metadata={"json": name})


@dataclass(frozen=True)
class Verdict:
    """Whether the run continues (``passed``), goes to correction (``correctable``), or stops.

    ``failed_expectations`` holds one mapping per failed expectation (``name``, ``type``,
    ``onFail``, ``unexpectedCount``, ``success``, and ``dataset`` in a stage's verdict);
    ``orphans`` one per checked key reference (:mod:`quality.references`); ``datasets`` the
    verdict of each dataset of a stage.
    """

    passed: bool = _json(PASSED)
    correctable: bool = _json(CORRECTABLE)
    rows: int = _json("rows")
    failed_rows: int = _json("failedRows")
    correctable_rows: int = _json("correctableRows")
    failed_expectations: tuple[Mapping[str, Any], ...] = _json("failedExpectations")
    reason: str = _json(REASON)
    suite: str | None = _optional("suite")
    tolerance: float | None = _optional("tolerance")
    corrected_rows: int | None = _optional("correctedRows")
    rows_in: int | None = _optional("rowsIn")
    dropped_rows: int | None = _optional("droppedRows")
    dropped: Mapping[str, int] | None = _optional("dropped")
    added_rows: int | None = _optional("addedRows")
    added: Mapping[str, int] | None = _optional("added")
    orphans: tuple[Mapping[str, Any], ...] | None = _optional("orphans")
    datasets: Mapping[str, Verdict] | None = _optional("datasets")
    execution_id: str | None = _optional("executionId")
    stage: str | None = _optional("stage")

    def with_accounting(self, rows_in: int, dropped: Mapping[str, int], added: Mapping[str, int]) -> Verdict:
        """This verdict with where the dataset's rows went (see :class:`quality.checkpoint.Accounting`)."""
        return replace(self, rows_in=rows_in, dropped_rows=sum(dropped.values()), dropped=dict(dropped),
                       added_rows=sum(added.values()), added=dict(added))

    def failed_names(self) -> list[str]:
        """The names of the failed expectations, in order."""
        return [e["name"] for e in self.failed_expectations]

    def to_json(self) -> dict[str, Any]:
        """The JSON form: what ``quality/verdict.json`` holds and the state machine reads."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "datasets":
                value = {name: verdict.to_json() for name, verdict in value.items()}
            elif f.name in ("failed_expectations", "orphans"):
                value = [dict(item) for item in value]
            elif f.name in ("dropped", "added"):
                value = dict(value)
            out[f.metadata["json"]] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        """The verdict of a JSON form; ``ValueError`` names unknown or missing fields."""
        names = {f.metadata["json"]: f for f in fields(cls)}
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"not fields of a verdict: {unknown}; a verdict has {sorted(names)}")
        missing = sorted(name for name, f in names.items() if f.default is not None and name not in data)
        if missing:
            raise ValueError(f"a verdict needs {missing}; got {sorted(data)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            attribute = names[name].name
            if attribute == "datasets":
                value = {d: cls.from_json(v) for d, v in value.items()}
            elif attribute in ("failed_expectations", "orphans"):
                value = _records(value)
            values[attribute] = value
        return cls(**values)


def _records(items: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(dict(item) for item in items)
