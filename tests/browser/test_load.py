"""The load test's short form: a few sessions at once against the module's one server, every
value they show checked against what the library computes serially for the same settings.

``scripts/loadtest.py`` runs the same core (``browser.load``) with twenty sessions, compares a
session's readings under load with its readings alone, and reports latencies; here it runs
small enough for CI. The last test shows the check is not vacuous: each session's pages,
compared with the next session's settings, fail it, as they would had one session drawn
another's values.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from browser.load import (
    Expectations,
    SessionResult,
    Step,
    compare,
    plan_sessions,
    problems,
    run_sessions,
)
from browser.proc import port_of, server_log, server_pid, tracebacks
from browser.server import CHROMIUM_ARGS

from cutmix_core import paths
from cutmix_core.views.model_view import find_models

pytestmark = pytest.mark.browser

SESSIONS = 4
ROUNDS = 1  # open, Resample, alpha, seed; and the Models page for sessions 0 and 2
STEP_TIMEOUT_S = 90.0  # per step, on a busy 2-core machine
TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Run:
    plans: list[list[Step]]
    results: list[SessionResult]
    expect: Expectations
    server_tracebacks: list[str]  # what the server printed: the page shows no details


@pytest.fixture(scope="module")
def run(chromium: str, app_url: str) -> Run:
    """Every session's plan at once, in one Chromium, against the module's server."""
    if not {"none", "cutmix"} <= {m.aug for m in find_models(paths.models_dir())}:
        pytest.skip("needs the shipped baseline and CutMix checkpoints")
    plans = plan_sessions(SESSIONS, ROUNDS, seed=16, models_every=2)
    expect = Expectations()
    results = asyncio.run(
        run_sessions(
            chromium,
            CHROMIUM_ARGS,
            app_url,
            plans,
            expect,
            step_timeout=STEP_TIMEOUT_S,
            timeout=TIMEOUT_S,
        )
    )
    log = server_log(server_pid(port_of(app_url)))
    return Run(plans, results, expect, tracebacks(log))


def test_concurrent_sessions_show_no_errors_and_the_librarys_values(run: Run) -> None:
    assert problems(run.results) == [], "\n\n".join(run.server_tracebacks)
    assert run.server_tracebacks == []
    assert [r.skipped for r in run.results] == [0] * SESSIONS
    assert [len(r.steps) for r in run.results] == [len(p) for p in run.plans]
    # Both pages and every kind of change were exercised, and every step was timed.
    assert {s.action for r in run.results for s in r.steps} == {
        "open",
        "resample",
        "alpha",
        "seed",
        "models",
    }
    assert all(s.latency_s is not None for r in run.results for s in r.steps)


def test_the_check_fails_a_page_showing_another_sessions_values(run: Run) -> None:
    # Each session's pages against the next session's settings for the same step (other
    # classes, images, alpha and seed).
    crossed = 0
    for n in range(SESSIONS - 1):
        steps = run.results[n].steps
        for step, mine, theirs in zip(steps, run.plans[n], run.plans[n + 1]):
            if mine.view.page == theirs.view.page:
                assert compare(step.reading, run.expect(theirs.view), theirs.view) != []
                crossed += 1
    assert crossed >= SESSIONS
