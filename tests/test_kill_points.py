"""BATON_FAULTS as an object: parsed once, counting the points it reaches, killing at the N-th; no os.environ."""

import os
import signal

import pytest

from baton import faults as faults_module
from baton.errors import ArgumentError, InjectedFault
from baton.faults import Faults
from baton.storage import LocalStorage
from orchestration.execution_record import HistoryWriter
from orchestration.local import LocalRun


@pytest.fixture
def kills(monkeypatch):
    """The signals the faults would send, recorded instead of sent."""
    sent = []
    monkeypatch.setattr(faults_module.os, "kill", lambda pid, sig: sent.append((pid, sig)))
    return sent


def test_kill_happens_at_the_nth_time_the_named_point_is_reached(kills):
    faults = Faults.parse("Load:kill@partition-replaced=2, Other:kill@partition-replaced")
    faults.check("Load", "partition-replaced")
    faults.check("Load", "output-moved")
    assert kills == []
    faults.check("Load", "partition-replaced")
    assert kills == [(os.getpid(), signal.SIGKILL)]
    faults.check("Load", "partition-replaced")
    assert len(kills) == 1


def test_staged_names_every_kind_and_a_kind_names_only_itself(kills):
    faults = Faults.parse("Validate:kill@staged=2,Correct:kill@quarantine-staged")
    faults.check("Validate", "output-staged")
    faults.check("Correct", "output-staged")
    assert kills == []
    faults.check("Validate", "quarantine-staged")
    faults.check("Correct", "quarantine-staged")
    assert len(kills) == 2


def test_what_the_process_was_doing_runs_just_before_the_kill(kills):
    done = []
    Faults.parse("Executor:kill@history").check("Executor", "history", before_kill=lambda: done.append(len(kills)))
    assert done == [0] and len(kills) == 1


@pytest.mark.parametrize("entry", ["Load", "Load:explode", "Load:kill", "Load:kill@x=0", "Load:fail@start", ":fail"])
def test_a_malformed_entry_is_refused_with_the_syntax(entry):
    with pytest.raises(ArgumentError, match="BATON_FAULTS"):
        Faults.parse(entry)


def test_fail_once_counts_attempts_in_a_directory_the_faults_own(tmp_path):
    owned = Faults.parse("Conform:fail-once").owning_state()
    with pytest.raises(InjectedFault):
        owned.check("Conform", "start")
    owned.check("Conform", "start")
    with pytest.raises(ArgumentError, match="BATON_FAULTS_STATE"):
        Faults.parse("Conform:fail-once").check("Conform", "start")  # a job on its own: attempts need a directory
    shared = {"BATON_FAULTS": "Conform:fail-once", "BATON_FAULTS_STATE": str(tmp_path)}
    with pytest.raises(InjectedFault):
        Faults.from_environment(shared).check("Conform", "start")
    Faults.from_environment(shared).check("Conform", "start")


def test_a_local_run_reads_and_changes_no_environment(tmp_path, monkeypatch):
    import conf
    from orchestration.pipelines import FLIGHTS

    before = dict(os.environ)
    runner = LocalRun(FLIGHTS, conf.load(), str(tmp_path), faults=Faults.parse("Conform:fail-once"))
    assert runner.faults._state_dir is not None and dict(os.environ) == before


def test_a_line_torn_by_a_kill_is_left_out_then_repaired(tmp_path, kills):
    storage = LocalStorage(tmp_path)
    storage.write_bytes("h.jsonl", b'{"id": 1}\n{"id": 2, "ty')
    writer = HistoryWriter(storage, "h.jsonl", Faults())
    assert storage.read_bytes("h.jsonl") == b'{"id": 1}\n'
    writer.append({"id": 2})
    torn = HistoryWriter(storage, "h.jsonl", Faults.parse("Executor:kill@history"))
    torn.append({"id": 3, "type": "TaskScheduled"})  # the kill is recorded, not sent: the append goes on
    assert storage.read_bytes("h.jsonl").startswith(b'{"id": 1}\n{"id": 2}\n{"id": 3, "ty')
