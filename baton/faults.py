"""Faults injected on purpose, to exercise retries, alerts, kills and recovery (see docs/operations.md).

    BATON_FAULTS="WHERE:ACTION[,WHERE:ACTION...]"

``WHERE`` is a stage name (its job reaches the points below) or ``Executor`` (the local executor's
bookkeeping). ``ACTION`` is one of:

    fail                   the stage fails at start (InjectedFault)
    fail-once              only its first attempt fails (attempts are counted in the state directory)
    pause-before-commit=S  sleep S seconds (default 30) once the output is staged, before its commit
    kill@POINT[=N]         the process kills itself with SIGKILL the N-th time (default 1) it reaches
                           POINT: no cleanup runs, as when the machine or the operator kills it

The entry point parses ``BATON_FAULTS`` once (the CLI, or ``run_stage`` for a job started on its own)
into a :class:`Faults`, handed to the executor, the handlers and every ``StageContext``. Nothing
reads or changes the environment afterwards.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from baton.errors import ArgumentError, InjectedFault

FAULTS_ENV = "BATON_FAULTS"
STATE_ENV = "BATON_FAULTS_STATE"
EXECUTOR = "Executor"
ACTIONS = ("fail", "fail-once", "pause-before-commit", "kill")

log = logging.getLogger("baton")


@dataclass(frozen=True)
class Fault:
    """One entry of ``BATON_FAULTS``: ``Load:kill@partition-replaced=2``."""

    where: str
    action: str
    point: str  # kill: the point; the other actions have their fixed point
    arg: str
    text: str

    def names(self, point: str) -> bool:
        """``staged`` names every kind's ``output-staged``, ``quarantine-staged``...; other points only themselves."""
        return point == self.point or point.endswith(f"-{self.point}")

    @classmethod
    def parse(cls, text: str) -> Fault:
        where, _, what = text.partition(":")
        action, _, arg = what.partition("=")
        action, _, point = action.partition("@")
        fixed = {"fail": "start", "fail-once": "start", "pause-before-commit": "staged"}
        if not where or action not in ACTIONS or (action == "kill") != bool(point):
            raise ArgumentError(f"{FAULTS_ENV} entry {text!r} is not WHERE:ACTION; actions: fail, fail-once, "
                                "pause-before-commit=SECONDS, kill@POINT[=N]", setting=FAULTS_ENV)
        if action == "kill" and arg and not (arg.isdigit() and int(arg) > 0):
            raise ArgumentError(f"{FAULTS_ENV} entry {text!r}: N in kill@POINT=N is a positive count",
                                setting=FAULTS_ENV)
        return cls(where, action, point or fixed[action], arg, text)


class Faults:
    """The faults of one process, and what they have seen: points reached, first attempts."""

    def __init__(self, faults: tuple[Fault, ...] = (), state_dir: str | Path | None = None):
        self.faults = faults
        self._state_dir = Path(state_dir) if state_dir else None
        self._owned: tempfile.TemporaryDirectory | None = None
        self._reached: Counter[Fault] = Counter()  # times each fault's point was reached

    @classmethod
    def parse(cls, text: str, state_dir: str | Path | None = None) -> Faults:
        return cls(tuple(Fault.parse(e) for e in (e.strip() for e in text.split(",")) if e), state_dir)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Faults:
        """``BATON_FAULTS`` (and ``BATON_FAULTS_STATE``, where fail-once counts attempts) of an entry point."""
        return cls.parse(environ.get(FAULTS_ENV, ""), environ.get(STATE_ENV) or None)

    def owning_state(self) -> Faults:
        """These faults, counting fail-once attempts in a directory of their own when none was given.

        For a process that runs every attempt itself (the local executor); a job started on its own
        needs ``BATON_FAULTS_STATE`` shared by its attempts.
        """
        if self._state_dir is None and any(f.action == "fail-once" for f in self.faults):
            self._owned = tempfile.TemporaryDirectory(prefix="baton-faults-")
            self._state_dir = Path(self._owned.name)
        return self

    def check(self, where: str, point: str, before_kill: Callable[[], None] | None = None) -> None:
        """Fail, pause or kill here if a fault names ``where`` and ``point``.

        ``before_kill`` runs just before a kill: what the process was doing when it died (e.g. half a line).
        """
        for fault in self.faults:
            if fault.where != where or not fault.names(point):
                continue
            self._reached[fault] += 1
            if fault.action == "fail":
                raise InjectedFault(f"injected failure ({FAULTS_ENV}={fault.text})", stage=where)
            if fault.action == "fail-once" and self._first_attempt(where):
                raise InjectedFault(f"injected failure on the first attempt ({FAULTS_ENV}={fault.text})",
                                    stage=where)
            if fault.action == "pause-before-commit":
                time.sleep(float(fault.arg or 30))
            if fault.action == "kill" and self._reached[fault] == int(fault.arg or 1):
                log.warning("%s: killing this process (pid %d) at %s", fault.text, os.getpid(), point)
                if before_kill is not None:
                    before_kill()
                os.kill(os.getpid(), signal.SIGKILL)

    def _first_attempt(self, stage: str) -> bool:
        if self._state_dir is None:
            raise ArgumentError(f"fail-once needs {STATE_ENV} (a directory) to count attempts", stage=stage)
        marker = self._state_dir / f"{stage}.failed-once"
        if marker.exists():
            return False
        self._state_dir.mkdir(parents=True, exist_ok=True)
        marker.touch()
        return True
