"""What an execution costs on AWS, from what it left: its history, its committed datasets, the prices in conf.

    table = execution_cost(history, datasets, CostSettings.from_settings(conf.load("prod")))
    print(render(table))

Lines, each priced from the ``cost`` section of ``conf/<env>.json`` (prices carry their region
and the date they were read):

- a Glue stage: workers x DPU per worker x billed hours x price per DPU-hour, each attempt
  billed for at least Glue's minimum (1 minute for Glue 2.0 and later), per second after it;
- an EMR stage: instances x billed hours x (EC2 + EMR price per instance-hour), per second with
  a 1-minute minimum per attempt;
- Step Functions (Standard): state transitions counted from the history (every state entered,
  and every retry of a task) x price per transition;
- S3: requests (each object written to staging, copied into place, read once by the next stage)
  and storage of the committed bytes over the retention the lifecycle keeps them.

Every line's cost is rounded to the cent's hundredth (4 decimals) and the total is the sum of the
rounded lines, so the printed table adds up. Worker shapes come from conf's ``deployment.glue``
(``numberOfWorkers``, ``workerType``), a transient cluster's from ``emr.cluster``, an existing cluster's from
``cost.emr`` (``instanceCount``, ``instanceType``): each shape is written once in conf.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import conf
from baton import paths
from baton.storage import Storage, read_json
from conf.settings import Settings

CENT_HUNDREDTH = Decimal("0.0001")
DAYS_PER_MONTH = 30
ATTEMPT_ENDS = ("TaskSucceeded", "TaskFailed", "TaskTimedOut")
ENGINES = {"glue": "glue", "elasticmapreduce": "emr"}


@dataclass(frozen=True)
class CostSettings:
    region: str
    prices_as_of: str
    glue_dpu_hour: Decimal
    glue_minimum_seconds: int
    glue_workers: int
    glue_dpu_per_worker: Decimal
    emr_instances: int
    emr_instance_type: str
    emr_instance_hour: Decimal  # EC2 + EMR price of one instance-hour
    emr_minimum_seconds: int
    transition: Decimal
    s3_put_per_1000: Decimal
    s3_get_per_1000: Decimal
    s3_gb_month: Decimal
    s3_retention_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> CostSettings:
        """The prices of ``settings``' cost section, with the shapes its deployment and emr sections give."""
        cost, deployment = settings.cost, settings.deployment
        if cost is None:
            raise settings.error("cost", "missing: this environment has no prices")
        if deployment is None:
            raise settings.error("deployment", "missing: the Glue workers' shape is deployment.glue")
        worker_type = deployment.glue.worker_type
        if worker_type not in cost.glue.dpu_per_worker_type:
            raise settings.error("cost.glue.dpuPerWorkerType", f"no worker type {worker_type!r}")
        instance_type, instances = _emr_shape(settings)
        if instance_type not in cost.emr.ec2_hour or instance_type not in cost.emr.emr_hour:
            raise settings.error("cost.emr", f"no ec2Hour or emrHour price for {instance_type!r}")
        return cls(
            region=cost.region, prices_as_of=cost.prices_as_of,
            glue_dpu_hour=_dec(cost.glue.dpu_hour), glue_minimum_seconds=cost.glue.minimum_seconds,
            glue_workers=deployment.glue.number_of_workers,
            glue_dpu_per_worker=_dec(cost.glue.dpu_per_worker_type[worker_type]),
            emr_instances=instances, emr_instance_type=instance_type,
            emr_instance_hour=_dec(cost.emr.ec2_hour[instance_type]) + _dec(cost.emr.emr_hour[instance_type]),
            emr_minimum_seconds=cost.emr.minimum_seconds,
            transition=_dec(cost.step_functions.per_transition),
            s3_put_per_1000=_dec(cost.s3.put_per_1000), s3_get_per_1000=_dec(cost.s3.get_per_1000),
            s3_gb_month=_dec(cost.s3.gb_month), s3_retention_days=cost.s3.retention_days)


def _emr_shape(settings: Settings) -> tuple[str, int]:
    """Instance type and count: a transient cluster's from ``emr.cluster`` (primary + core), an existing
    cluster's from ``cost.emr`` (conf knows only its id)."""
    cluster, prices = settings.emr.cluster, settings.cost.emr
    if settings.emr.mode == "transient" and cluster is not None:
        return cluster.instance_type, 1 + cluster.core_instances
    if prices.instance_type is None or prices.instance_count is None:
        raise settings.error("cost.emr", "an existing cluster's shape needs instanceType and instanceCount")
    return prices.instance_type, prices.instance_count


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


@dataclass(frozen=True)
class Dataset:
    """A committed dataset of the execution: its key, bytes and number of objects."""

    key: str
    bytes: int
    objects: int


@dataclass(frozen=True)
class Line:
    item: str
    engine: str
    attempts: int | None
    seconds: float | None
    quantity: str  # what is billed, e.g. "10 DPU x 0.0167 h"
    cost: Decimal


@dataclass(frozen=True)
class CostTable:
    lines: tuple[Line, ...]
    settings: CostSettings
    label: str

    @property
    def total(self) -> Decimal:
        return sum((line.cost for line in self.lines), Decimal(0))

    def scaled(self, runs: int, label: str) -> CostTable:
        """The same lines for ``runs`` executions."""
        return CostTable(tuple(Line(line.item, line.engine, line.attempts, line.seconds,
                                    f"{runs} x ({line.quantity})", _round(line.cost * runs))
                               for line in self.lines), self.settings, label)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT_HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass
class _Attempt:
    state: str
    engine: str
    seconds: float


def task_attempts(history: Sequence[Mapping[str, Any]]) -> list[_Attempt]:
    """Each Glue or EMR job attempt: its state, engine and seconds from TaskStarted to its end."""
    by_id = {event["id"]: event for event in history}
    names: dict[int, str] = {}
    attempts = []
    for event in history:
        if event["type"] == "TaskStateEntered":
            names[event["id"]] = event["stateEnteredEventDetails"]["name"]
        if event["type"] not in ATTEMPT_ENDS:
            continue
        started = by_id[event["previousEventId"]]
        scheduled = by_id[started["previousEventId"]]
        engine = ENGINES.get(scheduled["taskScheduledEventDetails"]["resourceType"])
        if engine is None:
            continue
        attempts.append(_Attempt(_state_of(scheduled, by_id, names), engine,
                                 (_time(event) - _time(started)).total_seconds()))
    return attempts


def _state_of(event: Mapping[str, Any], by_id: Mapping[int, Mapping[str, Any]], names: Mapping[int, str]) -> str:
    """The task state an event belongs to: follow ``previousEventId`` back to its TaskStateEntered."""
    while event["id"] not in names:
        event = by_id[event["previousEventId"]]
    return names[event["id"]]


def _time(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))


def state_transitions(history: Iterable[Mapping[str, Any]]) -> int:
    """States entered, plus every task attempt after a state's first (a retry is a transition too)."""
    entered = scheduled = tasks = 0
    for event in history:
        entered += event["type"].endswith("StateEntered")
        tasks += event["type"] == "TaskStateEntered"
        scheduled += event["type"] == "TaskScheduled"
    return entered + max(scheduled - tasks, 0)


def execution_cost(history: Sequence[Mapping[str, Any]], datasets: Sequence[Dataset], settings: CostSettings,
                   label: str) -> CostTable:
    """The cost of one execution, line by line (see the module's docstring)."""
    lines = [_stage_line(state, attempts, settings) for state, attempts in _by_state(task_attempts(history))]
    transitions = state_transitions(history)
    lines.append(Line("state transitions", "stepfunctions", None, None, f"{transitions} transitions",
                      _round(transitions * settings.transition)))
    objects = sum(d.objects for d in datasets)
    gigabytes = Decimal(sum(d.bytes for d in datasets)) / Decimal(1024 ** 3)
    months = Decimal(settings.s3_retention_days) / DAYS_PER_MONTH
    requests = (2 * objects * settings.s3_put_per_1000 + objects * settings.s3_get_per_1000) / 1000
    lines.append(Line("requests", "s3", None, None, f"{2 * objects} PUT/COPY, {objects} GET", _round(requests)))
    lines.append(Line("storage", "s3", None, None, f"{gigabytes:.6f} GB x {settings.s3_retention_days} days",
                      _round(gigabytes * months * settings.s3_gb_month)))
    return CostTable(tuple(lines), settings, label)


def _by_state(attempts: list[_Attempt]) -> list[tuple[str, list[_Attempt]]]:
    grouped: dict[str, list[_Attempt]] = {}
    for attempt in attempts:
        grouped.setdefault(attempt.state, []).append(attempt)
    return list(grouped.items())


def _stage_line(state: str, attempts: list[_Attempt], s: CostSettings) -> Line:
    engine = attempts[0].engine
    seconds = sum(a.seconds for a in attempts)
    if engine == "glue":
        billed = sum(max(a.seconds, s.glue_minimum_seconds) for a in attempts)
        hours = Decimal(str(billed)) / 3600
        dpu = s.glue_workers * s.glue_dpu_per_worker
        return Line(state, engine, len(attempts), seconds, f"{dpu} DPU x {hours:.4f} h",
                    _round(dpu * hours * s.glue_dpu_hour))
    billed = sum(max(a.seconds, s.emr_minimum_seconds) for a in attempts)
    hours = Decimal(str(billed)) / 3600
    return Line(state, engine, len(attempts), seconds,
                f"{s.emr_instances} x {s.emr_instance_type} x {hours:.4f} h",
                _round(s.emr_instances * hours * s.emr_instance_hour))


def render(table: CostTable) -> str:
    """The table as text: one line per item, then the total (the sum of the lines above it)."""
    header = ("item", "engine", "attempts", "seconds", "billed", "USD")
    rows = [(line.item, line.engine, "-" if line.attempts is None else str(line.attempts),
             "-" if line.seconds is None else f"{line.seconds:.1f}", line.quantity, f"{line.cost:.4f}")
            for line in table.lines]
    rows.append(("total", "", "", "", "", f"{table.total:.4f}"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = [table.label, f"prices: {table.settings.region}, as of {table.settings.prices_as_of}", ""]
    out += ["  ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in [header, *rows]]
    return "\n".join(out)


def to_json(table: CostTable) -> dict[str, Any]:
    return {"label": table.label, "region": table.settings.region, "pricesAsOf": table.settings.prices_as_of,
            "currency": "USD", "total": str(table.total),
            "lines": [{"item": line.item, "engine": line.engine, "attempts": line.attempts, "seconds": line.seconds,
                       "billed": line.quantity, "cost": str(line.cost)} for line in table.lines]}


def datasets_of(keys: Iterable[str], read_manifest: Any) -> list[Dataset]:
    """The committed datasets among an execution's object keys: one per ``_manifest.json``.

    ``read_manifest(key)`` returns a manifest's content; objects are counted under its prefix.
    """
    keys = list(keys)
    found = []
    for key in keys:
        if key.endswith("/_manifest.json"):
            prefix = key[: -len("/_manifest.json")]
            manifest = read_manifest(key)
            objects = sum(1 for k in keys if k.startswith(prefix + "/"))
            found.append(Dataset(prefix, int(manifest.get("bytes") or 0), objects))
    return found


LOCAL_LABEL = ("local run: what this execution would cost with the prod settings "
               "if each stage took as long as here")


def stored_execution_cost(storage: Storage, execution_id: str, history: Sequence[Mapping[str, Any]],
                          settings: Settings) -> CostTable:
    """:func:`execution_cost` of an execution in the workflow bucket; a local run is priced with prod's conf."""
    local = settings.environment == "local"
    prices = CostSettings.from_settings(conf.load("prod") if local else settings)
    label = f"{execution_id}: " + (LOCAL_LABEL if local else f"{settings.environment} prices and shapes")
    keys = storage.list_keys(paths.execution_prefix(execution_id))
    return execution_cost(history, datasets_of(keys, lambda key: read_json(storage, key)), prices, label)


def monthly(table: CostTable, runs_per_day: int, execution_id: str) -> CostTable:
    """``table`` for ``runs_per_day`` runs a day over a 30-day month."""
    runs = runs_per_day * DAYS_PER_MONTH
    return table.scaled(runs, f"monthly estimate: {runs_per_day} runs a day x {DAYS_PER_MONTH} days, each like "
                              f"{execution_id} ({table.label.split(': ', 1)[1]})")
