"""A Spark standalone cluster on 127.0.0.1 for tests: one master, N workers, stopped by PID.

The pyspark wheel has no sbin/ start scripts: the daemons start with ``spark-class``, whose
``exec java`` keeps the PID of the process we start. Each daemon gets its own process group,
so stopping also ends the executors a worker forked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    workdir: Path
    master_port: int = field(default_factory=free_port)
    master_ui: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    def _start(self, name: str, *args: str) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        env = os.environ | {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1",
                            "SPARK_LOG_DIR": str(self.workdir), "PYSPARK_PYTHON": sys.executable}
        self.processes[name] = subprocess.Popen([str(BIN / "spark-class"), *args], stdout=log, stderr=log,
                                                env=env, start_new_session=True)

    def start(self, workers: int = 2, timeout: float = 180) -> Cluster:
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.master_port), "--webui-port", str(self.master_ui))
        for index in range(1, workers + 1):
            work = self.workdir / f"worker{index}"
            work.mkdir(parents=True, exist_ok=True)
            self._start(f"worker{index}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--cores", "1", "--memory", "1500m", "--webui-port", str(free_port()),
                        "--work-dir", str(work), self.url)
        self.wait_for_workers(workers, timeout)
        return self

    def alive_workers(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.master_ui}/json/", timeout=5) as response:
                return int(json.load(response).get("aliveworkers", 0))
        except (OSError, ValueError):  # not listening yet, or an empty page while the master UI starts
            return 0

    def wait_for_workers(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.alive_workers() < count:
            dead = [n for n, p in self.processes.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                self.stop()
                logs = {n: (self.workdir / f"{n}.log").read_text(errors="replace")[-2000:] for n in self.processes}
                raise RuntimeError(f"cluster did not start (dead: {dead}); logs: {logs}")
            time.sleep(1)

    def kill(self, name: str) -> int:
        """SIGKILL one daemon by its PID (its executors die with the group at stop())."""
        pid = self.processes[name].pid
        os.kill(pid, signal.SIGKILL)
        self.processes[name].wait(timeout=30)
        return pid

    def stop(self) -> None:
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):  # executors forked by a worker share its group
                os.killpg(process.pid, signal.SIGKILL)
