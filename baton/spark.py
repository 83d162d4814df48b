"""The one place a SparkSession is built.

Under ``spark-submit`` (local, EMR) or on Glue the session already has its master and
resources; ``get_spark`` then only adds what Baton's code relies on (UTC session time
zone). Started from plain Python (tests, the local executor) it builds a local session
tuned for short runs.
"""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

# The driver JVM's flags for a local session, unless BATON_JVM_FLAGS sets them. The serial GC suits a
# 1-2 GiB heap on a few cores. A C1-only JIT (-XX:TieredStopAtLevel=1) cuts JVM start-up by about 45%
# and suits runs of a few seconds (the test suite sets it), but it halved throughput on TPC-H SF1
# (Denormalize + Aggregate 72 s against 40 s), so real runs keep the full JIT.
_LOCAL_JVM_FLAGS = "-XX:+UseSerialGC"


def get_spark(
    app_name: str = "baton",
    master: str | None = None,
    shuffle_partitions: int | None = None,
    extra_conf: dict[str, str] | None = None,
) -> SparkSession:
    """Return the active SparkSession, or build one.

    ``master`` is honoured only when no session exists yet and the process was not
    started by ``spark-submit`` (which sets ``spark.master`` itself).
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
        builder = (
            builder.master(master or "local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.extraJavaOptions", os.environ.get("BATON_JVM_FLAGS", _LOCAL_JVM_FLAGS))
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 4))
        )
    elif shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if (master or "").startswith("spark://"):
        # A standalone cluster on this machine: executors run this venv's Python, one core each.
        builder = (builder.config("spark.pyspark.python", sys.executable)
                   .config("spark.executor.cores", "1").config("spark.executor.memory", "1g"))
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not launched_by_submit:
        session.sparkContext.setLogLevel("ERROR")
    return _apply_runtime_conf(session)


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
