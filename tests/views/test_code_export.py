"""cutmix_core.views.code_export: every snippet runs and does what its settings say.

Each snippet is executed as the page shows it, for a grid of settings (both modes, both
pairings, prob 1, 0.5 and 0, smoothing 0 and 0.1, several numbers of classes, float and uint8
batches). What comes out is checked against expectations built here, not by the module:

- shapes and dtypes, rows of the targets summing to 1, inputs left as they were;
- every pixel of sample i comes from x[i] or its partner, with the partner each library's
  source says (cutmix_core: the one ``cutmix_batch`` reports; torchvision: i - 1; timm:
  B - 1 - i), inside one rectangle, and the target is the area-weighted mix of the two smoothed
  one-hots that rectangle implies (float batches, where equal pixels cannot hide a box);
- one box for the whole batch in batch mode (and in torchvision, which has no other), one per
  sample in elem mode; prob 0 leaves the batch alone;
- the cutmix_core snippet returns what ``cutmix_batch`` returns called directly with the same
  settings and seed, and the torchvision and timm calls carry the settings as arguments;
- a caveat (and a code comment) for exactly the settings a library cannot express.

torchvision and timm are test-only imports; a few tests pin the behaviours of theirs that the
notes describe, so a release that changes one fails here.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from test_purity import global_rng_uses
from timm.data import Mixup
from timm.data.mixup import mixup_target, rand_bbox

from cutmix_core.mixing.batch import cutmix_batch, soft_targets
from cutmix_core.views.code_export import (
    BATCH,
    LIBRARIES,
    SIZE,
    BatchSettings,
    Snippet,
    snippets,
)

CLASSES = (10, 3, 100, 2)
ALPHAS = (1.0, 0.4, 2.0)
GRID = [
    BatchSettings(
        CLASSES[i % len(CLASSES)],
        alpha=ALPHAS[i % len(ALPHAS)],
        mode=mode,
        pairing=pairing,
        prob=prob,
        smoothing=smoothing,
        seed=i,
    )
    for i, (mode, pairing, prob, smoothing) in enumerate(
        itertools.product(("batch", "elem"), ("roll", "permutation"), (1.0, 0.5), (0.0, 0.1))
    )
] + [
    BatchSettings(10, mode="batch", pairing="roll", prob=0.0, smoothing=0.1, seed=3),
    BatchSettings(7, mode="elem", pairing="permutation", prob=0.0, smoothing=0.0, seed=4),
]
CASES = [
    pytest.param(s, images, lib, id=f"{lib}-{images}-{s.mode}-{s.pairing}-p{s.prob}-s{s.smoothing}")
    for s in GRID
    for images in ("float32", "uint8")
    for lib in LIBRARIES
]


@pytest.fixture(autouse=True)
def _global_rng_restored() -> Iterator[None]:
    """The torchvision and timm snippets seed the global generators; put them back."""
    state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        yield
    np.random.set_state(state)


def _snippet(settings: BatchSettings, images: str, library: str) -> Snippet:
    (found,) = [s for s in snippets(settings, images=images) if s.library == library]
    return found


def _run(snippet: Snippet) -> dict:
    namespace: dict = {"__name__": "snippet"}
    exec(compile(snippet.code, f"<{snippet.library} snippet>", "exec"), namespace)
    return namespace


def _stand_in(num_classes: int, images: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch the snippets promise: its own generator seeded with 0, x first, then y."""
    data = torch.Generator().manual_seed(0)
    shape = (BATCH, 3, SIZE, SIZE)
    if images == "uint8":
        x = torch.randint(0, 256, shape, dtype=torch.uint8, generator=data)
    else:
        x = torch.rand(shape, generator=data)
    return x, torch.randint(0, num_classes, (BATCH,), generator=data)


def _smoothed(y: torch.Tensor, num_classes: int, smoothing: float) -> np.ndarray:
    out = np.full((len(y), num_classes), smoothing / num_classes)
    out[np.arange(len(y)), y.numpy()] += 1.0 - smoothing
    return out


def _partners(library: str, settings: BatchSettings, x, y) -> torch.Tensor:
    if library == "torchvision":
        return torch.arange(BATCH).roll(1)  # i takes i - 1
    if library == "timm":
        return torch.arange(BATCH).flip(0)  # i takes B - 1 - i
    return _direct(settings, x, y).partners


def _direct(settings: BatchSettings, x: torch.Tensor, y: torch.Tensor):
    s = settings
    return cutmix_batch(
        x,
        y,
        s.num_classes,
        s.alpha,
        generator=torch.Generator().manual_seed(s.seed),
        mode=s.mode,
        pairing=s.pairing,
        prob=s.prob,
        smoothing=s.smoothing,
    )


def _unexpressible(library: str, settings: BatchSettings) -> list[str]:
    """What each library's source has no parameter for (see code_export's docstring)."""
    if library == "torchvision":
        return [
            *(["Mode elem"] if settings.mode == "elem" else []),
            *(["Pairing permutation"] if settings.pairing == "permutation" else []),
        ]
    if library == "timm":
        return [f"Pairing {settings.pairing}"]  # timm flips; neither choice exists
    return []


def _float_source(library: str, settings: BatchSettings, images: str) -> bool:
    # timm's elem mode needs float images; the snippet converts a uint8 batch.
    return images == "float32" or (library == "timm" and settings.mode == "elem")


@pytest.mark.parametrize(("settings", "images", "library"), CASES)
def test_snippet_runs_and_mixes_as_its_settings_say(settings, images, library) -> None:
    s, c = settings, settings.num_classes
    out = _run(_snippet(s, images, library))
    x, y = _stand_in(c, images)
    assert torch.equal(out["x"], x) and torch.equal(out["y"], y)  # the inputs are left alone
    got, targets = out["images"], out["targets"]
    converted = images == "uint8" and library == "timm" and s.mode == "elem"
    assert got.shape == x.shape
    assert got.dtype == (torch.float32 if converted else x.dtype)
    assert targets.shape == (BATCH, c) and targets.dtype == torch.float32
    np.testing.assert_allclose(targets.sum(1).numpy(), 1.0, atol=1e-5)
    assert float(targets.min()) >= s.smoothing / c - 1e-6

    src = x.to(got.dtype)
    partners = _partners(library, s, x, y)
    own = (got == src).all(1)  # (B, H, W): pixels still the sample's own
    from_partner = (got == src[partners]).all(1)
    assert bool((own | from_partner).all())
    if s.prob == 0.0:
        assert torch.equal(got, src)
        np.testing.assert_allclose(targets.numpy(), _smoothed(y, c, s.smoothing), atol=1e-6)
    if images != "float32":
        return
    pasted = ~own  # float pixels never repeat, so this is the box exactly
    rows, cols = pasted.any(2), pasted.any(1)
    assert torch.equal(pasted, rows[:, :, None] & cols[:, None, :])  # one rectangle per sample
    lam = 1.0 - pasted.sum((1, 2)).double().numpy() / (SIZE * SIZE)
    expected = lam[:, None] * _smoothed(y, c, s.smoothing) + (1 - lam[:, None]) * _smoothed(
        y[partners], c, s.smoothing
    )
    np.testing.assert_allclose(targets.numpy(), expected, atol=1e-6)
    boxes = {tuple(m.flatten().tolist()) for m in pasted if m.any()}
    if s.mode == "batch" or library == "torchvision":
        assert len(boxes) <= 1
    elif int(pasted.any((1, 2)).sum()) >= 2:
        assert len(boxes) >= 2


@pytest.mark.parametrize(
    ("settings", "images"), [(s, i) for s in GRID for i in ("float32", "uint8")]
)
def test_cutmix_core_snippet_equals_cutmix_batch_called_directly(settings, images) -> None:
    out = _run(_snippet(settings, images, "cutmix_core"))
    res = _direct(settings, *_stand_in(settings.num_classes, images))
    assert torch.equal(out["images"], res.images)
    assert torch.equal(out["targets"], res.targets)
    assert torch.equal(out["res"].partners, res.partners)


@pytest.mark.parametrize("settings", GRID)
def test_caveats_name_exactly_what_cannot_be_expressed(settings) -> None:
    for snippet in snippets(settings):
        expected = _unexpressible(snippet.library, settings)
        assert sorted(c.split(":")[0] for c in snippet.caveats) == sorted(expected)
        comments = [line for line in snippet.code.splitlines() if line.lstrip().startswith("#")]
        for what in expected:  # each one is said where the code uses the nearest setting
            assert sum(line.startswith(f"# {what}:") for line in comments) == 1, what


def _call(code: str, name: str) -> dict:
    """The literal keyword arguments of the one call to ``name`` (a bare or dotted name)."""
    (call,) = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == name
    ]
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords}


@pytest.mark.parametrize("settings", GRID)
def test_torchvision_and_timm_calls_carry_the_settings(settings) -> None:
    s = settings
    tv, timm = (_snippet(s, "float32", lib).code for lib in ("torchvision", "timm"))
    assert _call(tv, "CutMix") == {"alpha": s.alpha, "num_classes": s.num_classes}
    if s.prob < 1.0:
        assert _call(tv, "RandomApply") == {"p": s.prob}
    else:
        assert "RandomApply" not in tv
    assert _call(timm, "Mixup") == {
        "mixup_alpha": 0.0,
        "cutmix_alpha": s.alpha,
        "prob": s.prob,
        "switch_prob": 0.0,
        "mode": s.mode,
        "correct_lam": True,
        "label_smoothing": s.smoothing,
        "num_classes": s.num_classes,
    }


def test_randomness_the_cutmix_core_snippet_passes_in_and_the_others_take_globally() -> None:
    s = BatchSettings(10, mode="elem", pairing="permutation", prob=0.5, smoothing=0.1, seed=5)
    uses = {
        sn.library: [u.split(": ", 1)[1] for u in global_rng_uses(sn.code)] for sn in snippets(s)
    }
    assert uses == {
        "cutmix_core": [],
        "torchvision": ["torch.manual_seed"],
        "timm": ["numpy.random.seed"],
    }
    for sn in snippets(s):
        assert "seed(5)" in sn.code


def test_snippets_are_lint_and_format_clean(tmp_path) -> None:
    """ruff's defaults at line length 100, run where cutmix_core is no local folder, so its
    imports sort as a user's project sorts them (an installed package, beside torch)."""
    for i, settings in enumerate(GRID):
        for images in ("float32", "uint8"):
            for sn in snippets(settings, images=images):
                (tmp_path / f"s{i}_{images}_{sn.library}.py").write_text(sn.code)
    ruff = [sys.executable, "-m", "ruff"]
    options = ["--isolated", "--line-length", "100"]
    for args in (["format", "--check"], ["check", "--select", "E,W,F,I,B,UP"]):
        done = subprocess.run([*ruff, *args, *options, "."], cwd=tmp_path, capture_output=True)
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def test_settings_are_normalised_and_numbers_shown_as_typed() -> None:
    s = BatchSettings(10, alpha=1, prob=0.1 + 0.2, smoothing=0, seed=2)
    assert (s.alpha, s.prob, s.smoothing) == (1.0, 0.1 + 0.2, 0.0)
    assert isinstance(s.alpha, float) and isinstance(s.smoothing, float)
    (core, tv, timm) = snippets(s)
    assert "alpha=1.0," in core.code and "prob=0.3," in core.code and "p=0.3)" in tv.code
    assert "cutmix_alpha=1.0," in timm.code and "label_smoothing=0.0," in timm.code
    # The shown 0.3 and the page's 0.30000000000000004 give the same batch.
    out = _run(core)
    assert torch.equal(out["targets"], _direct(s, *_stand_in(10, "float32")).targets)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "pair"}, "mode must be one of batch, elem; got 'pair'"),
        ({"pairing": "flip"}, "pairing must be one of roll, permutation; got 'flip'"),
        ({"prob": 1.5}, r"prob must be in \[0, 1\], got 1.5"),
        ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\), got 1.0"),
        ({"alpha": 0.0}, r"alpha must be in \(0, inf\), got 0.0"),
        ({"alpha": float("nan")}, "alpha must be a finite number, got nan"),
        ({"num_classes": 0}, r"num_classes must be an int in \[1, inf\], got 0"),
        ({"seed": -1}, r"seed must be an int in \[0, inf\], got -1"),
    ],
)
def test_bad_settings_are_refused_with_the_value(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        BatchSettings(**{"num_classes": 10, **kwargs})


def test_an_unknown_stand_in_dtype_is_refused() -> None:
    with pytest.raises(ValueError, match="images must be one of float32, uint8; got 'float16'"):
        snippets(BatchSettings(10), images="float16")  # type: ignore[arg-type]


# ------------------------------------------------- what the notes and caveats say of timm


def test_timm_smooths_as_soft_targets_does_up_to_the_last_bit() -> None:
    """Why the timm snippet has no smoothing caveat: the same definition, off = s / C and
    on = 1 - s + off, applied before mixing with the flipped batch."""
    g = torch.Generator().manual_seed(0)
    for c, s, lam in itertools.product((2, 10, 100), (0.0, 0.1, 0.3), (0.0, 0.37, 0.9, 1.0)):
        y = torch.randint(0, c, (BATCH,), generator=g)
        theirs = mixup_target(y, c, lam, s)
        ours = soft_targets(y, torch.arange(BATCH).flip(0), torch.full((BATCH,), lam), c, s)
        np.testing.assert_allclose(theirs.numpy(), ours.numpy(), rtol=0, atol=2.4e-7)


def test_timm_box_spans_the_whole_cut_one_more_than_ours_when_odd() -> None:
    np.random.seed(0)
    lam = 1 - (15 / 32) ** 2  # cut side 15 on a 32 x 32 image
    yl, yh, xl, xh = rand_bbox((3, 32, 32), lam, count=200)
    inside = (yl > 0) & (yh < 32) & (xl > 0) & (xh < 32)  # boxes clipped by no border
    assert inside.any()
    assert set((yh - yl)[inside]) == {15} and set((xh - xl)[inside]) == {15}  # ours: 14


def test_timm_needs_an_even_batch_and_float_images_in_elem_mode() -> None:
    mix = Mixup(mixup_alpha=0.0, cutmix_alpha=1.0, mode="elem", label_smoothing=0.0)
    with pytest.raises(AssertionError, match="even"):
        mix(torch.rand(3, 3, 8, 8), torch.arange(3))
    np.random.seed(1)
    x = torch.randint(0, 256, (BATCH, 3, SIZE, SIZE), dtype=torch.uint8)
    y = torch.arange(BATCH)
    _, targets = Mixup(
        mixup_alpha=0.0, cutmix_alpha=1.0, mode="elem", label_smoothing=0.0, num_classes=BATCH
    )(x, y)
    # Every λ truncated to 0 (a whole sample's weight to its partner) or 1 (left alone).
    assert set(targets.flatten().tolist()) == {0.0, 1.0}
    assert (targets.argmax(1) != y).any()
