"""Tests for cutmix_core.evaluation.report and cutmix_core.views.evaluation_figures: tiny CPU models, a fake test
set, and every number checked against an independent computation."""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cutmix_core.data.cifar import CLASSES, CifarSet
from cutmix_core.evaluation import report as ev
from cutmix_core.mixing.batch import cutout_batch
from cutmix_core.mixing.pair import Box, box_lambda, paste
from cutmix_core.models import checkpoints as models
from cutmix_core.models.gradcam import gradcam, mass_inside
from cutmix_core.training import loop as train
from cutmix_core.views import evaluation_figures as figs

ARCH = "resnet8w4"
HOLES = (0, 8, 16)
N_PAIRS = 24


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _fake_set(n_per_class: int = 6, seed: int = 0) -> CifarSet:
    """Noise with a class-dependent colour cast, so a few training steps separate the classes."""
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(len(CLASSES)), n_per_class)  # (N,)
    images = rng.integers(0, 120, (labels.size, 32, 32, 3), dtype=np.uint8)  # (N, 32, 32, 3)
    for c in range(len(CLASSES)):
        images[labels == c, :, :, c % 3] += np.uint8(40 + 13 * c)
    return CifarSet(images, labels, np.arange(labels.size), "test", "fake test set")


def _fitted(seed: int, steps: int = 25) -> models.CifarResNet:
    """A tiny model after a few full-batch SGD steps on another fake set: its predictions vary
    from image to image (a fresh one predicts one or two classes for everything)."""
    model = models.build_model(ARCH, generator=_gen(seed))
    fit = _fake_set(seed=10 + seed)
    x, y = models.preprocess(fit.images), torch.from_numpy(np.array(fit.labels))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def test_set() -> CifarSet:
    return _fake_set()


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, test_set: CifarSet) -> Path:
    """r8_cutmix (card accuracy right), r8_none (card accuracy wrong), and a stray last.pt."""
    folder = tmp_path_factory.mktemp("models")
    cutmix, none = _fitted(1), _fitted(2, steps=15)
    right = train.evaluate_accuracy(cutmix, test_set.images, test_set.labels)
    common = {"epochs": 3, "test_images": len(test_set)}
    models.save_checkpoint(
        folder / "r8_cutmix.pt", cutmix, {"aug": "cutmix", "test_accuracy": right, **common}
    )
    models.save_checkpoint(
        folder / "r8_none.pt", none, {"aug": "none", "test_accuracy": 0.5, **common}
    )
    torch.save(none.state_dict(), folder / "last.pt")  # no card: not a shipped model
    return folder


@pytest.fixture(scope="module")
def loaded(models_dir: Path) -> list[models.LoadedModel]:
    return ev.load_models(models_dir)


@pytest.fixture(scope="module")
def report(loaded, test_set) -> ev.EvaluationReport:
    return ev.evaluate(loaded, test_set, seed=3, n_pairs=N_PAIRS, holes=HOLES, command="test")


# ---------------------------------------------------------------- models and clean accuracy


def test_models_are_loaded_baseline_first_and_cardless_files_skipped(loaded, test_set) -> None:
    assert [m.name for m in loaded] == ["r8_none", "r8_cutmix"]  # by aug, not by name
    for m in loaded:  # the fixture's models are not degenerate
        assert np.unique(m.predict(test_set.images).argmax(1)).size >= 3


def test_load_models_needs_a_checkpoint(tmp_path) -> None:
    with pytest.raises(ValueError, match="no checkpoints"):
        ev.load_models(tmp_path)


def test_clean_accuracy_equals_an_independent_computation(report, loaded, test_set) -> None:
    for m, result in zip(loaded, report.models):
        by_hand = float((m.predict(test_set.images).argmax(1) == test_set.labels).mean())
        assert result.name == m.name and result.clean_accuracy == by_hand
        assert result.clean_accuracy == train.evaluate_accuracy(
            m.model, test_set.images, test_set.labels
        )
        assert result.test_images == len(test_set) and result.epochs == 3
        assert result.num_parameters == models.count_parameters(m.model)
    none, cutmix = report.models
    assert cutmix.card_agrees is True  # the card holds the right number
    assert none.card_accuracy == 0.5 and none.card_agrees is False
    assert none.occlusion_at("centre", 16) is not None and none.occlusion_at("centre", 5) is None


def test_card_on_other_test_images_is_not_compared(report) -> None:
    m = report.models[1]
    other = ev.ModelEvaluation.from_dict({**m.to_dict(), "card_test_images": 10_000})
    assert other.card_agrees is None
    assert ev.ModelEvaluation.from_dict({**m.to_dict(), "card_accuracy": None}).card_agrees is None


@pytest.mark.parametrize(
    "clean, card, agrees",
    [
        (0.8010, 0.8009, True),
        (0.8009, 0.8010, True),
        (0.8778, 0.8778, True),
        (0.8011, 0.8009, False),
        (0.5, 0.6, False),
    ],
)
def test_card_agrees_within_one_image(report, clean, card, agrees) -> None:
    # 0.8010 - 0.8009 is a little over 1e-4 in floating point: the rule counts images.
    m = ev.ModelEvaluation.from_dict(
        {
            **report.models[1].to_dict(),
            "test_images": 10_000,
            "card_test_images": 10_000,
            "clean_accuracy": clean,
            "card_accuracy": card,
        }
    )
    assert m.card_agrees is agrees


# ---------------------------------------------------------------- pairs


def test_pairs_have_two_labels_exact_lambdas_and_are_seeded(test_set) -> None:
    labels = test_set.labels.copy()
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    pairs = ev.sample_pairs(test_set.labels, 50, rng=np.random.default_rng(0))
    assert len(pairs) == 50 and (pairs.label_a != pairs.label_b).all()
    assert (test_set.labels[pairs.index_a] == pairs.label_a).all()
    assert (test_set.labels[pairs.index_b] == pairs.label_b).all()
    assert pairs.lams_adjusted.tolist() == [box_lambda(b, 32, 32) for b in pairs.boxes]
    assert len({b.area for b in pairs.boxes}) > 10  # boxes of many sizes (lam ~ Beta(1, 1))
    again = ev.sample_pairs(test_set.labels, 20, rng=np.random.default_rng(0))
    assert again.boxes == pairs.boxes[:20]  # same seed: same pairs, and a prefix of more
    assert (again.index_a == pairs.index_a[:20]).all()
    assert (again.index_b == pairs.index_b[:20]).all()
    other = ev.sample_pairs(test_set.labels, 20, rng=np.random.default_rng(1))
    assert other.boxes != again.boxes
    assert (test_set.labels == labels).all()
    assert (np.random.get_state()[1] == np_state).all()  # global RNGs untouched
    assert torch.equal(torch.get_rng_state(), torch_state)


@pytest.mark.parametrize(
    ("labels", "n", "match"),
    [
        (np.zeros(5, dtype=int), 3, "at least two classes"),
        (np.arange(4), 0, "n must be a positive int, got 0"),
        (np.arange(4).reshape(2, 2), 3, r"labels must be 1-D.*\(2, 2\)"),
    ],
)
def test_sample_pairs_rejects_bad_input(labels, n, match) -> None:
    with pytest.raises(ValueError, match=match):
        ev.sample_pairs(labels, n, rng=np.random.default_rng(0))


def test_every_model_sees_the_same_pairs_and_hole_places(loaded, test_set, monkeypatch) -> None:
    pair_calls: list[tuple] = []
    place_calls: list[np.ndarray] = []
    real_pairs, real_occlusion = ev.pair_stats, ev.occlusion_curves

    def spy_pairs(model, mixed, pairs):
        pair_calls.append((model.name, mixed.copy(), pairs.boxes, pairs.index_a.copy()))
        return real_pairs(model, mixed, pairs)

    def spy_occlusion(model, test, holes, places, **kw):
        place_calls.append(places.copy())
        return real_occlusion(model, test, holes, places, **kw)

    monkeypatch.setattr(ev, "pair_stats", spy_pairs)
    monkeypatch.setattr(ev, "occlusion_curves", spy_occlusion)
    result = ev.evaluate(loaded, test_set, seed=3, n_pairs=N_PAIRS, holes=HOLES)
    (n1, mixed1, boxes1, a1), (n2, mixed2, boxes2, a2) = pair_calls
    assert (n1, n2) == ("r8_none", "r8_cutmix")
    assert np.array_equal(mixed1, mixed2) and boxes1 == boxes2 and np.array_equal(a1, a2)
    assert np.array_equal(place_calls[0], place_calls[1])
    # the places do not depend on the number of pairs (independent streams from one seed)
    ev.evaluate(loaded[:1], test_set, seed=3, n_pairs=5, holes=(0,))
    assert np.array_equal(place_calls[2], place_calls[0])
    m1, m2 = result.models
    assert m1.pairs.curve.counts == m2.pairs.curve.counts and m1.pairs.n == N_PAIRS
    assert m1.pairs != m2.pairs  # ... yet the models differ


def test_pair_stats_recomputed_by_hand(loaded, test_set) -> None:
    m = loaded[1]
    boxes = (Box(0, 16, 0, 16), Box(8, 32, 4, 30), Box(10, 12, 10, 30), Box(0, 0, 0, 0))
    ia, ib = np.array([0, 1, 2, 3]), np.array([11, 12, 15, 17])
    pairs = ev.PairSet(
        ia,
        ib,
        test_set.labels[ia],
        test_set.labels[ib],
        boxes,
        np.array([0.75, 0.4, 0.98, 1.0]),
        np.array([box_lambda(b, 32, 32) for b in boxes]),
    )
    mixed = ev.mix_pairs(test_set.images, pairs)
    stats = ev.pair_stats(m, mixed, pairs)
    t = np.array([b.area / 1024 for b in boxes])
    p_a, p_b, both, shares_b, shares_a = [], [], [], [], []
    for i, box in enumerate(boxes):
        a, b = test_set.images[ia[i]], test_set.images[ib[i]]
        probs = m.predict(paste(a, b, box))[0]
        la, lb = int(test_set.labels[ia[i]]), int(test_set.labels[ib[i]])
        p_a.append(probs[la])
        p_b.append(probs[lb])
        both.append(set(np.argsort(-probs)[:2]) == {la, lb})
        if box.area:
            cam = gradcam(m.model, models.preprocess(paste(a, b, box)), (la, lb)).upsampled
            shares_a.append(1 - mass_inside(cam[0], box))
            shares_b.append(mass_inside(cam[1], box))
    p_b = np.array(p_b, dtype=np.float64)
    assert stats.n == 4 and stats.cam_pairs == 3  # the empty box has no inside to measure
    assert stats.mean_p_a == pytest.approx(np.mean(p_a), abs=1e-6)
    assert stats.mean_p_b == pytest.approx(p_b.mean(), abs=1e-6)
    assert stats.mae_p_b == pytest.approx(np.abs(p_b - t).mean(), abs=1e-6)
    assert stats.corr_p_b == pytest.approx(np.corrcoef(p_b, t)[0, 1], abs=1e-5)
    assert stats.both_top2 == np.mean(both)
    assert stats.cam_a_outside == pytest.approx(np.nanmean(shares_a), abs=1e-6)
    assert stats.cam_b_in_box == pytest.approx(np.nanmean(shares_b), abs=1e-6)
    assert stats.cam_skipped_b == int(np.isnan(shares_b).sum())
    assert sum(stats.curve.counts) == 4 and stats.curve.counts[0] == 2  # t = 0.02 and t = 0
    assert (mixed[3] == test_set.images[3]).all()  # an empty box leaves A as it is


def test_split_curve_bins_t_and_leaves_empty_bins_nan() -> None:
    t = np.array([0.0, 0.04, 0.1, 0.95, 1.0])
    curve = ev.split_curve(
        t, np.array([1.0, 0.0, 0.5, 0.2, 0.4]), np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    )
    assert curve.centres == pytest.approx([0.05 + 0.1 * i for i in range(10)])
    assert curve.counts == (2, 1, 0, 0, 0, 0, 0, 0, 0, 2)
    assert curve.mean_p_a[0] == 0.5 and curve.mean_p_b[9] == pytest.approx(0.8)
    assert math.isnan(curve.mean_p_b[4])


# ---------------------------------------------------------------- occlusion


def test_occlusion_at_hole_0_is_clean_and_8px_centre_matches_a_hand_fill(
    report, loaded, test_set
) -> None:
    for m, result in zip(loaded, report.models):
        centre, random = result.occlusion
        assert (centre.placement, random.placement) == ev.PLACEMENTS and centre.holes == HOLES
        assert centre.at(0) == random.at(0) == result.clean_accuracy
        x = models.preprocess(test_set.images).clone()  # (N, 3, 32, 32)
        x[:, :, 12:20, 12:20] = 0.0
        by_hand = (models.predict(m.model, x).argmax(1) == test_set.labels).mean()
        assert centre.at(8) == pytest.approx(by_hand, abs=1e-12)


def test_random_holes_go_where_the_places_say(loaded, test_set) -> None:
    places = np.random.default_rng(5).random((len(test_set), 2))
    curves = ev.occlusion_curves(loaded[0], test_set, (12,), places, chunk=25)  # chunks of 25
    x = models.preprocess(test_set.images).clone()  # (N, 3, 32, 32)
    for i, (u, v) in enumerate(places):
        y0, x0 = int(u * 21), int(v * 21)  # 21 = 32 - 12 + 1 positions fit
        x[i, :, y0 : y0 + 12, x0 : x0 + 12] = 0.0
    by_hand = (models.predict(loaded[0].model, x).argmax(1) == test_set.labels).mean()
    assert curves[1].placement == "random" and curves[1].accuracy == (pytest.approx(by_hand),)
    with pytest.raises(ValueError, match="places holds 3 rows for 60 images"):
        ev.occlusion_curves(loaded[0], test_set, (12,), places[:3])


def test_hole_boxes_are_exact_squares_inside_the_image() -> None:
    places = np.random.default_rng(0).random((400, 2))
    assert ev.hole_boxes(8, "centre", places[:2]) == (Box(12, 20, 12, 20),) * 2
    assert ev.hole_boxes(5, "centre", places[:1]) == (Box(13, 18, 13, 18),)
    for side in (0, 4, 16, 32):
        boxes = ev.hole_boxes(side, "random", places)
        assert all(b.area == side * side and b.fits(32, 32) for b in boxes)
    corners = {(b.y0, b.x0) for b in ev.hole_boxes(24, "random", places)}
    assert {y for y, _ in corners} == set(range(9))  # every position that fits is used
    with pytest.raises(ValueError, match="hole side must be an int in \\[0, 32\\], got 33"):
        ev.hole_boxes(33, "centre", places)
    with pytest.raises(ValueError, match="placement must be one of"):
        ev.hole_boxes(4, "border", places)
    with pytest.raises(ValueError, match=r"holes must be sides in \[0, 32\] px, got \(4, 40\)"):
        ev.evaluate([], _fake_set(1), holes=(4, 40))


def test_a_filled_hole_is_the_training_mean_colour_and_the_input_is_kept() -> None:
    images = _fake_set(1).images[:3]
    x = models.preprocess(images)  # (3, 3, 32, 32)
    before = x.clone()
    boxes = (Box(0, 8, 0, 8), Box(10, 26, 5, 21), Box(0, 0, 0, 0))
    out = ev.fill_holes(x, boxes)
    assert torch.equal(x, before)
    std, mean = (torch.tensor(v).view(3, 1, 1) for v in (models.CIFAR10_STD, models.CIFAR10_MEAN))
    for i, b in enumerate(boxes):
        hole = out[i, :, b.y0 : b.y1, b.x0 : b.x1] * std + mean  # back to pixel / 255
        assert torch.allclose(hole, mean.expand_as(hole), atol=1e-7)
        keep = torch.ones(32, 32, dtype=torch.bool)
        keep[b.y0 : b.y1, b.x0 : b.x1] = False
        assert torch.equal(out[i][:, keep], x[i][:, keep])
    # the docstring's claim: Cutout in training fills normalised images with 0 as well
    assert inspect.signature(cutout_batch).parameters["fill"].default == 0.0
    cut = cutout_batch(x, torch.zeros(3, dtype=torch.long), 10, 8, generator=_gen(0))
    assert all(
        (cut.images[i, :, b.y0 : b.y1, b.x0 : b.x1] == 0).all() for i, b in enumerate(cut.boxes)
    )


# ---------------------------------------------------------------- JSON, table, figures


def test_report_round_trips_through_strict_json(report, tmp_path) -> None:
    path = ev.save_report(report, tmp_path / "sub" / "evaluation.json")
    text = path.read_text()
    d = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert d["version"] == ev.REPORT_VERSION and d["holes"] == list(HOLES)
    assert d["pairs"] == N_PAIRS and d["seed"] == 3 and d["command"] == "test"
    assert d["torch"] == torch.__version__ and d["device"] and d["date"].startswith("20")
    assert d["data"] == "fake test set" and d["test_images"] == 60
    assert [m["name"] for m in d["models"]] == ["r8_none", "r8_cutmix"]
    first = d["models"][0]
    assert first["card_agrees"] is False and first["wall_time_s"] >= 0
    curve = first["pairs"]["curve"]
    assert curve["mean_p_b"].count(None) == curve["counts"].count(0) > 0  # empty bins: null
    assert [c["placement"] for c in first["occlusion"]] == ["centre", "random"]
    loaded = ev.load_report(path)
    assert loaded.to_dict() == report.to_dict()
    assert loaded.models[1].occlusion == report.models[1].occlusion


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "does not exist; run `python -m cutmix_core.evaluation.report`"),
        ("{not json", "is not readable JSON"),
        ('{"version": 99}', "has version 99, this code reads version 1"),
        ("[1, 2]", "has version None"),
        ('{"version": 1, "models": []}', "is malformed \\(KeyError: 'command'\\)"),
    ],
)
def test_load_report_errors_say_what_is_wrong(tmp_path, content, match) -> None:
    path = tmp_path / "evaluation.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=match):
        ev.load_report(path)


def test_markdown_table_and_summary_rows(report) -> None:
    rows = figs.summary_rows(report)
    assert [r["model"] for r in rows] == ["r8_none", "r8_cutmix"]
    assert list(rows[0]) == list(ev.COLUMNS)
    m = report.models[1]
    assert rows[1]["clean acc"] == m.clean_accuracy and rows[1]["params"] == m.num_parameters
    assert rows[1]["occl. 16px random"] == m.occlusion[1].at(16)
    lines = ev.markdown_table(report).splitlines()
    assert len(lines) == 4 and lines[0].startswith("| model | aug | params | epochs | clean acc")
    cells = [c.strip() for c in lines[3].strip("|").split("|")]
    assert cells[:4] == ["r8_cutmix", "cutmix", f"{m.num_parameters / 1e6:.2f}M", "3"]
    assert cells[4] == f"{100 * m.clean_accuracy:.2f}%" and cells[6] == f"{m.pairs.corr_p_b:.3f}"
    assert cells[12] == f"{100 * m.occlusion[1].at(16):.2f}%"


def test_occlusion_figure_has_a_solid_and_a_dashed_line_per_model(report) -> None:
    fig = figs.occlusion_figure(report)
    assert len(fig.data) == 4
    for trace, (m, curve) in zip(fig.data, [(m, c) for m in report.models for c in m.occlusion]):
        assert list(trace.x) == list(HOLES) and list(trace.y) == list(curve.accuracy)
        assert trace.line.dash == {"centre": "solid", "random": "dash"}[curve.placement]
        assert m.name in trace.name
    assert fig.data[0].line.color != fig.data[2].line.color


def test_split_figure_has_the_ideal_line_and_one_curve_per_model(report) -> None:
    fig = figs.split_figure(report)
    assert list(fig.data[0].x) == [0, 1] and list(fig.data[0].y) == [0, 1]
    for trace, m in zip(fig.data[1:], report.models):
        c = m.pairs.curve
        assert list(trace.y) == [p for p, n in zip(c.mean_p_b, c.counts) if n]
        assert sum(trace.customdata) == N_PAIRS


# ---------------------------------------------------------------- command line


def _write_test_split(root: Path, per_class: int = 3) -> None:
    rng = np.random.default_rng(1)
    for name in CLASSES:
        folder = root / "test" / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                folder / f"{i}.png"
            )


def test_cli_end_to_end_writes_json_and_prints_the_table(
    models_dir, tmp_path, capsys, monkeypatch
) -> None:
    _write_test_split(tmp_path / "cifar")
    monkeypatch.setenv("CUTMIX_CIFAR10", str(tmp_path / "cifar"))  # no --data: the variable
    out = tmp_path / "evaluation.json"
    args = [
        "--models",
        str(models_dir),
        "--cache",
        str(tmp_path / "cache"),
        "--pairs",
        "8",
        "--seed",
        "1",
        "--holes",
        "0,16",
        "--limit",
        "20",
        "--out",
        str(out),
        "--markdown",
    ]
    assert ev.main(args) == 0
    stdout = capsys.readouterr().out
    assert f"wrote {out} (2 models, 20 test images)" in stdout
    table = stdout[stdout.index("| model") :].splitlines()
    assert [line.split("|")[1].strip() for line in table[2:]] == ["r8_none", "r8_cutmix"]
    report = ev.load_report(out)
    assert report.test_images == 20 and report.pairs == 8 and report.holes == (0, 16)
    assert "first 20 balanced" in report.data
    assert report.command.startswith("python -m cutmix_core.evaluation.report --models ")
    assert report.command.endswith("--markdown")
    assert all(m.card_agrees is None for m in report.models)  # the cards used 60 images
    assert ev.markdown_table(report) in stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ([], "pass --data PATH or set \\$CUTMIX_CIFAR10"),
        (["--data", "/nonexistent/cifar"], "/nonexistent/cifar does not exist"),
        (["--data", ".", "--holes", "4,x"], "holes must be comma-separated ints"),
        (["--data", ".", "--holes", "40"], "sides in \\[0, 32\\]"),
        (["--data", ".", "--pairs", "0"], "--pairs must be >= 1"),
    ],
)
def test_cli_errors_name_the_problem(args, match, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("CUTMIX_CIFAR10", raising=False)
    with pytest.raises(SystemExit):
        ev.main([*args, "--models", str(tmp_path), "--out", str(tmp_path / "e.json")])
    assert re.search(match, capsys.readouterr().err)
    assert not (tmp_path / "e.json").exists()


def test_display_rows_format_percentages_and_count_zero_maps(report) -> None:
    rows = figs.display_rows(report)
    m = report.models[1]
    assert rows[1]["clean acc"] == f"{100 * m.clean_accuracy:.1f}%"
    assert rows[1]["p(B) corr"] == f"{m.pairs.corr_p_b:.3f}"
    assert rows[1]["all-zero CAMs (A / B)"] == f"{m.pairs.cam_skipped_a} / {m.pairs.cam_skipped_b}"
    assert list(rows[0])[: len(ev.COLUMNS)] == list(ev.COLUMNS)
