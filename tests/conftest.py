"""Shared fixtures: one SparkSession for the whole test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("SPARK_TESTING", "1")
# Tests start many short JVMs (this session, and every CLI or job a test runs as a process).
os.environ.setdefault("BATON_JVM_FLAGS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")


@pytest.fixture(scope="session")
def spark():
    from baton.spark import get_spark
    from conf.settings import SparkSettings

    session = get_spark("baton-tests", SparkSettings(master="local[1]", shuffle_partitions=1, driver_memory=None))
    yield session
    session.stop()


@pytest.fixture(scope="module")
def ge():
    """Great Expectations' own evaluator, the reference the compiled gate is compared with."""
    from quality.evaluators import GreatExpectationsEvaluator

    return GreatExpectationsEvaluator()


@pytest.fixture(scope="module")
def compiled(ge):
    """The compiled gate, delegating to ``ge`` what it does not compile."""
    from quality.compiled import CompiledEvaluator

    return CompiledEvaluator(fallback=ge)
