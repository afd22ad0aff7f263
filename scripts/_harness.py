"""What the load, memory and upload scripts share: one served app with its process id, samples
of that process's memory and CPU, a description of the machine and of what else ran on it, and
the JSON report.

A figure measured on a shared 2-core machine means little without what else was running, so
every report names the CPU, the cores and the concurrent jobs (a training run, other test runs)
seen at its start and end. Memory is the server process's resident set (``VmRSS`` in
/proc/<pid>/status), in MB of 1,000,000 bytes.

The browser tests' helpers (``tests/browser/server.py``, ``proc.py``) and the load test's core
(``tests/browser/load.py``) are loaded by their paths, as ``scripts/screenshot.py`` does: tests
are no package, and nothing is added to ``sys.path``. The scripts import this module as
``_harness``, the folder of the running script being first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: What marks a concurrent job in a process's command line, by what the report calls it.
CONCURRENT = {
    "training job": "cutmix_core.training",
    "evaluation job": "cutmix_core.evaluation",
    "test run": "pytest",
}


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@functools.cache
def server_helpers() -> ModuleType:
    """tests/browser/server.py: ``serve``, ``free_port``, ``find_chromium``, ``CHROMIUM_ARGS``."""
    return _load("cutmix_browser_server", ROOT / "tests" / "browser" / "server.py")


@functools.cache
def proc() -> ModuleType:
    """tests/browser/proc.py: the server's process id, RSS, CPU time and log."""
    return _load("cutmix_browser_proc", ROOT / "tests" / "browser" / "proc.py")


def rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` in MB (``proc.rss_mb``)."""
    return float(proc().rss_mb(pid))


def cpu_s(pid: int) -> float:
    """The CPU seconds ``pid`` has used (``proc.cpu_s``)."""
    return float(proc().cpu_s(pid))


def server_tracebacks(pid: int) -> list[str]:
    """The tracebacks the server has printed so far."""
    return list(proc().tracebacks(proc().server_log(pid)))


@functools.cache
def load_core() -> ModuleType:
    """tests/browser/load.py: the load test's sessions, plans and checks."""
    return _load("cutmix_browser_load", ROOT / "tests" / "browser" / "load.py")


def chromium_or_exit() -> str:
    """Chromium's path, or exit with how to install it."""
    path = server_helpers().find_chromium()
    if path is None:
        sys.exit("Chromium not found: apt-get install -y chromium, or set CUTMIX_CHROMIUM.")
    return path


# --- the served app and its process ------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A running ``streamlit run app.py``: its base URL and process id."""

    url: str
    pid: int


@contextmanager
def served(*, timeout: float = 120.0) -> Iterator[Served]:
    """Serve the app with ``tests/browser/server.py``'s ``serve`` on a free loopback port, and
    find the server's process: our child whose command line names that port."""
    helpers = server_helpers()
    port = helpers.free_port()
    with helpers.serve(port, timeout=timeout) as url:
        yield Served(url, proc().server_pid(port))


class Sampler:
    """A thread sampling the server's RSS every ``interval`` seconds, and the CPU seconds of the
    server and of this script's other descendants (the browser and its driver), for the life of
    a ``with`` block. Times are ``time.monotonic()``."""

    def __init__(self, server_pid: int, interval: float = 0.1) -> None:
        self.server_pid = server_pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (time, RSS in MB)
        self._client_cpu: dict[int, float] = {}  # pid -> last CPU seconds seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        last_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            self.samples.append((now, rss_mb(self.server_pid)))
            if now - last_scan > 1.0:  # walking /proc costs more than reading one file
                last_scan = now
                for pid in proc().descendants(os.getpid()) - {self.server_pid}:
                    self._client_cpu[pid] = max(self._client_cpu.get(pid, 0.0), cpu_s(pid))
            self._stop.wait(self.interval)

    def client_cpu_s(self) -> float:
        """CPU seconds used so far by this script's descendants other than the server."""
        return sum(self._client_cpu.values())

    def between(self, start: float, end: float) -> list[float]:
        """RSS samples (MB) taken between two ``time.monotonic()`` instants."""
        return [rss for t, rss in self.samples if start <= t <= end]

    def peak(self, start: float = 0.0, end: float = float("inf")) -> float:
        """The largest RSS sampled between two instants (MB)."""
        return max(self.between(start, end), default=float("nan"))

    def settled(self, seconds: float = 3.0) -> float:
        """Wait ``seconds`` with nothing asked of the server; the median RSS of the last second."""
        time.sleep(seconds)
        now = time.monotonic()
        return median(self.between(now - 1.0, now) or [rss_mb(self.server_pid)])


# --- the machine and its load ---------------------------------------------------------------


def concurrent_jobs() -> dict[str, list[str]]:
    """Command lines (shortened) of other processes marked by :data:`CONCURRENT`, by kind: jobs
    that shared the machine. This script and its children are left out."""
    mine = proc().descendants(os.getpid()) | {os.getpid()}
    found: dict[str, list[str]] = {kind: [] for kind in CONCURRENT}
    for pid in proc().pids():
        if pid in mine:
            continue
        cmd = proc().cmdline(pid)
        for kind, mark in CONCURRENT.items():
            if mark in cmd and "grep" not in cmd:
                found[kind].append(cmd[:200])
    return found


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(cmd: Sequence[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
        return out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def machine(chromium: str | None = None) -> dict[str, Any]:
    """The machine a report was measured on: CPU, cores, memory, software and its load now."""
    import streamlit

    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    out: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb * 1024 / 1e9, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
    }
    if chromium is not None:
        out["chromium"] = _version([chromium, "--version"])
    return out


def load_now() -> dict[str, Any]:
    """The load average and the concurrent jobs, at this moment."""
    jobs = concurrent_jobs()
    return {
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "training_job_running": bool(jobs["training job"]),
        "evaluation_job_running": bool(jobs["evaluation job"]),
        "other_test_runs": len(jobs["test run"]),
        "jobs": jobs,
    }


def add_run_bounds(
    parser: argparse.ArgumentParser, *, timeout: float, step_timeout: float, out: str
) -> None:
    """The arguments every load script takes: a bound on the whole run and on each step (s),
    and the report's path (``out``, under assets/, by default)."""
    parser.add_argument("--timeout", type=float, default=timeout, help="bound on the whole run, s")
    parser.add_argument(
        "--step-timeout", type=float, default=step_timeout, help="bound per step, s"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / out, help="report JSON")


# --- reports ----------------------------------------------------------------------------------


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write ``report`` as indented JSON (NaN as null) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite(report), indent=2, ensure_ascii=False)
    path.write_text(text + "\n")
    print(f"wrote {path}")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain, aligned text table (first column left, the others right)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.2f}"
    return str(value)


def describe_load(load: dict[str, Any]) -> str:
    """One line: the load average and which concurrent jobs ran."""
    parts = [f"load average {load['load_average_1_5_15']}"]
    if load["training_job_running"]:
        parts.append("a training job (cutmix_core.training) running")
    if load.get("evaluation_job_running"):
        parts.append("an evaluation job (cutmix_core.evaluation) running")
    if load["other_test_runs"]:
        parts.append(f"{load['other_test_runs']} other pytest process(es)")
    return ", ".join(parts)
