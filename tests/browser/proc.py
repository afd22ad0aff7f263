"""The served app's process, seen through /proc: which process serves a port, its resident
memory and CPU time, and what it has printed (its tracebacks).

``tests/browser/server.py``'s ``serve`` starts ``streamlit run`` as a child process and keeps
its output in an unnamed temporary file; the memory and load scripts need that process's id to
sample it, and a failed check needs its traceback (the page only says "an error occurred":
``client.showErrorDetails`` is "none"). Linux only; nothing here imports pytest.
"""

from __future__ import annotations

import os


def server_pid(port: int, parent: int | None = None) -> int:
    """The process id of the ``streamlit run`` child of ``parent`` (default: this process)
    whose command line names ``--server.port port``.

    Raises:
        RuntimeError: when there is not exactly one.
    """
    parent = os.getpid() if parent is None else parent
    found = [
        pid
        for pid in pids()
        if parent_of(pid) == parent
        and "streamlit" in (cmd := cmdline(pid))
        and f"--server.port {port}" in cmd
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one streamlit process on port {port}, found {found}")
    return found[0]


def cmdline(pid: int | str) -> str:
    """The command line of ``pid``, arguments joined by spaces; empty once it has exited."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def parent_of(pid: int | str) -> int | None:
    """The parent process id of ``pid``; None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("PPid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pids() -> list[int]:
    """Every process id now."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def descendants(root: int) -> set[int]:
    """Every process whose chain of parents reaches ``root`` (not ``root`` itself)."""
    parents = {pid: parent_of(pid) for pid in pids()}
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def server_log(pid: int, tail: int = 20_000) -> str:
    """The last ``tail`` characters of what the server has printed so far (its tracebacks).

    ``serve`` sends the server's output to an unnamed temporary file; the running process still
    holds it open as its standard output, which /proc/<pid>/fd/1 reads.
    """
    try:
        with open(f"/proc/{pid}/fd/1", "rb") as f:
            return f.read().decode(errors="replace")[-tail:]
    except OSError:
        return ""


def tracebacks(log: str, limit: int = 5) -> list[str]:
    """The last ``limit`` Python tracebacks in a server log, each as one block of text."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            current = [line]
        elif current is not None:
            current.append(line)
            if not line.startswith((" ", "\t")):  # "ValueError: ..." ends it
                blocks.append("\n".join(current))
                current = None
    return blocks[-limit:]


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` (VmRSS) in MB of 1,000,000 bytes; NaN once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds ``pid`` has used (all its threads); 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def port_of(url: str) -> int:
    """The port of a served app's base URL, ``http://127.0.0.1:8501`` -> 8501."""
    return int(url.rsplit(":", 1)[1].split("/")[0])
