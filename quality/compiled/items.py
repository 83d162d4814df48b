"""What the compiler knows about one suite expectation, and the names it files results under."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException

from baton.errors import BatonError

COMPILED = "compiled"
GREAT_EXPECTATIONS = "great_expectations"
DATASOURCE_NAME = "baton_compiled"
FLAG_PREFIX = "__baton_unexpected_"
_DOMAIN_COLUMN_KEYS = ("column", "column_A", "column_B")
SPARK_ERRORS = (PySparkException, Py4JJavaError)


class CompileError(BatonError):
    """GE rejects an expectation's configuration (names the suite and the expectation)."""


@dataclass
class Item:
    """One suite expectation on its way through the compiler."""

    index: int
    name: str
    raw: dict
    config: Any = None  # the evaluated ExpectationConfiguration (parameters substituted, batch_id set)
    expectation: Any = None  # GE's Expectation built from ``config``
    dependencies: dict = field(default_factory=dict)  # GE metric name -> MetricConfiguration
    flag: str | None = None  # projection column of the row-level unexpected condition
    delegate_reason: str | None = None

    @property
    def compiled(self) -> bool:
        """True unless the expectation is delegated to GE."""
        return self.delegate_reason is None


def domain_columns(item: Item) -> list[str]:
    """The DataFrame columns the expectation's metrics read (from GE's metric domains)."""
    names: list[str] = []
    for mc in item.dependencies.values():
        domain = mc.metric_domain_kwargs
        names += [domain[key] for key in _DOMAIN_COLUMN_KEYS if domain.get(key) is not None]
        names += list(domain.get("column_list") or [])
    return list(dict.fromkeys(names))


def unevaluable_id(index: int) -> tuple[str, int]:
    """The key under which :meth:`CompiledSuite._aggregate` counts an expectation's unevaluable rows."""
    return ("baton.unevaluable", index)


def considered_id(index: int) -> tuple[str, int]:
    """The key under which :meth:`CompiledSuite._aggregate` leaves a uniqueness expectation's considered rows."""
    return ("baton.uniqueness.considered", index)


def sample_count_id(item: Item) -> Any:
    """The id of the metric that counts what the expectation's sample metric lists."""
    map_metric = getattr(item.expectation, "map_metric", None)
    name = f"{map_metric}.unexpected_count" if map_metric else "column.distinct_values.not_in_set.count"
    return item.dependencies[name].id
