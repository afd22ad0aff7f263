"""The app's sections of the benchmark: how long a student waits, on the server, in the browser,
at a cold start, and how many reruns one server process sustains.

    python scripts/bench_app.py [--quick]     # every section on its own, rows printed
    import bench_app                           # from scripts/benchmark.py, one call a section

Each public function is one section and returns rows of one shape (:class:`Row`): a figure with
its unit and statistic, the target the issue sets for it (None where it sets none) and whether
it was met (a time meets its target when it is at most the target).

2 server reruns. Streamlit's ``AppTest`` runs the page script as the server would, in this
process and without a browser, so the rerun after a widget change is timed alone: the share of
every slider move that the page's code controls. Only ``at.run()`` is timed, after a warm-up.
AppTest gives each run a new script cache, so it compiles app.py and the page again every run;
the server compiles a script once and keeps its bytecode (``Runtime``'s one ``ScriptCache``), so
here AppTest's runs share one cache too (:func:`_server_script_cache`). The AppTest floor row
(a one-line script) is timed the same way.
The playground after an α notch, a new seed and a moved box edge; the Models page with its two
models (predictions, both Grad-CAMs, the split sweep) on a cache miss (every seed gives a box
not seen before, so no cached explanation applies) and on a hit (the same settings again).

3 browser. What the student sees: one ``streamlit run app.py`` and Debian's Chromium through
Playwright, timed from the input event (Enter in the seed box, an arrow key on the focused α
slider) to the moment the page shows the result: the new mixed image loaded on the playground,
the new predictions (the models' metrics) on the Models page; then, as a second figure, to the
run finished with every image loaded. This adds what the server cannot see: the websocket,
how a widget commits its new value, React drawing the elements, fetching and decoding the images.

4 cold start. A lecturer starts the app before a class: a fresh ``streamlit run app.py`` process
until the first page is fully drawn in Chromium (images loaded, charts drawn, the app idle),
for the playground and, in other fresh processes, for the Models page, whose first run also
loads the checkpoints; the median of three starts each (one start is one sample of a figure
that moves by several tenths of a second). Chromium is started beforehand, so only the
server's start and the first run count; the disk cache is warm (the files were read before).
``import_profile`` says where the import time of a fresh interpreter goes.

7 scale. One server process and many sessions at once on loopback: each session opens its own
playground link and then changes its seed as fast as the server answers, over the app's own
websocket protocol (``scripts/_ws_session.py``: the server cannot tell it from a browser, but
no images are fetched or drawn, so the clients cost the machine little). Reruns per second and
the median and p95 latency of a rerun, per number of sessions, every run checked against the
library's values. No targets: it informs the README's paragraph on serving a class.

Figures depend on the machine and on what else runs on it; scripts/benchmark.py names both.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import functools
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Literal

import _harness
from _bench import Row
from _bench import row as _row

ROOT = _harness.ROOT
Section = Literal["2 server reruns", "3 browser", "4 cold start", "7 scale"]
SERVER: Section = "2 server reruns"
BROWSER: Section = "3 browser"
COLD: Section = "4 cold start"
SCALE: Section = "7 scale"
VIEWPORT: Any = {"width": 1400, "height": 1000}  # playwright's ViewportSize
MODELS_PAGE = "app_pages/models.py"
#: Reruns before the timed ones: the first runs load models and fill Streamlit's caches.
WARMUP = 3


def _spread(
    section: Section, case: str, seconds: Sequence[float], *, target_ms: float | None, note: str
) -> list[Row]:
    """A median row (which the target applies to) and a p95 row, in ms, of ``seconds``; NaN
    (not met) when there are none."""
    ms = [1000 * s for s in seconds]
    p95 = _harness.load_core().percentile(ms, 95)  # nearest rank, as the load test's
    mid = statistics.median(ms) if ms else math.nan
    return [
        _row(section, case, mid, "ms", "median", n=len(ms), note=note, target=target_ms),
        _row(section, case, p95, "ms", "p95", n=len(ms), note=note),
    ]  # fmt: skip


# --- 2: server-side reruns ----------------------------------------------------------------------


@contextlib.contextmanager
def _server_script_cache() -> Iterator[None]:
    """AppTest's runs share one script cache while this is open, as a server's sessions and
    reruns share the runtime's: each script is compiled once, not on every run."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    saved = app_test.ScriptCache, local_script_runner.ScriptCache
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment, misc]
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = saved  # type: ignore[misc]


def _open(page: str | None = None, query: dict[str, str] | None = None) -> Any:
    """A new AppTest session of app.py, opened as a browser opens a link, first run done."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query or {})
    if page is not None:
        at.switch_page(page)
    return _checked(at.run())


def _checked(at: Any) -> Any:
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.value for e in at.exception]}")
    return at


def _reruns(at: Any, change: Callable[[int], object], repeat: int) -> list[float]:
    """Seconds of ``at.run()`` after ``change(i)`` set the widgets, ``repeat`` times after
    :data:`WARMUP` untimed ones."""
    times = []
    for i in range(WARMUP + repeat):
        change(i)
        start = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - start
        _checked(at)
        if i >= WARMUP:
            times.append(elapsed)
    return times


def _ping_pong(values: Sequence[float], i: int) -> float:
    """The ``i``-th value of a walk up and down ``values`` one step at a time, from the second."""
    period = 2 * (len(values) - 1)
    k = (i + 1) % period
    return values[k if k < len(values) else period - k]


def _new_box_seeds(alpha: float, count: int, start: int) -> list[int]:
    """``count`` seeds from ``start`` on whose CutMix box (32 x 32, ``alpha``) is new each time,
    so the Models page's cached explanations (keyed on the box) never apply."""
    import numpy as np

    from cutmix_core import cutmix

    blank = np.zeros((32, 32, 3), np.uint8)
    seen: set[object] = set()
    seeds: list[int] = []
    seed = start
    while len(seeds) < count:
        box = cutmix(blank, blank, alpha, rng=np.random.default_rng(seed)).box
        if box not in seen:
            seen.add(box)
            seeds.append(seed)
        seed += 1
    return seeds


def server_rows(repeat: int = 50) -> list[Row]:
    """Section 2: the server-side rerun after one change, median and p95 over ``repeat``, with
    the torch threads a server has (``app_ui.server.one_torch_thread``: one, unless
    ``OMP_NUM_THREADS`` says otherwise), which this process imported torch too early to get."""
    import os

    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:
        with _server_script_cache():
            return _server_rows(repeat)
    finally:
        torch.set_num_threads(threads)


def _server_rows(repeat: int) -> list[Row]:
    import numpy as np
    import torch
    from streamlit.testing.v1 import AppTest

    from cutmix_core import defaults

    note = (
        f"AppTest, at.run() only, scripts compiled once as the server does; "
        f"torch threads {torch.get_num_threads()}"
    )
    # What AppTest itself costs a rerun (its thread, its polling, the element tree), for scale.
    floor = AppTest.from_string("import streamlit as st\nst.write('x')")
    floor.run()
    times = _reruns(floor, lambda i: None, repeat)
    rows = _spread(SERVER, "AppTest floor: a one-line script", times, target_ms=None, note=note)

    at = _open(query={"seed": "0"})

    # Widgets are looked up anew each time: every run rebuilds AppTest's element tree.
    def notch(i: int) -> None:
        at.select_slider(key="alpha").set_value(_ping_pong(defaults.ALPHAS, i))

    times = _reruns(at, notch, repeat)
    rows += _spread(SERVER, "playground, α one notch", times, target_ms=30, note=note)

    times = _reruns(at, lambda i: at.number_input(key="seed").set_value(1000 + i), repeat)
    rows += _spread(SERVER, "playground, new seed", times, target_ms=30, note=note)

    at.radio(key="mode").set_value("box")
    _checked(at.run())
    edges = np.random.default_rng(0).integers(0, 15, (WARMUP + repeat, 2))

    def move_box(i: int) -> None:  # one edge pair a rerun, rows and columns in turn
        lo, width = int(edges[i, 0]), 8 + int(edges[i, 1])
        at.slider(key="rows" if i % 2 == 0 else "cols").set_value((lo, lo + width))

    times = _reruns(at, move_box, repeat)
    rows += _spread(SERVER, "playground, box edge moved", times, target_ms=30, note=note)

    at = _open(MODELS_PAGE, {"seed": "0"})
    shown = len(at.metric) // 3
    if shown != 2:
        raise RuntimeError(f"the Models page shows {shown} models, not 2 (are they shipped?)")
    alpha_now = float(at.select_slider(key="alpha").value)
    seeds = _new_box_seeds(alpha_now, WARMUP + repeat, start=10_000)
    times = _reruns(at, lambda i: at.number_input(key="seed").set_value(seeds[i]), repeat)
    miss = f"{note}; a box not seen before each time"
    rows += _spread(SERVER, "Models page, 2 models, cache miss", times, target_ms=100, note=miss)
    times = _reruns(at, lambda i: None, repeat)
    hit = f"{note}; the same settings again"
    rows += _spread(SERVER, "Models page, 2 models, cache hit", times, target_ms=10, note=hit)
    return rows


# --- 3: in the browser --------------------------------------------------------------------------

#: The mixed image's address once it has loaded, else null (it is the page's third image).
_MIXED = """() => {
    const img = document.querySelectorAll('[data-testid="stImage"] img')[2];
    return img && img.complete && img.naturalWidth > 0 ? img.src : null;
}"""
#: The models' metrics (p(A), p(B) and the verdict of each), once all six are there, else null.
_PREDICTIONS = """() => {
    const values = [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => m.innerText);
    return values.length === 6 ? JSON.stringify(values) : null;
}"""


def _shown(reader: str) -> str:
    """True once ``reader`` returns something other than ``old``; or, for a change that left it
    as it was, once the run the change caused has finished (load.py's watch of the run state)."""
    return f"""old => {{
        const now = ({reader})();
        if (now === null) return false;
        if (now !== old) return true;
        const app = document.querySelector('[data-testid="stApp"]');
        const state = app && app.getAttribute('data-test-script-state');
        return !!window.__cutmixRan && state === 'notRunning';
    }}"""


#: The run has finished (since the watch was armed, with ``armed``), nothing is stale, and at
#: least ``images`` images are on the page, every one of them loaded.
_COMPLETE = """({images, armed}) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (armed && !window.__cutmixRan) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
    return imgs.length >= images && imgs.every(i => i.complete && i.naturalWidth > 0);
}"""
_IMAGE_COUNT = """() => document.querySelectorAll('[data-testid="stImage"] img').length"""


def _browser_changes(
    page: Any,
    prepare: Callable[[int], None],
    fire: Callable[[int], None],
    reader: str,
    images: int,
    repeat: int,
) -> tuple[list[float], list[float]]:
    """Seconds from ``fire(i)`` (the input event; ``prepare(i)`` before it is not timed) to what
    ``reader`` reads changed, and to the page complete, for ``repeat`` changes after one
    untimed one."""
    arm = _harness.load_core()._ARM  # the run-state watch the load test uses
    shown_js = _shown(reader)
    to_shown, to_complete = [], []
    for i in range(1 + repeat):
        prepare(i)
        old = page.evaluate(reader)
        page.evaluate(arm)
        start = time.perf_counter()
        fire(i)
        page.wait_for_function(shown_js, arg=old, timeout=60_000)
        shown = time.perf_counter() - start
        # The run that drew the change may have ended before the watch saw it start (a rerun
        # served from the caches): once the change is seen, the page idle is enough.
        page.wait_for_function(_COMPLETE, arg={"images": images, "armed": False}, timeout=60_000)
        complete = time.perf_counter() - start
        if i > 0:
            to_shown.append(shown)
            to_complete.append(complete)
    return to_shown, to_complete


def _open_page(page: Any, url: str, images: int) -> None:
    helpers = _harness.server_helpers()
    page.goto(url, wait_until="commit")
    # A first run on a fresh server loads the models: give it time before the usual checks
    # (every image loaded, every chart drawn, the app idle).
    page.wait_for_function(_COMPLETE, arg={"images": images, "armed": False}, timeout=180_000)
    helpers.wait_until_rendered(page, page.evaluate(_IMAGE_COUNT))


def _seed_typing(page: Any, first: int) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """Type seed ``first + i`` into the seed box (untimed); press Enter, which reruns."""
    box = page.locator(".st-key-seed input")
    return (lambda i: box.fill(str(first + i))), (lambda i: box.press("Enter"))


def _alpha_keys(page: Any) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """Focus the α slider and choose the arrow key (untimed): one notch on, turning back at
    either end of ``defaults.ALPHAS``; press it."""
    from cutmix_core import defaults

    slider = page.locator(".st-key-alpha").get_by_role("slider")
    key = {"now": "ArrowRight"}

    def prepare(i: int) -> None:
        slider.focus()
        at = defaults.ALPHAS.index(float(slider.get_attribute("aria-valuetext") or "nan"))
        if at == len(defaults.ALPHAS) - 1:
            key["now"] = "ArrowLeft"
        elif at == 0:
            key["now"] = "ArrowRight"

    return prepare, lambda i: slider.press(key["now"])


def browser_rows(repeat: int = 20) -> list[Row]:
    """Section 3: input event to result drawn in Chromium, median and p95 over ``repeat``."""
    from playwright.sync_api import sync_playwright

    chromium = _harness.chromium_or_exit()
    helpers = _harness.server_helpers()
    note = "Playwright on Chromium, one session"
    play, models = (_harness.load_core().IMAGES[name] for name in ("playground", "models"))
    rows: list[Row] = []
    with _harness.served() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=helpers.CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            _open_page(page, server.url + "/?seed=0", play)
            shown, done = _browser_changes(page, *_seed_typing(page, 1000), _MIXED, play, repeat)
            case = "playground, seed typed + Enter to"
            rows += _spread(BROWSER, f"{case} new mix drawn", shown, target_ms=300, note=note)
            rows += _spread(BROWSER, f"{case} page complete", done, target_ms=None, note=note)

            shown, done = _browser_changes(page, *_alpha_keys(page), _MIXED, play, repeat)
            case = "playground, α arrow key to"
            rows += _spread(BROWSER, f"{case} new mix drawn", shown, target_ms=300, note=note)
            rows += _spread(BROWSER, f"{case} page complete", done, target_ms=None, note=note)

            _open_page(page, server.url + "/models?seed=0", models)
            typing = _seed_typing(page, 20_000)
            shown, done = _browser_changes(page, *typing, _PREDICTIONS, models, repeat)
            case = "Models page, seed typed + Enter to"
            rows += _spread(BROWSER, f"{case} new predictions", shown, target_ms=600, note=note)
            rows += _spread(BROWSER, f"{case} page complete", done, target_ms=None, note=note)
        finally:
            browser.close()
    return rows


# --- 4: cold start ------------------------------------------------------------------------------


def _cold(path: str, images: int) -> tuple[float, float]:
    """Seconds from starting ``streamlit run app.py`` to its health check answering, and to
    ``path`` fully drawn in a Chromium started beforehand."""
    from playwright.sync_api import sync_playwright

    helpers = _harness.server_helpers()
    chromium = _harness.chromium_or_exit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=helpers.CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto("about:blank")
            start = time.perf_counter()
            with helpers.serve(helpers.free_port(), timeout=120) as url:
                healthy = time.perf_counter() - start
                _open_page(page, url + path, images)
                drawn = time.perf_counter() - start
        finally:
            browser.close()
    return healthy, drawn


def cold_start_rows(repeat: int = 3) -> list[Row]:
    """Section 4: a fresh server to the first page drawn, for the playground and Models page,
    the median of ``repeat`` starts each (a start is one sample of a noisy figure)."""
    rows: list[Row] = []
    cases = [("playground", "/", 5.0), ("Models page", "/models", 8.0)]
    for name, path, target in cases:
        images = _harness.load_core().IMAGES["models" if path == "/models" else "playground"]
        starts = [_cold(path, images) for _ in range(repeat)]
        note = f"a fresh process each time, Chromium already started, warm disk cache, {repeat}x"
        drawn = [d for _, d in starts]
        rows.append(_row(COLD, f"streamlit run to {name} drawn", statistics.median(drawn), "s",
                         "median", n=repeat, note=f"{note}, slowest {max(drawn):.2f} s",
                         target=target))  # fmt: skip
        healthy = statistics.median(h for h, _ in starts)
        rows.append(_row(COLD, f"streamlit run to health check ok ({name} run)", healthy, "s",
                         "median", n=repeat, note="polled every 0.25 s"))  # fmt: skip
    imports = _importtime()
    total = sum(ms for _, ms in imports) / 1000
    rows.append(_row(COLD, "imports of app.py, playground and Models page", total, "s", "once",
                     n=1, note="python -X importtime, fresh interpreter"))  # fmt: skip
    return rows


def _app_imports() -> str:
    """The import statements of app.py and the two pages a cold start shows, as one script,
    and streamlit's server, which ``streamlit run`` imports before the script."""
    lines = ["import streamlit.web.bootstrap"]
    for name in ("app.py", "app_pages/playground.py", "app_pages/models.py"):
        tree = ast.parse((ROOT / name).read_text())
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", "") != (
                "__future__"
            ):
                lines.append(ast.unparse(node))
    return "\n".join(dict.fromkeys(lines))


@functools.cache
def _importtime() -> tuple[tuple[str, float], ...]:
    """The import time of :func:`_app_imports` in a fresh interpreter (``python -X importtime``)
    by top-level package, largest first: the modules' own times (not cumulative, so nothing is
    counted twice, and torch is torch's whoever imported it first) summed per package, in ms."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _app_imports()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    by_package: dict[str, float] = {}
    for line in out.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():  # not a module's line, the header
            continue
        package = parts[2].strip().split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(parts[0]) / 1000
    return tuple(sorted(((k, round(v, 1)) for k, v in by_package.items()), key=lambda kv: -kv[1]))


def import_profile(top: int = 15) -> list[tuple[str, float]]:
    """The ``top`` packages by import time (ms, each module's own time summed per top-level
    package) when a fresh interpreter imports what app.py and its first two pages import, and
    streamlit's server: what import time goes where."""
    return list(_importtime()[:top])


# --- 7: scale -----------------------------------------------------------------------------------


async def _scale_phase(
    core: Any, url: str, sessions: int, seconds: float, cpu: Callable[[], float], first_seed: int
) -> dict[str, Any]:
    """``sessions`` websocket sessions each open a link (untimed), then change their seed until
    ``seconds`` have passed. Returns the latencies of the changes finished in that time, the
    changes cut off by its end, the failed checks of the finished ones, and the server's CPU
    seconds (``cpu()``) over the timed part."""
    import _ws_session

    expect = core.Expectations(models=False)  # numpy only: checking costs the machine little
    views = [plan[0].view for plan in core.plan_sessions(sessions, 1, seed=first_seed)]
    clients = [_ws_session.WsSession(core, i, url) for i in range(sessions)]
    opening = time.monotonic() + 600
    try:
        await asyncio.gather(
            *(c.run([core.Step("open", v)], expect, step_timeout=300, deadline=opening)
              for c, v in zip(clients, views))
        )  # fmt: skip
        most = int(seconds * 100) + 10  # more than any session can run in ``seconds``
        plans = [
            [core.Step("seed", replace(v, seed=first_seed + 10_000 * i + k)) for k in range(most)]
            for i, v in enumerate(views)
        ]
        cpu_start, start = cpu(), time.monotonic()
        # A change still running at the deadline is cut off there (WsSession bounds each step
        # by what is left), so only changes finished within ``seconds`` count.
        await asyncio.gather(
            *(c.run(plan, expect, step_timeout=120, deadline=start + seconds)
              for c, plan in zip(clients, plans))
        )  # fmt: skip
        wall, cpu_used = time.monotonic() - start, cpu() - cpu_start
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    steps = [s for c in clients for s in c.result.steps if s.action == "seed"]
    finished = [s for s in steps if s.latency_s is not None]
    opened = [s for c in clients for s in c.result.steps if s.action == "open"]
    return {
        "latencies": [s.latency_s for s in finished],
        "wall": wall,
        "cpu": cpu_used,
        "cut_off": len(steps) - len(finished),
        "failed": sum(len(s.problems) for s in finished + opened),
    }


def scale_rows(seconds: float = 20.0, sessions: Sequence[int] = (1, 10, 30)) -> list[Row]:
    """Section 7: reruns per second and latency per rerun of one server process, for each
    number of concurrent sessions, each phase bounded to ``seconds`` of changes."""
    core = _harness.load_core()
    rows: list[Row] = []
    with _harness.served() as server:
        for phase, count in enumerate(sessions):
            out = asyncio.run(
                _scale_phase(
                    core,
                    server.url,
                    count,
                    seconds,
                    lambda: _harness.cpu_s(server.pid),
                    1_000_000 * (phase + 1),
                )
            )
            done = len(out["latencies"])
            note = (
                f"{count} websocket sessions on loopback changing their seed for {seconds:g} s; "
                f"server CPU {1000 * out['cpu'] / max(done, 1):.0f} ms a rerun; "
                f"{out['cut_off']} changes cut off at the end; {out['failed']} failed checks; "
                "no images fetched"
            )
            rows.append(_row(SCALE, f"{count} sessions, reruns per second", done / out["wall"],
                             "reruns/s", "mean", n=done, note=note))  # fmt: skip
            rows += _spread(SCALE, f"{count} sessions, latency per rerun", out["latencies"],
                            target_ms=None, note=note)  # fmt: skip
    return rows


# --- on its own ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: check it runs")
    parser.add_argument(
        "--sections", default="2,3,4,7", help="comma-separated section numbers to run"
    )
    args = parser.parse_args()
    wanted = set(args.sections.split(","))
    started = time.monotonic()
    print(f"machine: {_harness.describe_load(_harness.load_now())}")
    rows: list[Row] = []
    if "2" in wanted:
        rows += server_rows(5 if args.quick else 50)
    if "3" in wanted:
        rows += browser_rows(3 if args.quick else 20)
    if "4" in wanted:
        rows += cold_start_rows(1 if args.quick else 3)
    if "7" in wanted:
        rows += scale_rows(8.0 if args.quick else 20.0)
    _harness.print_table(
        ["section", "case", "stat", "value", "unit", "target", "met", "n"],
        [
            [r["section"], r["case"], r["stat"], r["value"], r["unit"],
             "-" if r["target"] is None else r["target"], "-" if r["met"] is None else r["met"],
             r["n"]]
            for r in rows
        ],
    )  # fmt: skip
    print("\nnotes:")
    for r in rows:
        if r["stat"] != "p95" and r["note"]:
            print(f"  {r['case']}: {r['note']}")
    if "4" in wanted:
        print("\nimport time by package (ms, modules' own times summed):")
        for name, ms in import_profile():
            print(f"  {ms:8.1f}  {name}")
    print(f"\n{time.monotonic() - started:.0f} s; machine: "
          f"{_harness.describe_load(_harness.load_now())}")  # fmt: skip


if __name__ == "__main__":
    main()
