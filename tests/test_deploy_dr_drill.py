"""The DR failover drill, locally (docs/operations.md, "Disaster recovery").

An execution runs in the primary workflow bucket; its bucket is copied as S3 replication would copy it
(executions/ and the warehouse) and the replica's warehouse is removed; the execution is resumed in the
replica from a later stage with the definition generated for the replica bucket, and loads the same
warehouse bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from orchestration import cli

pytestmark = pytest.mark.slow
EXECUTION = "tpch-drill"


def _warehouse(bucket: Path) -> dict[str, list[str]]:
    """Partition directory -> sorted digests of its Parquet files (file names carry a random id)."""
    found: dict[str, list[str]] = {}
    for path in sorted((bucket / "warehouse").rglob("*.parquet")):
        found.setdefault(path.parent.relative_to(bucket).as_posix(), []).append(
            hashlib.sha256(path.read_bytes()).hexdigest())
    return {partition: sorted(digests) for partition, digests in found.items()}


def test_resuming_from_the_replica_loads_the_same_warehouse_bytes(tmp_path, spark, capsys):
    primary, replica = tmp_path / "primary", tmp_path / "replica"
    assert cli.main(["--workflow-bucket", str(primary), "run", "tpch", "--execution-id", EXECUTION, "--json",
                     "--input", json.dumps({"initialData": {"scaleFactor": 0.01}})]) == 0
    loaded = _warehouse(primary)
    assert loaded

    shutil.copytree(primary, replica)  # what replication of executions/ and warehouse/ holds
    shutil.rmtree(replica / "warehouse")  # the warehouse must come back from the resumed stages
    capsys.readouterr()
    assert cli.main(["--workflow-bucket", str(replica), "resume", EXECUTION, "--from", "Aggregate", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "SUCCEEDED"
    assert [stage["stage"] for stage in summary["stages"]] == ["Aggregate", "Load"]
    assert _warehouse(replica) == loaded
