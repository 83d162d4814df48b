"""TPC-H pipeline benchmarks: Baton against per-stage spark-submit, one plain script, and DuckDB.

    python benchmarks/pipeline.py local  [--sf 1] [--repeats 1] [--record]   # baton run vs spark-submit per stage
                                                                              # vs one plain Spark script (the same
                                                                              # checks; and the transforms alone)
    python benchmarks/pipeline.py engine [--sf 1] [--repeats 3] [--record]   # Denormalize+Aggregate vs DuckDB
    python benchmarks/pipeline.py scale  [--sfs 0.1,1,10] [--record]         # cost as the data grows

Every contender runs as its own process (a fresh JVM each, as users run them), on data
generated once by tpchgen-cli and shared. Wall seconds, CPU seconds of the process tree
(user+system of the waited-for children), peak RSS of the largest child (the driver JVM), and
for Baton the bytes each stage wrote (its manifests). Medians when --repeats > 1. The ratios
are printed last; targets are reported as met or not, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = os.environ | {"SPARK_LOCAL_IP": "127.0.0.1"}
sys.path.insert(0, str(ROOT))


@dataclass
class Run:
    wall: float
    cpu: float
    peak_rss_mb: float


class TreeSampler(threading.Thread):
    """Samples a process and all its descendants every 0.2 s from /proc: each one's last CPU ticks
    and the largest resident set seen. Needed because a JVM started by pyspark (``baton run``, the
    single script) is never waited for by the benchmark, so getrusage(RUSAGE_CHILDREN) misses it."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.done = root, threading.Event()
        self.cpu_ticks: dict[int, int] = {}
        self.peak_rss_kb = 0

    def _children(self, pid: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                found += [int(c) for c in task.read_text().split()]
        return found

    def sample(self) -> None:
        pending = [self.root]
        while pending:
            pid = pending.pop()
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                self.cpu_ticks[pid] = int(fields[11]) + int(fields[12])
                rss = [line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("VmRSS:")]
                if rss:
                    self.peak_rss_kb = max(self.peak_rss_kb, int(rss[0].split()[1]))
                pending += self._children(pid)

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.sample()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")


def measure(argv: list[str], cwd: Path) -> Run:
    """Run ``argv`` to completion: wall, CPU of the whole process tree, largest process's peak RSS
    (sampled every 0.2 s)."""
    cwd.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        log = Path(tempfile.gettempdir()) / f"baton-bench-failure-{os.getpid()}.log"  # outlives the work directory
        log.write_text(stderr, encoding="utf-8")
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n{stderr[-3000:]}\nwhole stderr: {log}")
    # waited-for children exactly; processes never waited for (a pyspark JVM) as last sampled
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu = max(waited, sampler.cpu_seconds)
    # not ru_maxrss: for RUSAGE_CHILDREN it is the largest child ever waited for, earlier contenders included
    return Run(wall, cpu, sampler.peak_rss_kb / 1024)


def median_run(runs: list[Run]) -> Run:
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_rss_mb for r in runs))


def generate(sf: float, root: Path) -> Path:
    """tpchgen-cli CSVs for ``sf`` in ``root/raw/tpch/sf<sf>`` (the layout the ingest job uses)."""
    from domains.tpch import TABLES, generated_dir
    from jobs.tpch_ingest import generate as generate_table

    target = generated_dir(root, sf)
    for table in TABLES:
        if not (target / f"{table}.csv").exists():
            generate_table(table, target, sf, "Benchmark")
    return target


# -- contenders --------------------------------------------------------------------------------
def baton_run(bucket: Path, raw: Path, sf: float, execution: str) -> Run:
    data = json.dumps({"initialData": {"scaleFactor": sf, "rawPath": str(raw)}})
    return measure([str(BIN / "baton"), "--workflow-bucket", str(bucket), "run", "tpch", "--execution-id",
                    execution, "--input", data], bucket)


def spark_submit_per_stage(bucket: Path, raw: Path, sf: float, execution: str) -> Run:
    """The same jobs as separate spark-submit processes, in the order the state machine runs them."""
    from domains.tpch import TABLES

    common = ["--execution-id", execution, "--workflow-bucket", str(bucket),
              "--initial-data", json.dumps({"scaleFactor": sf, "rawPath": str(raw)})]
    steps = [("tpch_ingest", "Ingest", None, ["--source", t]) for t in TABLES]
    steps += [("tpch_conform", "Conform", "Ingest", []), ("tpch_validate", "Validate", "Conform", []),
              ("tpch_denormalize", "Denormalize", "Validate", []), ("tpch_aggregate", "Aggregate", "Denormalize", []),
              ("tpch_load", "Load", "Aggregate", [])]
    runs = []
    for job, stage, previous, extra in steps:
        argv = [str(BIN / "spark-submit"), "--master", "local[2]", "--driver-memory", "2g",
                "--conf", "spark.sql.shuffle.partitions=4",
                str(ROOT / "jobs" / f"{job}.py"), *common, "--current-stage", stage,
                *(["--previous-stage", previous] if previous else []), *extra]
        runs.append(measure(argv, bucket))
    return Run(sum(r.wall for r in runs), sum(r.cpu for r in runs), max(r.peak_rss_mb for r in runs))


def single_script(bucket: Path, raw: Path, *flags: str) -> Run:
    return measure([sys.executable, str(ROOT / "benchmarks" / "tpch_single_script.py"), str(raw),
                    str(bucket / "single"), *flags], bucket)


def stage_bytes(bucket: Path, execution: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for manifest in (bucket / "executions" / execution).glob("*/output/*/_manifest.json"):
        stage = manifest.parts[-4]
        totals[stage] = totals.get(stage, 0) + json.loads(manifest.read_text()).get("bytes", 0)
    return totals


def stage_seconds(bucket: Path, execution: str) -> dict[str, float]:
    """Seconds per stage of a ``baton run``, from its execution history (each Task state's entry to exit,
    the stage being the state name's leading word: IngestLineitemCsv is Ingest)."""
    entered: dict[str, datetime] = {}
    totals: dict[str, float] = {}
    history = bucket / "executions" / execution / "_history.jsonl"
    for line in history.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails") or {}
        at = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        if event["type"] == "TaskStateEntered":
            entered[details["name"]] = at
        elif event["type"] == "TaskStateExited" and details["name"] in entered:
            stage = re.match(r"[A-Z][a-z]*", details["name"]).group(0)
            stage = "verdict reads" if stage == "Read" else stage  # ReadValidateVerdict: the quality Choice's input
            totals[stage] = round(totals.get(stage, 0.0) + (at - entered.pop(details["name"])).total_seconds(), 1)
    return totals


# -- commands ----------------------------------------------------------------------------------
def cmd_local(args: argparse.Namespace, work: Path) -> list[str]:
    raw = generate(args.sf, work)
    results: dict[str, list[Run]] = {"baton run (one JVM)": [], "spark-submit per stage": [],
                                     "single script (same checks)": [], "single script (transforms only)": []}
    for index in range(args.repeats):
        results["baton run (one JVM)"].append(baton_run(work / f"b{index}", raw, args.sf, "bench"))
        results["spark-submit per stage"].append(spark_submit_per_stage(work / f"s{index}", raw, args.sf, "bench"))
        results["single script (same checks)"].append(single_script(work / f"p{index}", raw))
        results["single script (transforms only)"].append(single_script(work / f"q{index}", raw, "--no-checks"))
    medians = {name: median_run(runs) for name, runs in results.items()}
    lines = table(f"Local pipeline, TPC-H SF{args.sf}", medians)
    baton, submit, script, bare = (medians[n] for n in results)
    lines.append(f"bytes written per stage (baton): {json.dumps(stage_bytes(work / 'b0', 'bench'))}")
    lines.append(f"seconds per stage (baton): {json.dumps(stage_seconds(work / 'b0', 'bench'))}")
    return lines + ["", f"baton run / single script (transforms only, no checks) = {baton.wall / bare.wall:.2f}",
                    ratio("spark-submit per stage / baton run", submit.wall / baton.wall, ">=", 4),
                    ratio("baton run / single script (same checks)", baton.wall / script.wall, "<=", 1.25)]


def cmd_engine(args: argparse.Namespace, work: Path) -> list[str]:
    raw = generate(args.sf, work)
    bucket = work / "engine"
    baton_run(bucket, raw, args.sf, "engine")  # for the Validate stage's Parquet output
    validated = bucket / "executions" / "engine" / "Validate" / "output"
    spark, duck = [], []
    for _ in range(args.repeats):
        spark.append(measure([sys.executable, str(ROOT / "benchmarks" / "tpch_engine.py"), "spark", str(validated),
                              str(work / "engine-out")], work))
        duck.append(measure([sys.executable, str(ROOT / "benchmarks" / "tpch_engine.py"), "duckdb", str(validated),
                             str(work / "engine-out")], work))
    medians = {"Spark (Baton's transforms, one process)": median_run(spark), "DuckDB (same SQL)": median_run(duck)}
    lines = table(f"Engine limit: Denormalize + Aggregate, TPC-H SF{args.sf} Parquet", medians)
    s, d = medians.values()
    return lines + ["", ratio("Spark / DuckDB", s.wall / d.wall, "<=", 5)]


def cmd_scale(args: argparse.Namespace, work: Path) -> list[str]:
    factors = [float(f) for f in args.sfs.split(",")]
    results = {}
    for sf in factors:
        raw = generate(sf, work)
        results[f"SF{sf:g}"] = baton_run(work / f"sf{sf:g}", raw, sf, "scale")
    lines = table("Scale: baton run tpch", results)
    for sf in factors:
        lines.append(f"SF{sf:g} bytes written per stage: {json.dumps(stage_bytes(work / f'sf{sf:g}', 'scale'))}")
        lines.append(f"SF{sf:g} seconds per stage: {json.dumps(stage_seconds(work / f'sf{sf:g}', 'scale'))}")
    lines.append("")
    if 1.0 in factors and 10.0 in factors:
        lines.append(ratio("time(SF10) / time(SF1)", results["SF10"].wall / results["SF1"].wall, "<=", 10))
        lines.append(ratio("driver peak RSS at SF10 (GiB)", results["SF10"].peak_rss_mb / 1024, "<=", 4))
    return lines


def versions() -> str:
    """The versions of what the contenders run: Spark, Great Expectations, DuckDB, tpchgen-cli, Java."""
    from importlib.metadata import version

    found = [f"{name} {version(package)}" for name, package in
             (("Spark", "pyspark"), ("GE", "great-expectations"), ("DuckDB", "duckdb"), ("tpchgen-cli", "tpchgen-cli"))]
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return ", ".join(found + ([java[0].strip()] if java else []))


def table(title: str, results: dict[str, Run]) -> list[str]:
    lines = [f"#### {title}", "", "| contender | wall s | CPU s | peak RSS MB |", "|---|---:|---:|---:|"]
    return lines + [f"| {n} | {r.wall:.1f} | {r.cpu:.1f} | {r.peak_rss_mb:.0f} |" for n, r in results.items()] + [""]


def ratio(label: str, value: float, op: str, target: float) -> str:
    met = value <= target if op == "<=" else value >= target
    return f"{label} = {value:.2f} (target {op} {target:g}: {'met' if met else 'NOT met'})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("local", "engine"):
        command = sub.add_parser(name)
        command.add_argument("--sf", type=float, default=1.0)
        command.add_argument("--repeats", type=int, default=1 if name == "local" else 3)
        command.add_argument("--record", action="store_true")
    scale = sub.add_parser("scale")
    scale.add_argument("--sfs", default="0.1,1,10")
    scale.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        lines = {"local": cmd_local, "engine": cmd_engine, "scale": cmd_scale}[args.command](args, Path(tmp))
    header = [f"### `python benchmarks/pipeline.py {' '.join(sys.argv[1:] if argv is None else argv)}`", "",
              f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.platform()}, {os.cpu_count()} CPUs; "
              f"Python {platform.python_version()}; {versions()}; each contender a fresh process; local[2], "
              "4 shuffle partitions, 2 GiB driver heap.",
              ""]
    if args.record:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(header + lines) + "\n")
    print("\n".join(header + lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
