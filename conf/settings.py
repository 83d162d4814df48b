"""The typed settings of one environment, read and checked here from ``conf/<env>.json``.

Each JSON object is a frozen dataclass below; a key is its field's name in camelCase
(``shuffle_partitions`` is ``shufflePartitions``). A key the dataclass does not name, a key it
needs that is absent and a value of the wrong type are ``SettingError``s naming the file and the
key path (``setting spark.master in conf/dev.json``). A field typed ``X | None`` is optional: absent,
it is ``None``, which its readers treat as "not in this environment" (``deployment`` and ``cost``
exist only where the environment is deployed or priced). The only fields with a written default
are the HTTP lineage transport's tuning knobs (``LineageSettings``), declared with it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.errors import SettingError


@dataclass(frozen=True)
class SparkSettings:
    """A session Baton builds itself (not under spark-submit, Glue or an EMR step, whose launcher decides)."""

    shuffle_partitions: int
    master: str | None  # None: this environment runs Spark only where the launcher sets the master
    driver_memory: str | None


@dataclass(frozen=True)
class RetrySettings:
    wait_factor: float  # the local executor's waits and retry intervals are multiplied by it


@dataclass(frozen=True)
class ClusterSettings:
    """The cluster a transient-mode definition creates (names of the roles the stack creates)."""

    release_label: str
    instance_type: str
    core_instances: int
    service_role: str
    instance_profile: str
    log_uri: str


@dataclass(frozen=True)
class EmrSettings:
    mode: str  # "existing": the steps run on cluster_id; "transient": the definition creates ``cluster``
    cluster_id: str | None
    cluster: ClusterSettings | None


RETRY_MODES = ("standard", "adaptive")  # botocore's retry modes Baton accepts (see ``baton.s3``)


@dataclass(frozen=True)
class S3Settings:
    """botocore's retries for the workflow bucket and raw sources (see ``baton.s3``)."""

    retry_mode: str  # "standard" or "adaptive"
    max_attempts: int  # attempts in all, the first one included


@dataclass(frozen=True)
class NotificationSettings:
    topic: str  # the SNS topic ARN the failure path publishes to


@dataclass(frozen=True)
class LineageSettings:
    """Where the stage runtime sends OpenLineage events (see ``baton.lineage``)."""

    transport: str  # "file", "http" or "console"
    url: str | None  # http: the OpenLineage server
    endpoint: str = "api/v1/lineage"  # http: the OpenLineage API's path on it
    timeout_seconds: float = 5.0  # http
    retries: int = 1  # http


@dataclass(frozen=True)
class GlueSettings:
    worker_type: str
    number_of_workers: int


@dataclass(frozen=True)
class TriggerSettings:
    queue: bool
    schedule: str | None
    schedule_input: dict[str, Any] | None


@dataclass(frozen=True)
class DrSettings:
    """The standby region: its replica workflow bucket, its artifacts bucket, its EMR cluster (existing mode)."""

    region: str
    workflow_bucket: str
    artifacts: str
    emr_cluster_id: str | None


@dataclass(frozen=True)
class DeploymentSettings:
    """What the CDK app needs beyond the rest (see ``orchestration.deploy.settings``, which checks the values)."""

    account: str
    region: str
    name_prefix: str
    encryption: str
    executions_retention_days: int
    log_retention_days: int
    glue: GlueSettings
    trigger: TriggerSettings
    dr: DrSettings | None


@dataclass(frozen=True)
class GluePrices:
    dpu_hour: float
    minimum_seconds: int
    dpu_per_worker_type: dict[str, float]


@dataclass(frozen=True)
class EmrPrices:
    instance_count: int | None  # an existing cluster's shape (a transient one's is emr.cluster)
    instance_type: str | None
    minimum_seconds: int
    ec2_hour: dict[str, float]
    emr_hour: dict[str, float]


@dataclass(frozen=True)
class StepFunctionsPrices:
    per_transition: float


@dataclass(frozen=True)
class S3Prices:
    put_per_1000: float
    get_per_1000: float
    gb_month: float
    retention_days: int


@dataclass(frozen=True)
class CostSettings:
    """Prices (with their region and the date they were read) that ``baton cost`` uses."""

    region: str
    prices_as_of: str
    glue: GluePrices
    emr: EmrPrices
    step_functions: StepFunctionsPrices
    s3: S3Prices


@dataclass(frozen=True)
class Settings:
    """One environment's settings. ``environment`` and ``file`` say where they came from."""

    environment: str
    file: str  # conf/<env>.json, as errors name it
    warehouse: str
    workflow_bucket: str
    artifacts: str
    spark: SparkSettings
    retry: RetrySettings
    emr: EmrSettings
    notifications: NotificationSettings
    lineage: LineageSettings
    s3: S3Settings
    deployment: DeploymentSettings | None
    cost: CostSettings | None

    def error(self, setting: str, problem: str) -> SettingError:
        """A ``SettingError`` about ``setting`` (a key path such as ``emr.clusterId``) of this file."""
        return SettingError(problem, setting=setting, conf_file=self.file)


_FROM_FILE = ("environment", "file")  # Settings' fields set by the loader, not read from the JSON


def parse(raw: Any, environment: str, file: str) -> Settings:
    """``raw`` (the parsed JSON of ``file``) as ``Settings``; raises SettingError naming the file and key."""
    values = _object(Settings, raw, "", file, skip=_FROM_FILE)
    settings = Settings(environment=environment, file=file, **values)
    _check_emr(settings)
    _check_s3(settings)
    return settings


def read(path: Path, environment: str, file: str) -> Settings:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingError(f"no settings file for environment {environment!r}", path=file) from None
    except json.JSONDecodeError as err:
        raise SettingError(f"not JSON: {err}", path=file) from None
    return parse(raw, environment, file)


def camel(name: str) -> str:
    """``shuffle_partitions`` -> ``shufflePartitions``, ``put_per_1000`` -> ``putPer1000``."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _object(cls: type, raw: Any, where: str, file: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The constructor arguments of dataclass ``cls`` from the JSON object ``raw`` at key path ``where``."""
    if not isinstance(raw, dict):
        raise SettingError(f"must be a JSON object, got {_shown(raw)}", setting=where or None, conf_file=file)
    hints = typing.get_type_hints(cls)
    fields = {camel(f.name): f for f in dataclasses.fields(cls) if f.name not in skip}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise SettingError(f"unknown key; known keys here: {sorted(fields)}", setting=_join(where, unknown[0]),
                           conf_file=file)
    values = {}
    for key, field in fields.items():
        path = _join(where, key)
        kind, optional = _unwrap(hints[field.name])
        if key not in raw and field.default is not dataclasses.MISSING:
            values[field.name] = field.default
        elif key not in raw or raw[key] is None:
            if not optional:
                raise SettingError("missing", setting=path, conf_file=file)
            values[field.name] = None
        else:
            values[field.name] = _value(kind, raw[key], path, file)
    return values


def _value(kind: Any, raw: Any, path: str, file: str) -> Any:
    if dataclasses.is_dataclass(kind):
        return kind(**_object(kind, raw, path, file))
    if typing.get_origin(kind) is dict:
        _, item = typing.get_args(kind)
        if not isinstance(raw, dict):
            raise SettingError(f"must be a JSON object, got {_shown(raw)}", setting=path, conf_file=file)
        return {name: _value(item, value, _join(path, name), file) for name, value in raw.items()}
    if not _is(kind, raw):
        raise SettingError(f"must be {_NAMES.get(kind, 'a JSON value')}, got {_shown(raw)}", setting=path,
                           conf_file=file)
    return raw


_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _is(kind: Any, raw: Any) -> bool:
    if kind is Any:
        return True
    if kind is float:
        return isinstance(raw, int | float) and not isinstance(raw, bool)
    if kind is int:
        return isinstance(raw, int) and not isinstance(raw, bool)
    return isinstance(raw, kind)


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``, ``(hint, False)`` otherwise."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


def _check_emr(settings: Settings) -> None:
    emr = settings.emr
    if emr.mode not in ("existing", "transient"):
        raise settings.error("emr.mode", f"must be existing or transient, got {emr.mode!r}")
    if emr.mode == "existing" and emr.cluster_id is None:
        raise settings.error("emr.clusterId", "missing: emr.mode is existing, so the steps need a cluster id")
    if emr.mode == "transient" and emr.cluster is None:
        raise settings.error("emr.cluster", "missing: emr.mode is transient, so the definition creates this "
                                            "cluster (releaseLabel, instanceType, ...)")


def _check_s3(settings: Settings) -> None:
    if settings.s3.retry_mode not in RETRY_MODES:
        raise settings.error("s3.retryMode", f"must be one of {list(RETRY_MODES)}, got {settings.s3.retry_mode!r}")
    if settings.s3.max_attempts < 1:
        raise settings.error("s3.maxAttempts", f"must be at least 1 (attempts in all), got {settings.s3.max_attempts}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _shown(raw: Any) -> str:
    return json.dumps(raw)[:80]
