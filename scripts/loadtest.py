"""Load test: many sessions at once against one ``streamlit run app.py``, every value checked.

``python scripts/loadtest.py [--sessions 20] [--rounds 1] [--timeout 600] [--out PATH]``

A class opens the lecturer's link at once and then moves sliders, all on one server process.
This serves the app on a loopback port and drives ``--sessions`` browser contexts (each its own
Streamlit session) in one Chromium, all at once. Each session, per round, opens a playground
link with its own classes, images, α and seed, presses Resample, moves α one notch, types a
seed, and in every other round (offset by session, so pages mix) opens the Models page for the
same pair, with both models' predictions and Grad-CAM maps (the plan is
``tests/browser/load.py``'s ``plan_sessions``).

Checks, per step: no exception, error, warning or lost connection on the page; every metric,
image caption and value sentence equals what ``cutmix_core`` computes for the session's own
settings, and the address bar names them. Session 0 first runs its plan alone, which warms the
server's caches and gives the serial latencies and readings; its readings under load must equal
those. Latency is from the action to the moment the rerun has finished and the new values are
drawn, as the browser sees it.

Writes a JSON report (default ``assets/loadtest.json``) naming the machine and what else ran on
it, prints a table of p50/p95 latencies per kind of change, and exits 1 on any failed check,
2 when ``--timeout`` cut the run short.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import _harness

ACTIONS = ("open", "resample", "alpha", "seed", "models", "all")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of changes per session")
    parser.add_argument("--models-every", type=int, default=2, help="Models page every N rounds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sessions' plans")
    parser.add_argument(
        "--server-threads",
        type=int,
        default=None,
        help="OMP_NUM_THREADS for the server (torch's threads); default: as the environment",
    )
    _harness.add_run_bounds(parser, timeout=600.0, step_timeout=180.0, out="loadtest.json")
    return parser.parse_args()


def _phase(
    core: Any, chromium: str, url: str, plans: list, expect: Any, args: Any, left: float
) -> tuple[list, float]:
    start = time.monotonic()
    results = asyncio.run(
        core.run_sessions(
            chromium,
            _harness.server_helpers().CHROMIUM_ARGS,
            url,
            plans,
            expect,
            step_timeout=args.step_timeout,
            timeout=left,
        )
    )
    return results, time.monotonic() - start


def main() -> int:
    args = _args()
    core = _harness.load_core()
    chromium = _harness.chromium_or_exit()
    if args.server_threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.server_threads)  # the server inherits it
    started = time.monotonic()
    load_start = _harness.load_now()
    print(f"machine: {_harness.describe_load(load_start)}")

    plans = core.plan_sessions(
        args.sessions, args.rounds, seed=args.seed, models_every=args.models_every
    )
    expect = core.Expectations()
    for plan in plans:  # before the server starts, so the reference costs the server nothing
        for step in plan:
            expect(step.view)
    steps = sum(len(p) for p in plans)
    print(f"{args.sessions} sessions, {steps} steps; expected values computed")

    with _harness.served() as server, _harness.Sampler(server.pid, interval=0.5) as sampler:
        rss_start = _harness.rss_mb(server.pid)

        def left() -> float:
            return args.timeout - (time.monotonic() - started)

        serial, serial_s = _phase(core, chromium, server.url, plans[:1], expect, args, left())
        rss_warm = _harness.rss_mb(server.pid)
        cpu0, client0 = _harness.cpu_s(server.pid), sampler.client_cpu_s()
        t0 = time.monotonic()
        together, wall_s = _phase(core, chromium, server.url, plans, expect, args, left())
        server_cpu = _harness.cpu_s(server.pid) - cpu0
        time.sleep(1.1)  # one more scan of the browser's CPU
        client_cpu = sampler.client_cpu_s() - client0
        rss_peak = sampler.peak(t0)
        rss_end = _harness.rss_mb(server.pid)
        server_errors = _harness.server_tracebacks(server.pid)

    failures = core.problems(serial) + core.problems(together)
    failures += [f"server log: {tb.splitlines()[-1]}" for tb in server_errors]
    alone = [s.reading and s.reading["key"] for s in serial[0].steps]
    under_load = [s.reading and s.reading["key"] for s in together[0].steps]
    if under_load[: len(alone)] != alone:
        failures.append("session 0 showed other values under load than alone")
    skipped = sum(r.skipped for r in together) + sum(r.skipped for r in serial)
    done = sum(len(r.steps) for r in together)
    status = "fail" if failures else "incomplete" if skipped else "pass"

    changes = [
        s.reading
        for r in together
        for s in r.steps
        if s.reading and s.action not in ("open", "models") and s.latency_s is not None
    ]
    serial_lat = core.latency_table(serial)
    load_lat = core.latency_table(together)
    load_end = _harness.load_now()
    report = {
        "what": "scripts/loadtest.py: concurrent sessions against one streamlit server",
        "status": status,
        "command": "python scripts/loadtest.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in vars(args).items()
            if k != "out" and v is not None
        ),
        "machine": _harness.machine(chromium),
        "load_at_start": load_start,
        "load_at_end": load_end,
        "server_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "sessions": args.sessions,
        "rounds": args.rounds,
        "steps_planned": steps,
        "steps_run": done,
        "steps_skipped": skipped,
        "concurrent_wall_s": round(wall_s, 1),
        "serial_wall_s": round(serial_s, 1),
        "steps_per_s": round(done / wall_s, 3) if wall_s else None,
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_step": round(1000 * server_cpu / done) if done else None,
        "browser_cpu_s": round(client_cpu, 1),
        "server_rss_mb": {
            "start_before_first_page": round(rss_start, 1),
            "after_serial_warmup": round(rss_warm, 1),
            "peak_under_load": round(rss_peak, 1),
            "end": round(rss_end, 1),
        },
        "latency_serial_s": serial_lat,
        "latency_concurrent_s": load_lat,
        "latency_means": "seconds from the action to the rerun finished and new values drawn",
        "changes_done_without_a_run_state_change_seen": sum(1 for r in changes if not r.get("ran")),
        "changes_where_the_app_element_was_replaced": sum(1 for r in changes if r.get("replaced")),
        "failures": failures[:50],
        "failure_count": len(failures),
        "server_tracebacks": server_errors,
    }
    _harness.write_report(args.out, report)

    rows = []
    for action in ACTIONS:
        s, c = serial_lat.get(action, {}), load_lat.get(action, {})
        if s or c:
            rows.append(
                [
                    action,
                    c.get("n", 0),
                    s.get("p50_s", float("nan")),
                    c.get("p50_s", float("nan")),
                    c.get("p95_s", float("nan")),
                    c.get("max_s", float("nan")),
                ]
            )
    print()
    where = f"{report['machine']['cpu']}, {report['machine']['cores']} cores"
    print(f"{args.sessions} sessions at once on {where}; {_harness.describe_load(load_end)}")
    _harness.print_table(["change", "n", "alone p50 s", "p50 s", "p95 s", "max s"], rows)
    print(
        f"{done} steps in {wall_s:.0f} s ({report['steps_per_s']} steps/s); server CPU "
        f"{server_cpu:.0f} s ({report['server_cpu_ms_per_step']} ms a step), browser CPU "
        f"{client_cpu:.0f} s; server RSS {rss_start:.0f} -> peak {rss_peak:.0f} -> "
        f"{rss_end:.0f} MB"
    )
    for line in failures[:20]:
        print("FAIL", line)
    for tb in server_errors[-2:]:
        print(tb)
    print(f"status: {status}")
    return {"pass": 0, "fail": 1, "incomplete": 2}[status]


if __name__ == "__main__":
    raise SystemExit(main())
