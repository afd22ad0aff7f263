"""Where the time of each speed target README reports as missed goes: the profiles behind its
*Speed* section's explanations.

    python scripts/profile_misses.py            # all five
    python scripts/profile_misses.py batch      # or: select, faults, playground, models

batch       ``cutmix_batch`` on 256x3x32x32 uint8 in batch and in elem mode, under cProfile:
            the shares of the pixels (the copies, or the masked select), the targets, the
            generators, the boxes drawn and the checks; then the fixed work a call, ours and
            torchvision's, on a batch of 4 images.
select      the pixels alone, ms a call: ``clone()``, batch mode's copy with one region
            pasted, elem mode's passes on integers, and ``torch.where`` with the same mask
            (the one-pass select torch has), on 256 uint8 and 512 float32 CIFAR batches.
faults      the batch op on float32 CIFAR batches in both modes: ms a call and the minor page
            faults a call (``resource.getrusage``), fresh memory the allocator hands out; run it
            with glibc's ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` raised to see
            what they cost.
playground  20 seed changes of the playground in ``AppTest`` (the scripts compiled once, as
            the server does), the script thread under cProfile: the share of each part of the
            page (the models' row, the charts, the pair controls); then 20 box-edge moves in
            its box mode, the same way (the models' row, the drag figure, the pair controls).
models      10 Models-page reruns on new boxes (cache misses), the same way: the sweep, the
            explanation (predictions and both Grad-CAMs), the columns' figures; then AirNet's
            max pooling of the maps of a two-image forward pass, ms a call, torch's NCHW
            kernel (``F.max_pool2d``) against the ``MaxPool`` the network uses.

cProfile adds its own cost to every Python call, so the shares are approximate; they are
shares of profiled time, not milliseconds. The models run one after the other here (two torch
threads), so the profile of the script thread sees all their work; the app runs them at once.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from collections.abc import Callable

import _harness
import bench_app

ROOT = _harness.ROOT


def _shares(
    profile: cProfile.Profile, parts: dict[str, tuple[str, str]], whole: str = "_run_script"
) -> None:
    """Print each part's cumulative time as a share of the function ``whole``'s (the page
    script's run by default); a part is (file, function) matched as substrings of the profiled
    entries (the largest match counts)."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def cumulative(file_part: str, func: str) -> float:
        times = [e[3] for (path, _, name), e in stats.items() if name == func and file_part in path]
        return max(times, default=0.0)

    total = cumulative("", whole)
    for label, (file_part, func) in parts.items():
        share = cumulative(file_part, func) / total if total else 0.0
        print(f"  {100 * share:5.1f}%  {label}")


def batch() -> None:
    import torch

    from cutmix_core import cutmix_batch

    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (256, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 10, (256,), generator=gen)
    for dtype_name in ("uint8", "float32"):
        images = x.to(getattr(torch, dtype_name))
        for mode in ("batch", "elem"):
            for _ in range(100):
                cutmix_batch(images, y, 10, generator=gen, prob=1.0, mode=mode)
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(3000):
                cutmix_batch(images, y, 10, generator=gen, prob=1.0, mode=mode)
            profile.disable()
            print(f"batch op, {mode} mode, 256x3x32x32 {dtype_name}, 3000 calls under cProfile:")
            parts = {
                "the pixels (copies, or the masked select)": ("paste.py", "paste_checked"),
                "the targets (two writes)": ("targets.py", "_scatter_weights"),
                "the generators (numpy's seeded from torch's)": ("batch.py", "_generators"),
                "the boxes drawn (lambdas, centres, the rule)": (
                    "rule.py",
                    "_draw_one_box" if mode == "batch" else "_draw_corners",
                ),
                "the label check": ("batch.py", "_check_batch"),
            }
            _shares(profile, parts, whole="cutmix_batch")
    # The fixed work a call: a batch of 4 images, whose pixels cost next to nothing.
    from torchvision.transforms import v2

    tiny, tiny_y = x[:4].clone(), y[:4].clone()
    tv = v2.CutMix(alpha=1.0, num_classes=10)
    ms = _median_ms(
        {
            "ours": lambda: cutmix_batch(tiny, tiny_y, 10, generator=gen, prob=1.0),
            "torchvision": lambda: tv(tiny, tiny_y),
        }
    )
    print(f"fixed work a call (4x3x32x32 uint8): ours {ms['ours']:.3f} ms, ", end="")
    print(f"torchvision {ms['torchvision']:.3f} ms")


def _median_ms(ops: dict[str, Callable[[], object]], repeat: int = 40) -> dict[str, float]:
    """Median ms a call of each op, timed in turns as the benchmark's section 1 times them."""
    import statistics

    from benchmark import in_turns

    times = in_turns(ops, repeat).times
    return {name: 1e3 * statistics.median(samples) for name, samples in times.items()}


def select() -> None:
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    for n, dtype in ((256, torch.uint8), (512, torch.float32)):
        print(f"the pixels of {n}x3x32x32 {str(dtype).removeprefix('torch.')}, ms a call:")
        for label, ms in _median_ms(_pixel_ops(n, dtype, rng)).items():
            print(f"  {ms:7.3f}  {label}")


def _pixel_ops(n: int, dtype: object, rng: object) -> dict[str, Callable[[], object]]:
    """What :func:`select` times on one batch: the copy floor, each mode's pixels, and
    torch.where given the same mask and the partners ready (neither is timed)."""
    import numpy as np
    import torch

    from cutmix_core.mixing.batch import pair_indices
    from cutmix_core.mixing.paste import _outer, _spans, paste_checked
    from cutmix_core.mixing.rule import sample_cutmix_boxes

    assert isinstance(rng, np.random.Generator) and isinstance(dtype, torch.dtype)
    x = torch.from_numpy(rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)).to(dtype)
    corners = sample_cutmix_boxes(32, 32, 1.0, n, rng=rng)[1].corners
    partners = pair_indices(n)
    mask = _outer(*_spans(corners, 32, 32, x.device))  # (N, 1, H, W) bool, the op's own
    rolled = x.roll(1, 0)
    return {
        "clone()": lambda: x.clone(),
        "batch mode's pixels (a copy, one region pasted)": lambda: paste_checked(
            x, corners[:1], partners, shared=True, roll=True
        ),
        "elem mode's pixels (the passes on integers)": lambda: paste_checked(
            x, corners, partners, roll=True
        ),
        "torch.where(mask, partner, own)": lambda: torch.where(mask, rolled, x),
    }


def faults() -> None:
    import functools
    import statistics

    import torch
    from benchmark import in_turns

    from cutmix_core import cutmix_batch

    gen = torch.Generator().manual_seed(0)
    for n in (256, 512):
        x = torch.randint(0, 256, (n, 3, 32, 32), generator=gen).float()
        y = torch.randint(0, 10, (n,), generator=gen)
        for mode in ("batch", "elem"):  # each mode alone, as a training loop calls it
            op = functools.partial(cutmix_batch, x, y, 10, generator=gen, prob=1.0, mode=mode)
            turns = in_turns({mode: op}, 40)
            ms = 1e3 * statistics.median(turns.times[mode])
            case = f"{n}x3x32x32 float32, {mode} mode"
            print(f"  {case}: {ms:.3f} ms, {turns.faults[mode]:.1f} page faults a call")


def _script_profile(
    page: str | None, change: Callable[[object, int], None], runs: int
) -> cProfile.Profile:
    """Profile the script thread of ``runs`` AppTest reruns, each after ``change(at, i)``, the
    scripts compiled once as the server does (``bench_app._server_script_cache``)."""
    from streamlit.runtime.scriptrunner import script_runner

    profile = cProfile.Profile()
    on = {"yes": False}
    original = script_runner.ScriptRunner._run_script

    def run_script(self: object, rerun_data: object) -> object:
        if not on["yes"]:
            return original(self, rerun_data)  # type: ignore[arg-type]
        profile.enable()
        try:
            return original(self, rerun_data)  # type: ignore[arg-type]
        finally:
            profile.disable()

    script_runner.ScriptRunner._run_script = run_script  # type: ignore[method-assign, assignment]
    try:
        with bench_app._server_script_cache():
            _profiled_runs(page, change, runs, on)
    finally:
        script_runner.ScriptRunner._run_script = original  # type: ignore[method-assign]
    return profile


def _profiled_runs(
    page: str | None, change: Callable[[object, int], None], runs: int, on: dict[str, bool]
) -> None:
    """Open the app (and ``page``), warm up, then make ``runs`` changes with ``on`` set."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    if page is not None:
        at.switch_page(page).run()
    for i in range(3):
        change(at, 10_000 + i)
        at.run()
    on["yes"] = True
    for i in range(runs):
        change(at, 20_000 + i)
        at.run()
    on["yes"] = False


def _seed(at: object, seed: int) -> None:
    at.number_input(key="seed").set_value(seed)  # type: ignore[attr-defined]


def playground() -> None:
    profile = _script_profile(None, _seed, 20)
    print("playground, 20 seed changes (AppTest, script thread under cProfile):")
    _shares(
        profile,
        {
            "the models' row on the new mix (model_says)": ("app_ui/models.py", "model_says"),
            "the charts (st.plotly_chart)": ("plotly_chart.py", "plotly_chart"),
            "the Beta density chart's new lines": ("figures.py", "beta_density_chart"),
            "the soft label chart's new bars": ("figures.py", "soft_label_chart"),
            "the pair controls (pickers, sliders, link)": ("controls.py", "pair_controls"),
        },
    )
    profile = _script_profile(None, _box_edge, 20)
    print("playground, box mode, 20 box-edge moves (the same way):")
    _shares(
        profile,
        {
            "the models' row on the new mix (model_says)": ("app_ui/models.py", "model_says"),
            "the drag figure (box_drawer)": ("box_drawer.py", "box_drawer"),
            "the pair controls (pickers, sliders, link)": ("controls.py", "pair_controls"),
        },
    )


def _box_edge(at: object, i: int) -> None:
    """Box mode (the first, untimed change), then one box edge pair moved a change (rows and
    columns in turn, as section 2)."""
    mode = at.radio(key="mode")  # type: ignore[attr-defined]
    if mode.value != "box":
        mode.set_value("box")
        return
    lo, width = i % 15, 8 + (i * 7) % 15
    key = "rows" if i % 2 == 0 else "cols"
    at.slider(key=key).set_value((lo, lo + width))  # type: ignore[attr-defined]


def models() -> None:
    seeds = bench_app._new_box_seeds(1.0, 13, start=30_000)  # no cached explanation applies
    profile = _script_profile("app_pages/models.py", lambda at, i: _seed(at, seeds[i % 13]), 10)
    print("Models page, 10 reruns on new boxes (AppTest, script thread under cProfile):")
    _shares(
        profile,
        {
            "the sweep (sweep_split)": ("model_view.py", "sweep_split"),
            "explaining the mix (explain_mix)": ("model_view.py", "explain_mix"),
            "the columns' figures (column_figures)": ("model_figures.py", "column_figures"),
        },
    )
    _pooling()


def _pooling() -> None:
    from functools import partial

    import torch
    import torch.nn.functional as F

    from cutmix_core.models.airnet import MaxPool

    gen = torch.Generator().manual_seed(0)
    pool = MaxPool()
    print("AirNet's max pooling without gradients, 2 images (ms a call):")
    for c, side in ((64, 32), (256, 16), (256, 8)):
        x = torch.randn(2, c, side, side, generator=gen)
        with torch.inference_mode():
            ms = _median_ms({"torch": partial(F.max_pool2d, x, 2), "ours": partial(pool, x)})
        print(f"  2x{c}x{side}x{side}: F.max_pool2d {ms['torch']:.3f}, MaxPool {ms['ours']:.3f}")


def main() -> int:
    import torch

    torch.set_num_threads(2)  # the models one after the other: all their work in one thread
    sections = {"batch": batch, "select": select, "faults": faults}
    sections |= {"playground": playground, "models": models}
    for name in sys.argv[1:] or list(sections):
        sections[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
