"""Memory soak: a thousand reruns across several sessions of one server; does its memory grow?

``python scripts/memory_soak.py [--reruns 1000] [--warmup 400] [--limit-mb 30] [--out PATH]``

A server that runs for a whole course must not grow with every slider move: each rerun makes
images, figures and model outputs, and whatever a rerun leaves behind (in session state, the
caches, the media file store, torch) adds up over a term. This serves the app on a loopback port
and keeps several sessions pressing Resample, each press one rerun of the whole page:
``--ws-sessions`` speak Streamlit's websocket protocol directly (``scripts/_ws_session.py``,
real reruns that nobody draws, so the 2 cores serve reruns, not rendering), of which
``--models-sessions`` are on the Models page (predictions, Grad-CAM, the sweep), and
``--browser-sessions`` are Chromium contexts clicking the button (which also fetch every image).
Every rerun's values are checked against ``cutmix_core``, as in the load test.

The server's resident memory (VmRSS) is sampled throughout. The figures compared are taken
with every session connected and idle for a few seconds: after ``--warmup`` reruns (imports,
models, caches filled), and after ``--reruns`` more. Pass: growth between them at most
``--limit-mb`` MB, every rerun done and right. Writes a JSON report (default
``assets/memory_soak.json``) and prints a summary; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import replace
from typing import Any

import _harness
from _ws_session import WsSession

from cutmix_core.data.cifar import CLASSES


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reruns", type=int, default=1000, help="reruns after the warm-up")
    parser.add_argument("--warmup", type=int, default=400, help="reruns before the first figure")
    parser.add_argument("--ws-sessions", type=int, default=4, help="websocket sessions")
    parser.add_argument("--models-sessions", type=int, default=1, help="of them on Models")
    parser.add_argument("--browser-sessions", type=int, default=1, help="Chromium sessions")
    parser.add_argument(
        "--models-weight",
        type=float,
        default=0.25,
        help="a Models-page session's share of reruns against a playground session's (its "
        "reruns cost several times more, and every session should finish together)",
    )
    parser.add_argument(
        "--browser-weight",
        type=float,
        default=0.5,
        help="a browser session's share against a websocket session's (drawing costs CPU)",
    )
    parser.add_argument("--limit-mb", type=float, default=30.0, help="allowed growth, MB")
    _harness.add_run_bounds(parser, timeout=900.0, step_timeout=120.0, out="memory_soak.json")
    return parser.parse_args()


def _shares(total: int, weights: list[float]) -> list[int]:
    """``total`` reruns split in proportion to ``weights`` (largest remainders round up)."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (time, MB) points, MB a second; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    mt = sum(t for t, _ in points) / len(points)
    mr = sum(r for _, r in points) / len(points)
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (r - mr) for t, r in points) / var if var else 0.0


def _plans(core: Any, args: Any) -> tuple[list, list, list]:
    """Each session's opening step, warm-up steps and measured steps."""
    sessions = args.ws_sessions + args.browser_sessions
    weights = [
        args.models_weight
        if s < args.models_sessions
        else args.browser_weight
        if s >= args.ws_sessions
        else 1.0
        for s in range(sessions)
    ]
    warm, measured = _shares(args.warmup, weights), _shares(args.reruns, weights)
    opening, first, second = [], [], []
    for s in range(sessions):
        page = "models" if s < args.models_sessions else "playground"
        view = core.View(
            page, CLASSES[s % 10], s % 10, CLASSES[(s + 3) % 10], (s + 1) % 10, 1.0, 10_000 * s
        )
        steps = core.resample_plan(view, warm[s] + measured[s])
        if page == "models":
            steps = [replace(st, action="models") if st.action == "open" else st for st in steps]
        opening.append(steps[:1])
        first.append(steps[1 : 1 + warm[s]])
        second.append(steps[1 + warm[s] :])
    return opening, first, second


async def _soak(
    core: Any, url: str, chromium: str, plans: tuple, expect: Any, args: Any, sampler: Any
) -> tuple[dict[str, float], list]:
    """Open every session, run the warm-up, take a figure, run the rest, take another."""
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + args.timeout
    opening, first, second = plans
    marks: dict[str, float] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium, args=_harness.server_helpers().CHROMIUM_ARGS
        )
        sessions: list[Any] = [WsSession(core, n, url) for n in range(args.ws_sessions)]
        for n in range(args.ws_sessions, len(opening)):
            session = core.BrowserSession(n)
            await session.open(browser, url)
            sessions.append(session)

        async def phase(plans: list) -> None:
            await asyncio.gather(
                *(
                    s.run(plan, expect, step_timeout=args.step_timeout, deadline=deadline)
                    for s, plan in zip(sessions, plans)
                )
            )

        try:
            await phase(opening)
            marks["warmup_start"] = time.monotonic()
            await phase(first)
            marks["rss_after_warmup"] = await asyncio.to_thread(sampler.settled)
            marks["measured_start"] = time.monotonic()
            marks["cpu_start"] = _harness.cpu_s(sampler.server_pid)
            await phase(second)
            marks["measured_end"] = time.monotonic()
            marks["cpu_end"] = _harness.cpu_s(sampler.server_pid)
            marks["rss_end"] = await asyncio.to_thread(sampler.settled)
        finally:
            await asyncio.gather(*(s.close() for s in sessions))
            await browser.close()
    marks["rss_after_closing"] = await asyncio.to_thread(sampler.settled, 5.0)
    return marks, [s.result for s in sessions]


def main() -> int:
    args = _args()
    core = _harness.load_core()
    chromium = _harness.chromium_or_exit()
    load_start = _harness.load_now()
    print(f"machine: {_harness.describe_load(load_start)}")
    plans = _plans(core, args)
    # The playground's "model says" row is left unchecked here (its reference would cost the
    # driver two minutes); the load test checks it. The Models page is checked in full.
    expect = core.Expectations(model_says=False)
    started = time.monotonic()
    views = {step.view for group in plans for plan in group for step in plan}
    for view in views:  # before the server starts, so the reference costs the server nothing
        expect(view)
    print(f"expected values of {len(views)} views in {time.monotonic() - started:.0f} s")

    with _harness.served() as server, _harness.Sampler(server.pid, interval=0.2) as sampler:
        rss_idle = sampler.settled(2.0)
        marks, results = asyncio.run(
            _soak(core, server.url, chromium, plans, expect, args, sampler)
        )
        server_errors = _harness.server_tracebacks(server.pid)
        peak = sampler.peak()
        samples = list(sampler.samples)
        timeline = [(round(t - sampler.samples[0][0], 1), round(r, 1)) for t, r in sampler.samples]

    failures = core.problems(results)
    failures += [f"server log: {tb.splitlines()[-1]}" for tb in server_errors]
    reruns = sum(
        1 for r in results for step in r.steps if step.action == "resample" and not step.problems
    )
    planned = args.warmup + args.reruns
    skipped = sum(r.skipped for r in results)
    growth = marks["rss_end"] - marks["rss_after_warmup"]
    measured_s = marks["measured_end"] - marks["measured_start"]
    server_cpu = marks["cpu_end"] - marks["cpu_start"]
    slope = (
        _slope(
            [(t, r) for t, r in samples if marks["measured_start"] <= t <= marks["measured_end"]]
        )
        * (measured_s / args.reruns)
        * 100
    )
    ok = not failures and not skipped and reruns == planned and growth <= args.limit_mb
    latencies: dict[str, Any] = {}
    for kind, chosen in (
        ("websocket", results[: args.ws_sessions]),
        ("browser", results[args.ws_sessions :]),
    ):
        if chosen:
            latencies[kind] = core.latency_table(chosen).get("resample")
    load_end = _harness.load_now()
    report = {
        "what": "scripts/memory_soak.py: reruns across sessions of one streamlit server",
        "status": "pass" if ok else "fail",
        "command": "python scripts/memory_soak.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out"),
        "machine": _harness.machine(chromium),
        "load_at_start": load_start,
        "load_at_end": load_end,
        "sessions": {
            "websocket": args.ws_sessions,
            "of_them_on_models_page": args.models_sessions,
            "browser": args.browser_sessions,
        },
        "reruns_planned": planned,
        "reruns_done_and_right": reruns,
        "reruns_skipped": skipped,
        "measured_wall_s": round(measured_s, 1),
        "reruns_per_s": round(args.reruns / measured_s, 2) if measured_s else None,
        "server_cpu_ms_per_rerun_measured": round(1000 * server_cpu / max(args.reruns, 1)),
        "rerun_latency_s": latencies,
        "server_rss_mb": {
            "idle_before_any_session": round(rss_idle, 1),
            "after_warmup": round(marks["rss_after_warmup"], 1),
            "end": round(marks["rss_end"], 1),
            "growth_after_warmup": round(growth, 1),
            "limit_growth": args.limit_mb,
            "peak": round(peak, 1),
            "5_s_after_closing_sessions": round(marks["rss_after_closing"], 1),
            "slope_mb_per_100_reruns_measured": round(slope, 2),
            "how": "VmRSS, median of the last second of 3 s with every session connected and "
            "idle; MB = 1,000,000 bytes; the slope is a least-squares line through every "
            "sample of the measured phase; Streamlit keeps a closed session 120 s "
            "(server.disconnectedSessionTTL)",
        },
        "rss_timeline_s_mb": timeline[:: max(1, len(timeline) // 300)],
        "failures": failures[:50],
        "failure_count": len(failures),
        "server_tracebacks": server_errors,
    }
    _harness.write_report(args.out, report)

    m, rss = report["machine"], report["server_rss_mb"]
    print()
    print(f"memory soak on {m['cpu']}, {m['cores']} cores; {_harness.describe_load(load_end)}")
    _harness.print_table(
        ["server RSS", "MB"],
        [
            ["idle, before any session", rss["idle_before_any_session"]],
            [f"after {args.warmup} warm-up reruns", rss["after_warmup"]],
            [f"after {args.reruns} more reruns", rss["end"]],
            ["growth after warm-up", rss["growth_after_warmup"]],
            ["peak", rss["peak"]],
            ["5 s after closing the sessions", rss["5_s_after_closing_sessions"]],
            ["slope, MB per 100 reruns", rss["slope_mb_per_100_reruns_measured"]],
        ],
    )
    print(
        f"{reruns} of {planned} reruns done and right, {report['reruns_per_s']} reruns/s, "
        f"server CPU {report['server_cpu_ms_per_rerun_measured']} ms a rerun"
    )
    for line in failures[:20]:
        print("FAIL", line)
    print(f"status: {report['status']} (growth {growth:.1f} MB, limit {args.limit_mb:g} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
