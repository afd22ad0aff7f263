"""The load test's core: many Streamlit sessions at once in one Chromium, each opening share links
and changing widgets, every value the page shows checked against the library.

A lecturer's link is opened by a whole class at once, and each student then moves the sliders.
One server holds every session in memory and runs their reruns on shared threads, so what can
go wrong under load is what a one-session test never sees: a session drawing another's values,
an exception under contention, or a rerun that takes too long. Here each session is a Playwright
browser context (its own cookies, so its own Streamlit session) in one Chromium, driven by the
async API so that a single Python thread keeps them all busy.

A session follows a :class:`Step` plan: open a playground link with its own classes, images, α
and seed; press Resample; move the α slider one notch; type a new seed; sometimes open the
Models page for the same pair (predictions and Grad-CAM). After each action it waits until the
app has finished the rerun the action caused and every image has loaded, then reads every
metric, image caption and value-bearing sentence off the page and compares them, as text, with
what :class:`Expectations` computes with ``cutmix_core`` for the same settings (the page's own
functions: ``cutmix``, ``describe_box``, ``predict_mix``, ``explain_mix``, ``model_metrics``).
It also checks the address bar names the session's own settings, and that no exception, error,
warning or lost connection appears.

The scripts (``scripts/loadtest.py``, ``scripts/memory_soak.py``) load this file by its path;
the CI test imports it as ``browser.load``. It imports neither pytest nor the server helpers.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np

from cutmix_core import cutmix, defaults, paths
from cutmix_core.data.cifar import CLASSES, CifarSet, load_sample
from cutmix_core.views.describe import (
    describe_box,
    explain_lambdas,
    mixed_caption,
    model_metrics,
    model_says_line,
    models_say_title,
    target_story,
)

Action = Literal["open", "resample", "alpha", "seed", "models"]
Page = Literal["playground", "models"]
#: Images each page shows at least: A, B and the mix; on the Models page also two Grad-CAM maps
#: a model (a page may add more; a complete page has all of them loaded).
IMAGES = {"playground": 3, "models": 7}
#: Metrics each page shows: both lambdas and the pixel count; three per model on the Models page.
METRICS = {"playground": 3, "models": 6}
#: The two models both pages show by default (the playground's "model says" row, the Models
#: page's left and right columns).
MODEL_AUGS = ("none", "cutmix")
VIEWPORT = {"width": 1400, "height": 1000}
# How often a waiting session looks at its page, in ms. requestAnimationFrame polling would
# evaluate the check 60 times a second in each of twenty pages, on two cores.
POLL_MS = 40

# Everything a session compares, read in one evaluation. "texts" are st.markdown and st.info
# bodies only (not widget labels: a slider's label changes in the browser before the rerun).
READ_PAGE = """() => {
    const txt = e => (e ? e.innerText.trim() : null);
    const all = s => [...document.querySelectorAll(s)];
    const app = document.querySelector('[data-testid="stApp"]');
    const imgs = all('[data-testid="stImage"] img');
    const r = {
        state: app && app.getAttribute('data-test-script-state'),
        connection: app && app.getAttribute('data-test-connection-state'),
        stale: all('[data-stale="true"]').length,
        images: imgs.length,
        imagesLoaded: imgs.every(i => i.complete && i.naturalWidth > 0),
        metrics: all('[data-testid="stMetric"]').map(m => [
            txt(m.querySelector('[data-testid="stMetricLabel"]')),
            txt(m.querySelector('[data-testid="stMetricValue"]')),
            txt(m.querySelector('[data-testid="stMetricDelta"]')),
        ]),
        captions: all('[data-testid="stImageCaption"]').map(txt),
        texts: all(
            '[data-testid="stMarkdown"] [data-testid="stMarkdownContainer"], ' +
            '[data-testid="stAlertContentInfo"]'
        ).map(txt),
        exceptions: all('[data-testid="stException"]').map(txt),
        errors: all('[data-testid="stAlertContentError"]').map(txt),
        warnings: all('[data-testid="stAlertContentWarning"]').map(txt),
        search: location.search,
    };
    r.key = JSON.stringify([r.metrics, r.captions, r.texts]);
    return r;
}"""
# Before an action on the open page: from now on, note every change of the app's run state, so
# that a rerun which draws the same values as before still counts as done.
_ARM = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__cutmixRan = false;
    window.__cutmixApp = app;
    if (app && !app.__cutmixObserved) {
        app.__cutmixObserved = true;
        new MutationObserver(() => { window.__cutmixRan = true; }).observe(
            app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
}"""
# The reading, once the app has finished a run and drawn a complete page, and either its run
# state changed since _ARM or the values differ from ``prev`` (on a new document: any complete
# page); at once when an exception is on the page. ``ran`` and ``replaced`` say which it was.
_DONE = (
    """({fresh, prev, images, metrics}) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const read = """
    + READ_PAGE
    + """;
    if (document.querySelector('[data-testid="stException"]')) return read();
    if (document.querySelector('[data-stale="true"]')) return false;
    const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
    if (imgs.length < images || !imgs.every(i => i.complete && i.naturalWidth > 0)) {
        return false;
    }
    if (document.querySelectorAll('[data-testid="stMetric"]').length !== metrics) return false;
    const r = read();
    r.ran = !!window.__cutmixRan;
    r.replaced = !fresh && app !== window.__cutmixApp;
    return fresh || r.ran || r.key !== prev ? r : false;
}"""
)

# READ_PAGE, and what _DONE adds to it: for a step that never finished.
_READ_AFTER_ARM = (
    """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const r = ("""
    + READ_PAGE
    + """)();
    r.ran = !!window.__cutmixRan;
    r.replaced = !!window.__cutmixApp && app !== window.__cutmixApp;
    return r;
}"""
)


@dataclass(frozen=True)
class View:
    """The settings a page shows, as a share link carries them (image #idx of a class)."""

    page: Page
    a_class: str
    a_idx: int
    b_class: str
    b_idx: int
    alpha: float
    seed: int

    def link(self) -> str:
        """The share link's path and query, as a lecturer would send it."""
        query = {
            "a_class": self.a_class,
            "a_idx": self.a_idx,
            "b_class": self.b_class,
            "b_idx": self.b_idx,
            "alpha": repr(self.alpha),
            "seed": self.seed,
        }
        if self.page == "playground":
            query["mode"] = "sample"
        return ("/" if self.page == "playground" else "/models") + "?" + urlencode(query)

    def query(self) -> dict[str, str]:
        """What the address bar must hold for these settings (a subset of the app's link)."""
        return {
            "a_class": self.a_class,
            "a_idx": str(self.a_idx),
            "b_class": self.b_class,
            "b_idx": str(self.b_idx),
            "alpha": repr(self.alpha),
            "seed": str(self.seed),
        }


@dataclass(frozen=True)
class Step:
    """One action of a session and the view it leads to. ``key`` is the arrow key an "alpha"
    step presses; every other action is defined by ``view`` alone."""

    action: Action
    view: View
    key: str = ""


@dataclass(frozen=True)
class Expected:
    """What a page must show for one view, as the browser renders the text.

    ``metrics`` must equal the page's exactly, in order; ``captions`` must appear among the
    page's image captions in this order, and each of ``texts`` among its sentences (a page has
    others, such as headings, and may add images).
    """

    metrics: tuple[tuple[str, str, str | None], ...]
    captions: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass
class StepResult:
    """How one step went: its latency (action to new values drawn) and what was wrong."""

    session: int
    index: int
    action: Action
    link: str
    latency_s: float | None
    problems: list[str] = field(default_factory=list)
    reading: dict[str, Any] | None = None  # READ_PAGE's reading of the page, when it answered


@dataclass
class SessionResult:
    """Every step one session ran, in order; ``skipped`` steps were not reached in time."""

    session: int
    steps: list[StepResult] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    skipped: int = 0


def as_shown(markdown: str) -> str:
    """The text a browser shows for the markdown the pages write: **bold** loses its asterisks."""
    return markdown.replace("**", "")


class Expectations:
    """What each view must show, computed with ``cutmix_core`` (never read off a page), cached.

    Args:
        models: also compute what the trained models say (the playground's row and the Models
            page); needs torch and the shipped checkpoints. False: the playground's lambdas,
            box and captions only, which is all numpy.
        model_says: with ``models``, also the playground's "what the trained models say" row
            (False: only the Models page needs the models; a long soak checks faster).
    """

    def __init__(self, *, models: bool = True, model_says: bool = True) -> None:
        self.ds: CifarSet = load_sample()
        self.model_says = model_says
        self.models: list[tuple[str, Any]] = []
        if models:
            from cutmix_core.models.checkpoints import load_checkpoint
            from cutmix_core.views.model_view import find_models

            shipped = find_models(paths.models_dir())
            picks = [m for m in shipped if m.aug in MODEL_AUGS][:2] or list(shipped[:2])
            self.models = [(m.label, load_checkpoint(m.path)) for m in picks]
        self._cache: dict[View, Expected] = {}

    def _image(self, name: str, idx: int) -> tuple[np.ndarray, int, str]:
        label = CLASSES.index(name)
        pos = int(self.ds.positions_of(label)[idx])
        origin = f"CIFAR-10 {self.ds.split} #{int(self.ds.indices[pos])} ({name})"
        return self.ds.image(pos), label, origin

    def __call__(self, view: View) -> Expected:
        if view not in self._cache:
            self._cache[view] = self._one_thread(view) if self.models else self._compute(view)
        return self._cache[view]

    def _one_thread(self, view: View) -> Expected:
        # A 32x32 forward pass gains nothing from a second thread, and on a shared 2-core
        # machine the threads' contention makes it ten times slower.
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._compute(view)
        finally:
            torch.set_num_threads(threads)

    def _compute(self, view: View) -> Expected:
        a, la, origin_a = self._image(view.a_class, view.a_idx)
        b, lb, origin_b = self._image(view.b_class, view.b_idx)
        res = cutmix(a, b, view.alpha, rng=np.random.default_rng(view.seed))
        h, w = a.shape[:2]
        origins = (f"A: {origin_a}", f"B: {origin_b}")
        if view.page == "models":
            return self._models_page(view, a, b, la, lb, res, origins)
        texts = [
            f"Box: {describe_box(res.box, h, w)}",
            explain_lambdas(h, w, res.lam, res.box).sentence,
        ]
        if self.models and self.model_says:
            from cutmix_core.views.model_view import predict_mix

            texts.append(as_shown(models_say_title(res.lam_adjusted)))
            for label, loaded in self.models:
                pm = predict_mix(loaded, a, b, res.image, class_a=la, class_b=lb)
                names = loaded.classes
                line = model_says_line(
                    label, names[pm.class_a], names[pm.class_b], pm.p_a, pm.p_b, pm.top1
                )
                texts.append(as_shown(line))
        return Expected(
            metrics=(
                ("λ sampled", f"{res.lam:.4f}", None),
                ("λ adjusted (weight of A's label)", f"{res.lam_adjusted:.4f}", None),
                ("Pixels from B", f"{res.box.area} of {h * w}", None),
            ),
            captions=(*origins, "Mixed: A outside the box, B inside"),
            texts=tuple(texts),
        )

    def _models_page(
        self,
        view: View,
        a: np.ndarray,
        b: np.ndarray,
        la: int,
        lb: int,
        res: Any,
        origins: tuple[str, str],
    ) -> Expected:
        from cutmix_core.views.model_view import cam_caption, explain_mix

        metrics: list[tuple[str, str, str | None]] = []
        captions = [*origins, mixed_caption(res.lam_adjusted)]
        for _, loaded in self.models:
            ex = explain_mix(loaded, a, b, res.image, res.box, class_a=la, class_b=lb)
            name_a, name_b = loaded.classes[ex.class_a], loaded.classes[ex.class_b]
            same = ex.class_a == ex.class_b
            top2 = ex.both_in_top2
            shown = model_metrics(
                ex.p_a, ex.p_b, ex.lam_adjusted, name_a, name_b, same=same, both_in_top2=top2
            )
            metrics += [(m.label, m.value, m.delta) for m in shown]
            captions += [
                cam_caption("A", name_a, ex.mass_a_inside),
                cam_caption("B", name_b, ex.mass_b_inside),
            ]
        story = as_shown(target_story(res.lam_adjusted, view.a_class, view.b_class))
        return Expected(metrics=tuple(metrics), captions=tuple(captions), texts=(story,))


def compare(reading: dict[str, Any], expected: Expected, view: View) -> list[str]:
    """What in a page reading differs from what the view must show; empty when all agree."""
    problems = []
    if reading.get("connection") != "CONNECTED":
        problems.append(f"connection {reading.get('connection')!r}")
    for kind in ("exceptions", "errors", "warnings"):
        for text in reading.get(kind) or []:
            problems.append(f"{kind[:-1]} on the page: {text[:300]!r}")
    metrics = tuple(tuple(m) for m in reading.get("metrics") or [])
    if metrics != expected.metrics:
        problems.append(f"metrics {metrics} != expected {expected.metrics}")
    captions = tuple(reading.get("captions") or [])
    shown_captions = iter(captions)
    if not all(c in shown_captions for c in expected.captions):  # in order, others between
        problems.append(f"captions {captions} lack, in order, {expected.captions}")
    shown = set(reading.get("texts") or [])
    for text in expected.texts:
        if text not in shown:
            problems.append(f"missing text {text!r}")
    query = {k: v[-1] for k, v in parse_qs(urlsplit(reading.get("search") or "").query).items()}
    wrong = {k: query.get(k) for k, v in view.query().items() if query.get(k) != v}
    if wrong:
        problems.append(f"address bar {wrong} != expected {view.query()}")
    return problems


def plan_sessions(
    sessions: int, rounds: int, *, seed: int = 0, models_every: int = 2
) -> list[list[Step]]:
    """Each session's steps, seeded: ``rounds`` rounds of open a playground link (random classes,
    images, α and seed), Resample, α one notch, type a seed, and, in every ``models_every``-th
    round (offset by session, so sessions mix pages; 0: never), open the Models page.

    """
    plans = []
    for s in range(sessions):
        rng = np.random.default_rng([seed, s])
        steps: list[Step] = []
        for r in range(rounds):
            a_class, b_class = (CLASSES[int(i)] for i in rng.choice(len(CLASSES), 2, False))
            view = View(
                "playground",
                a_class,
                int(rng.integers(10)),
                b_class,
                int(rng.integers(10)),
                defaults.ALPHAS[int(rng.integers(len(defaults.ALPHAS)))],
                int(rng.integers(1_000_000)),
            )
            steps.append(Step("open", view))
            view = replace(view, seed=view.seed + 1)
            steps.append(Step("resample", view))
            at = defaults.ALPHAS.index(view.alpha)
            up = at + 1 < len(defaults.ALPHAS)
            view = replace(view, alpha=defaults.ALPHAS[at + 1 if up else at - 1])
            steps.append(Step("alpha", view, "ArrowRight" if up else "ArrowLeft"))
            view = replace(view, seed=int(rng.integers(1_000_000)))
            steps.append(Step("seed", view))
            if models_every and (r + s) % models_every == 0:
                steps.append(Step("models", replace(view, page="models")))
        plans.append(steps)
    return plans


def resample_plan(view: View, reruns: int) -> list[Step]:
    """Open ``view``, then press Resample ``reruns`` times: one rerun each (memory soak)."""
    steps = [Step("open", view)]
    for i in range(1, reruns + 1):
        steps.append(Step("resample", replace(view, seed=view.seed + i)))
    return steps


async def _act(page: Any, step: Step, timeout_ms: float) -> None:
    if step.action in ("open", "models"):
        await page.goto(step.view.link(), wait_until="commit", timeout=timeout_ms)
    elif step.action == "resample":
        await page.get_by_role("button", name="Resample").click(timeout=timeout_ms)
    elif step.action == "alpha":
        slider = page.locator(".st-key-alpha").get_by_role("slider")
        await slider.focus(timeout=timeout_ms)
        await slider.press(step.key, timeout=timeout_ms)
    else:
        box = page.locator(".st-key-seed input")
        await box.fill(str(step.view.seed), timeout=timeout_ms)
        await box.press("Enter", timeout=timeout_ms)


class BrowserSession:
    """One browser context (its own cookies, so its own Streamlit session) and its one page,
    kept across calls to :meth:`run`, so a plan can pause between phases (the memory soak)."""

    def __init__(self, number: int) -> None:
        self.result = SessionResult(number)
        self._page: Any = None
        self._context: Any = None
        self._prev: str | None = None  # the key of the last reading

    async def open(self, browser: Any, base_url: str) -> None:
        self._context = await browser.new_context(base_url=base_url, viewport=VIEWPORT)
        self._page = await self._context.new_page()
        self._page.on("pageerror", lambda err: self.result.js_errors.append(str(err)))

    async def close(self) -> None:
        if self._context is not None:
            await self._context.close()

    async def run(
        self,
        steps: Sequence[Step],
        expect: Expectations,
        *,
        step_timeout: float,
        deadline: float,
        keep_readings: bool = True,
    ) -> None:
        """Run ``steps`` in order, appending to ``self.result``.

        Each step is timed from the action to the moment the rerun it caused has finished and
        the page is complete (polled every :data:`POLL_MS`), then compared with ``expect``.
        Steps are not started after ``deadline`` (``time.monotonic()``); they count as skipped.
        ``keep_readings=False`` drops each reading once it is checked (long soaks).
        """
        for index, step in enumerate(steps):
            left = deadline - time.monotonic()
            if left <= 0:
                self.result.skipped += len(steps) - index
                break
            await self._step(step, expect, 1000 * min(step_timeout, left), keep_readings)

    async def _step(
        self, step: Step, expect: Expectations, timeout_ms: float, keep_readings: bool
    ) -> None:
        page, number = self._page, self.result.session
        fresh = step.action in ("open", "models")  # a new document: its first run counts
        outcome = StepResult(number, len(self.result.steps), step.action, step.view.link(), None)
        self.result.steps.append(outcome)
        start = time.perf_counter()
        try:
            if not fresh:
                await page.evaluate(_ARM)
            await _act(page, step, timeout_ms)
            handle = await page.wait_for_function(
                _DONE,
                arg={
                    "fresh": fresh,
                    "prev": self._prev,
                    "images": IMAGES[step.view.page],
                    "metrics": METRICS[step.view.page],
                },
                polling=POLL_MS,
                timeout=timeout_ms,
            )
            outcome.latency_s = time.perf_counter() - start
            reading = await handle.json_value()
        except Exception as err:  # Playwright's TimeoutError, or a crashed page
            reading = await _read_or_none(page)
            outcome.problems.append(
                f"no new complete page after {time.perf_counter() - start:.1f} s "
                f"({type(err).__name__}); last seen: {_brief(reading)}"
            )
        if reading is not None:
            outcome.reading = reading if keep_readings else None
            self._prev = reading["key"]
            if not outcome.problems:
                outcome.problems += compare(reading, expect(step.view), step.view)


async def _read_or_none(page: Any) -> dict[str, Any] | None:
    try:
        return await page.evaluate(_READ_AFTER_ARM)
    except Exception:
        return None


def _brief(reading: dict[str, Any] | None) -> str:
    if reading is None:
        return "nothing (the page did not answer)"
    keys = ["state", "connection", "images", "metrics", "exceptions", "errors", "warnings"]
    keys += ["ran", "replaced"]
    return str({k: reading.get(k) for k in keys})


async def run_sessions(
    chromium: str,
    chromium_args: Sequence[str],
    base_url: str,
    plans: Sequence[Sequence[Step]],
    expect: Expectations,
    *,
    step_timeout: float = 120.0,
    timeout: float = 600.0,
    keep_readings: bool = True,
) -> list[SessionResult]:
    """Run every plan at once, one browser context each, in one Chromium; their results."""
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + timeout
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=list(chromium_args))
        try:
            sessions = [BrowserSession(number) for number in range(len(plans))]
            await asyncio.gather(*(s.open(browser, base_url) for s in sessions))
            try:
                await asyncio.gather(
                    *(
                        s.run(
                            plan,
                            expect,
                            step_timeout=step_timeout,
                            deadline=deadline,
                            keep_readings=keep_readings,
                        )
                        for s, plan in zip(sessions, plans)
                    )
                )
            finally:
                await asyncio.gather(*(s.close() for s in sessions))
        finally:
            await browser.close()
        return [s.result for s in sessions]


def problems(results: Sequence[SessionResult]) -> list[str]:
    """Every problem of every session, one line each, naming the session, step and link."""
    lines = []
    for res in results:
        for step in res.steps:
            for problem in step.problems:
                lines.append(
                    f"session {res.session} step {step.index} ({step.action} {step.link}): "
                    f"{problem}"
                )
        for err in res.js_errors:
            lines.append(f"session {res.session}: JavaScript error {err!r}")
    return lines


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest rank; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency_table(results: Sequence[SessionResult]) -> dict[str, dict[str, float | int]]:
    """Per action (and "all"): how many steps finished, and their p50, p95 and max in seconds."""
    by_action: dict[str, list[float]] = {}
    for res in results:
        for step in res.steps:
            if step.latency_s is not None:
                by_action.setdefault(step.action, []).append(step.latency_s)
                by_action.setdefault("all", []).append(step.latency_s)
    return {
        action: {
            "n": len(values),
            "p50_s": round(percentile(values, 50), 3),
            "p95_s": round(percentile(values, 95), 3),
            "max_s": round(max(values), 3),
        }
        for action, values in by_action.items()
    }
