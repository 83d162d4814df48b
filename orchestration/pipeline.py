"""How a pipeline is declared: its stages, the engine each runs on, its gate and correction.

A declaration is data. ``orchestration.asl`` turns it into Amazon States Language, and the
local runner reads the same declaration to find which module a Glue job or EMR step runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baton.errors import NOT_RETRYABLE, BatonError
from baton.partitions import months
from baton.paths import validate_name

ENGINES = ("glue", "emr")
PARTITION_KEYS = {"month": months}  # partition key -> the partitions from --from to --to


class DeclarationError(BatonError):
    """A pipeline declaration that cannot run: unknown engine, duplicate stage names, a bad backfill."""


class UnknownPipeline(BatonError):
    """A pipeline name that no declaration gives."""


@dataclass(frozen=True)
class RetryPolicy:
    """Step Functions Retry of one task (the architecture's defaults)."""

    interval_seconds: int = 20
    max_attempts: int = 2
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None

    def to_asl(self) -> dict:
        retry = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": self.interval_seconds,
                 "MaxAttempts": self.max_attempts, "BackoffRate": self.backoff_rate}
        if self.max_delay_seconds is not None:
            retry["MaxDelaySeconds"] = self.max_delay_seconds
        return retry

    def job_retry(self) -> list[dict]:
        """The Retry of a job task: never the errors that fail the same way again, then this policy.

        The local handlers name a failed job by its error class (``baton.errors.NOT_RETRYABLE``).
        On AWS a failed Glue job run or EMR step is ``States.TaskFailed`` whatever the job raised,
        so there the second retrier decides.
        """
        never = {"ErrorEquals": [error.__name__ for error in NOT_RETRYABLE], "MaxAttempts": 0}
        return [never, self.to_asl()]


GLUE_RETRY = RetryPolicy(interval_seconds=300)  # Glue job runs: wait 5 minutes before retrying
TASK_RETRY = RetryPolicy()


def engine_retry(engine: str) -> RetryPolicy:
    """The default policy of a job on ``engine``."""
    return GLUE_RETRY if engine == "glue" else TASK_RETRY


@dataclass(frozen=True)
class Job:
    """A deployable job: its Glue job name (or EMR step name), module in jobs/, fixed arguments."""

    name: str
    module: str
    arguments: dict[str, str] = field(default_factory=dict)

    @property
    def script(self) -> str:
        return f"jobs/{self.module}.py"


@dataclass(frozen=True)
class Stage:
    """One stage of a pipeline. ``previous`` is the stage whose output it reads."""

    name: str
    job: Job
    engine: str = "glue"
    previous: str | None = None
    gated: bool = False
    correction: Stage | None = None
    timeout_seconds: int = 3600
    retry: RetryPolicy | None = None

    def __post_init__(self) -> None:
        validate_name(self.name, "stage name")
        if self.engine not in ENGINES:
            raise DeclarationError(f"stage {self.name}: engine must be one of {ENGINES}, got {self.engine!r}")

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.retry or engine_retry(self.engine)


@dataclass(frozen=True)
class Extraction:
    """The first stage: one job run per source, in parallel, the job chosen by the input's format."""

    name: str
    sources: tuple[str, ...]
    jobs_by_format: dict[str, Job]
    default_format: str
    engine: str = "glue"
    timeout_seconds: int = 1800
    retry: RetryPolicy | None = None

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.retry or engine_retry(self.engine)

    def job_for(self, fmt: str) -> Job:
        return self.jobs_by_format[fmt]


@dataclass(frozen=True)
class Backfill:
    """How a pipeline runs per partition (``baton backfill``): one child execution of the whole pipeline per
    partition, inside a Distributed Map, at most ``max_concurrency`` at once (0: no limit), the backfill
    failing once more than ``tolerated_failure_percentage`` of the partitions failed.

    Each child's ``initialData`` carries the partition under the key's name (``{"month": "2013-03"}``);
    ``filtered_at`` names the stage whose job keeps only that partition's rows, so every later stage
    and the Load (which replaces only the partitions it produced) see that partition alone.
    """

    partition_key: str
    filtered_at: str
    max_concurrency: int = 1
    tolerated_failure_percentage: float = 0.0

    def __post_init__(self) -> None:
        if self.partition_key not in PARTITION_KEYS:
            raise DeclarationError(f"backfill partition key must be one of {sorted(PARTITION_KEYS)}, got "
                             f"{self.partition_key!r}")
        if self.max_concurrency < 0 or not 0 <= self.tolerated_failure_percentage <= 100:
            raise DeclarationError("backfill: max_concurrency must be >= 0 and tolerated_failure_percentage in "
                                   "[0, 100]")

    def partitions(self, first: str, last: str) -> list[str]:
        """Every partition from ``first`` to ``last``, both included."""
        return PARTITION_KEYS[self.partition_key](first, last)


@dataclass(frozen=True)
class Pipeline:
    name: str
    extraction: Extraction
    stages: tuple[Stage, ...]
    description: str = ""
    backfill: Backfill | None = None

    def __post_init__(self) -> None:
        validate_name(self.name, "pipeline name")
        names = [self.extraction.name] + [s.name for s in self.all_stages()]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise DeclarationError(f"pipeline {self.name}: duplicate stage names {sorted(duplicates)}")
        if self.backfill is not None and self.backfill.filtered_at not in names:
            raise DeclarationError(f"pipeline {self.name}: the backfill filters at {self.backfill.filtered_at!r}, "
                             f"which is not one of its stages {names}")

    def all_stages(self) -> list[Stage]:
        """Main stages in order, each correction stage right after its gated stage."""
        found = []
        for stage in self.stages:
            found.append(stage)
            if stage.correction:
                found.append(stage.correction)
        return found

    def stage(self, name: str) -> Stage:
        for stage in self.all_stages():
            if stage.name == name:
                return stage
        raise KeyError(name)

    def jobs(self) -> dict[str, Job]:
        """Every job by its name (Glue job name / EMR step name)."""
        found = {job.name: job for job in self.extraction.jobs_by_format.values()}
        found.update({s.job.name: s.job for s in self.all_stages()})
        return found

    def gate_of(self, stage: Stage) -> Stage | None:
        """The gated stage with a correction whose verdict decides what ``stage`` reads, if any."""
        if stage.previous is None:
            return None
        previous = self.stage(stage.previous) if stage.previous != self.extraction.name else None
        return previous if previous is not None and previous.correction is not None else None
