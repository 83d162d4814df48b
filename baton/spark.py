"""The one place a SparkSession is built.

Under ``spark-submit`` (local, EMR) or on Glue the session already has its master and
resources; ``get_spark`` then only adds what Baton's code relies on (UTC session time
zone). Started from plain Python (tests, the local executor) it builds a local session
from the environment's ``spark`` settings, tuned for short runs.
"""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from baton.errors import SettingError
from conf.settings import SparkSettings

# The driver JVM's flags for a local session, unless BATON_JVM_FLAGS sets them. The serial GC suits a
# 1-2 GiB heap on a few cores. A C1-only JIT (-XX:TieredStopAtLevel=1) cuts JVM start-up by about 45%
# and suits runs of a few seconds (the test suite sets it), but it halved throughput on TPC-H SF1
# (Denormalize + Aggregate 72 s against 40 s), so real runs keep the full JIT.
_LOCAL_JVM_FLAGS = "-XX:+UseSerialGC"


def get_spark(app_name: str, settings: SparkSettings | None = None,
              extra_conf: dict[str, str] | None = None) -> SparkSession:
    """Return the active SparkSession, or build one.

    ``settings`` (the environment's ``spark`` section) shape a session built here; they are not
    applied when the process was started by ``spark-submit``, Glue or an EMR step, whose launcher
    sets the master and the resources. Building one here without settings, or without a master,
    is a ``SettingError``.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return _apply_runtime_conf(active)

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers must run this interpreter (the venv's), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    launched_by_submit = _launched_by_submit()
    if not launched_by_submit:
        builder = _local(builder, settings)
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not launched_by_submit:
        session.sparkContext.setLogLevel("ERROR")
    return _apply_runtime_conf(session)


def _local(builder: SparkSession.Builder, settings: SparkSettings | None) -> SparkSession.Builder:
    """``builder`` for a session on this machine (or a standalone cluster), shaped by ``settings``."""
    if settings is None or settings.master is None:
        raise SettingError("missing: Spark is started here, outside spark-submit, so it needs a master "
                           "(BATON_ENV=local, or --master)", setting="spark.master")
    builder = (
        builder.master(settings.master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", os.environ.get("BATON_JVM_FLAGS", _LOCAL_JVM_FLAGS))
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
    )
    if settings.driver_memory is not None:
        builder = builder.config("spark.driver.memory", settings.driver_memory)
    if settings.master.startswith("spark://"):
        # A standalone cluster on this machine: executors run this venv's Python, one core each.
        builder = (builder.config("spark.pyspark.python", sys.executable)
                   .config("spark.executor.cores", "1").config("spark.executor.memory", "1g"))
    return builder


def _launched_by_submit() -> bool:
    """spark-submit (and Glue, and an EMR step) start Python with the JVM gateway running."""
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT"))


def _apply_runtime_conf(session: SparkSession) -> SparkSession:
    # Baton computes UTC timestamps and writes them; a machine-local session zone would
    # silently shift every timestamp by the laptop's offset.
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    # The runtime writes its own _SUCCESS after the commit; Hadoop's would come too early.
    session.sparkContext._jsc.hadoopConfiguration().set(
        "mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    return session
