"""Count the Spark jobs and SQL executions a block of driver code causes, without the Spark UI.

``with measure(spark) as cost: ...`` tags every job the block starts (``SparkContext.addJobTag``)
and marks every SQL execution it starts (the ``spark.job.description`` local property, which
Spark copies into the execution's description). Both are thread-local properties that Spark
hands on to the threads it starts for the block (AQE query stages, broadcasts), so work from
other threads of the same application is not counted. When the block ends, the listener bus
is drained and the counts are read from the status stores Spark keeps even with
``spark.ui.enabled=false``: the job store (``statusTracker().getJobIdsForTag``) and the SQL
store (``sharedState.statusStore``).

SQL executions that start no job (a ``limit 0``, a collect answered from a local relation)
are counted too. Measurements nest: an outer block also counts what an inner block ran.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import SparkSession

DESCRIPTION_PROPERTY = "spark.job.description"
_LISTENER_TIMEOUT_MS = 30_000
_PAGE = 100


@dataclass
class SparkCost:
    """What a measured block cost; None when the session has no JVM to ask (Spark Connect)."""

    spark_jobs: int | None = None
    sql_executions: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        """``{"sparkJobs": n, "sqlExecutions": m}``, the shape Baton reports."""
        return {"sparkJobs": self.spark_jobs, "sqlExecutions": self.sql_executions}


@contextmanager
def measure(spark: SparkSession) -> Iterator[SparkCost]:
    """Yield a :class:`SparkCost` that is filled in when the block ends (also when it raises)."""
    cost = SparkCost()
    if not hasattr(spark, "_jsparkSession"):
        yield cost
        return
    sc = spark.sparkContext
    marker = f"baton-cost-{uuid.uuid4().hex}"
    store = spark._jsparkSession.sharedState().statusStore()
    last_before = _last_execution_id(store)
    previous = sc.getLocalProperty(DESCRIPTION_PROPERTY)
    sc.addJobTag(marker)
    sc.setLocalProperty(DESCRIPTION_PROPERTY, f"{previous} {marker}" if previous else marker)
    try:
        yield cost
    finally:
        sc.removeJobTag(marker)
        sc.setLocalProperty(DESCRIPTION_PROPERTY, previous)
        sc._jsc.sc().listenerBus().waitUntilEmpty(_LISTENER_TIMEOUT_MS)
        cost.spark_jobs = len(sc._jsc.sc().statusTracker().getJobIdsForTag(marker))
        cost.sql_executions = _count_marked_executions(store, marker, last_before)


def _last_execution_id(store) -> int:
    """The id of the newest SQL execution in the store, -1 when there is none."""
    count = store.executionsCount()
    if count == 0:
        return -1
    return store.executionsList(count - 1, 1).head().executionId()


def _count_marked_executions(store, marker: str, last_before: int) -> int:
    """SQL executions newer than ``last_before`` whose description carries ``marker``.

    Executions are kept in id order; pages are read from the newest backwards until one
    reaches an execution that existed before the block.
    """
    marked = 0
    end = store.executionsCount()
    while end > 0:
        start = max(0, end - _PAGE)
        executions = store.executionsList(start, end - start).iterator()
        reached_old = False
        while executions.hasNext():
            execution = executions.next()
            if execution.executionId() <= last_before:
                reached_old = True
            elif marker in (execution.description() or ""):
                marked += 1
        if reached_old:
            break
        end = start
    return marked
