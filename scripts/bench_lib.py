"""Sections 5 and 6 of ``scripts/benchmark.py``: Grad-CAM against the libraries people would
otherwise use, and the training loop's throughput, on the shipped architectures.

5 Grad-CAM. What the models page computes for a CutMix image (``explain_mix`` in
  :mod:`cutmix_core.views.model_view`): ``gradcam(model, x, (class_a, class_b))``, the maps of
  classes A and B on one normalised 32x32 input, here a bundled CIFAR-10 cat with a centred box
  pasted from a dog. Each shipped architecture is loaded from its CutMix checkpoint with
  ``load_checkpoint`` (eval mode, frozen weights, as the app holds it; the other checkpoints of
  an architecture differ only in their weights). The same two maps of the same input and layer
  (the output of ``model.features``, where ours reads its activations) come from

  * torchcam's ``GradCAM``: one forward, then one call per class (``retain_graph`` on the
    first). Like ours it differentiates only back to the hooked layer. The weights are frozen,
    so the input requires grad, which makes the hooked output do so;
  * pytorch-grad-cam's ``GradCAM``: one call on the image twice with the two targets, its way to
    get two maps from one forward and one backward. With frozen weights it needs its
    ``compute_input_gradient``, so it backpropagates to the input.

  Each library hooks its model and writes gradients, so each gets its own instance of the
  checkpoint. The three run in turns, one call each per round, after warm-up rounds, so a change
  in the machine's load hits all alike. Figures: median and p95 ms per call, and the ratio of
  our median to the faster library's (target: at most 1). The ratio's note says how closely the
  maps agree, checked once outside the timing, so that a fast but wrong map would show.

6 Training. Images per second of the training step of :mod:`cutmix_core.training.loop`, run by
  the loop's own epoch function on epochs of one batch: augmentation, CutMix with its soft
  targets (``cutmix_prob=1``, so every step mixes), the forward pass under the loop's autocast
  and memory format, the soft cross-entropy, backward, the optimiser, learning-rate and
  lookahead steps, and the device sync the loop does when it reports. Model, optimiser and
  schedule come from ``RunState.build`` with the architecture's recipe (its batch size
  included), on synthetic uint8 CIFAR-shaped batches drawn from a seeded ``torch.Generator``.
  Cases: each architecture in fp32 and, where the device computes bf16 natively (the rule
  ``--precision auto`` uses, :func:`cutmix_core.training.devices.resolve_precision`), in bf16
  autocast; each channels_last (the loop's default) and contiguous; on the CPU and, when there
  is one, on CUDA. Warm-up steps first (the first bf16 steps on a CPU build oneDNN kernels and
  take many times longer; the AirNet whitening bias trains only in the first epochs), then
  timed steps for about ``seconds`` per case. The cases run one after another, not in turns:
  a run trains one model at a time, and switching models every step made the steps after a
  switch slower, as if kernels were being rebuilt (oneDNN keeps a bounded cache). Figure:
  ``batch / median step time``; the note gives the mean rate, the p95 step and what
  ``--precision auto`` picks on that device.

Speed is reported here and not in the tests, which check behaviour.
``python scripts/bench_lib.py --quick`` prints the rows.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

import _harness
import numpy as np
import torch
from _bench import Row
from _bench import row as _row

from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.mixing.pair import box_from_center, paste
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.models.gradcam import gradcam
from cutmix_core.models.inference import LoadedModel
from cutmix_core.training import loop
from cutmix_core.training.config import TrainConfig
from cutmix_core.training.devices import device_name, resolve_precision
from cutmix_core.training.state import RunState
from cutmix_core.views.model_view import to_input

Section = Literal["5 grad-cam", "6 training"]
GRADCAM: Section = "5 grad-cam"
TRAINING: Section = "6 training"
ROOT = _harness.ROOT
#: One checkpoint per shipped architecture (Grad-CAM's cost does not depend on the weights).
CHECKPOINTS = {
    "airnet": ROOT / "assets" / "models" / "airnet_cutmix.pt",
    "resnet20": ROOT / "assets" / "models" / "resnet20" / "resnet20_cutmix.pt",
}
#: The Grad-CAM input: a cat (class A) with a centred box pasted from a dog (class B).
CLASS_A, CLASS_B = CLASSES.index("cat"), CLASSES.index("dog")
LAM = 0.75  # the box covers a quarter of the image
GRADCAM_TARGET = 1.0  # ours / the faster library, at most
GRADCAM_WARMUP = 5  # rounds before the timed ones
TRAIN_WARMUP = 3  # steps before the timed ones: one-off kernel builds, AirNet's bias epochs
EPOCHS = 10_000  # the schedule's length: far more than are run, so no schedule ends
#: The layer the libraries hook: the output of ``features``, where ours reads its activations.
LAYER = "features"
OURS, TORCHCAM, PGC = "ours", "torchcam GradCAM", "pytorch-grad-cam GradCAM"


def _percentile(values: Sequence[float], q: float) -> float:
    return float(_harness.load_core().percentile(values, q))  # nearest rank, as bench_app's


# --- 5: Grad-CAM ------------------------------------------------------------------------------


def _cam_input(loaded: LoadedModel) -> torch.Tensor:
    """The cat with the dog's box pasted, normalised as the models page does: (1, 3, 32, 32)."""
    sample = load_sample()
    a = sample.images[int(np.flatnonzero(sample.labels == CLASS_A)[0])]  # (32, 32, 3) uint8
    b = sample.images[int(np.flatnonzero(sample.labels == CLASS_B)[0])]
    h, w = a.shape[:2]
    return to_input(loaded, [paste(a, b, box_from_center(h, w, LAM, h // 2, w // 2))])


def _agreement(ours: np.ndarray, torchcam_raw: np.ndarray, pgc_maps: np.ndarray) -> str:
    """How far each library's two maps lie from ours, on the scale of our maps.

    Args:
        ours: our ``raw`` maps (2, h, w); torchcam's unnormalised maps have that shape.
        pgc_maps: pytorch-grad-cam's (2, H, W), min-max scaled, resized the way ours are.
    """
    tc = float(np.abs(torchcam_raw - ours).max() / ours.max())
    up = torch.nn.functional.interpolate(
        torch.from_numpy(ours)[:, None], size=pgc_maps.shape[-2:], mode="bilinear"
    )[:, 0].numpy()  # (2, H, W)
    lo, hi = up.min(axis=(1, 2), keepdims=True), up.max(axis=(1, 2), keepdims=True)
    pg = float(np.abs(pgc_maps - (up - lo) / (hi - lo)).max())
    return f"maps agree: torchcam to {tc:.1e}, pytorch-grad-cam to {pg:.1e} (of the max)"


def _cam_ops(
    arch: str, stack: ExitStack
) -> tuple[dict[str, Callable[[], object]], Callable[[], str]]:
    """The three extractors of two maps on one input of ``arch``, each on its own model
    instance, and a check of their agreement; ``stack`` releases the libraries' hooks."""
    from pytorch_grad_cam import GradCAM as PgcGradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from torchcam.methods import GradCAM as TorchcamGradCAM

    mine, for_torchcam, for_pgc = (load_checkpoint(CHECKPOINTS[arch]) for _ in range(3))
    x = _cam_input(mine)  # (1, 3, 32, 32)
    classes = (CLASS_A, CLASS_B)
    tc_model, pg_model = for_torchcam.model, for_pgc.model
    tc = stack.enter_context(
        TorchcamGradCAM(
            tc_model, target_layer=tc_model.get_submodule(LAYER), input_shape=(3, 32, 32)
        )
    )
    x_grad = x.clone().requires_grad_(True)  # frozen weights: the input makes the graph

    def torchcam_maps(normalized: bool = True) -> list[torch.Tensor]:
        scores = tc_model(x_grad)  # (1, 10)
        first = tc(CLASS_A, scores, normalized, retain_graph=True)[0]  # (1, h, w)
        return [first, tc(CLASS_B, scores, normalized)[0]]

    pg = stack.enter_context(
        PgcGradCAM(model=pg_model, target_layers=[pg_model.get_submodule(LAYER)])
    )
    pg.compute_input_gradient = True  # BaseCAM's option; GradCAM's constructor does not pass it
    x_twice = x.repeat(2, 1, 1, 1)  # (2, 3, 32, 32)
    targets = [ClassifierOutputTarget(c) for c in classes]

    def pgc_maps() -> np.ndarray:
        return pg(input_tensor=x_twice, targets=targets)  # (2, 32, 32)

    def agreement() -> str:
        theirs = torch.cat(torchcam_maps(normalized=False)).detach().numpy()  # (2, h, w)
        return _agreement(gradcam(mine.model, x, classes).raw, theirs, pgc_maps())

    ops: dict[str, Callable[[], object]] = {
        OURS: lambda: gradcam(mine.model, x, classes),
        TORCHCAM: torchcam_maps,
        PGC: pgc_maps,
    }
    return ops, agreement


def _calls_in_turns(ops: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds per call of each op: ``repeat`` rounds of one call each, after warm-up rounds."""
    times: dict[str, list[float]] = {name: [] for name in ops}
    for i in range(GRADCAM_WARMUP + repeat):
        for name, op in ops.items():
            start = time.perf_counter()
            op()
            if i >= GRADCAM_WARMUP:
                times[name].append(time.perf_counter() - start)
    return times


def gradcam_rows(repeat: int) -> list[Row]:
    """Section 5: per architecture, median and p95 ms of ours and each library's two maps, and
    our median over the faster library's (target 1)."""
    rows: list[Row] = []
    for arch in CHECKPOINTS:
        with ExitStack() as stack:
            ops, agreement = _cam_ops(arch, stack)
            note = agreement()
            times = _calls_in_turns(ops, repeat)
        medians = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        for name, t in times.items():
            case = f"{arch}: {name}, classes A and B"
            ms = [1e3 * s for s in t]
            rows.append(_row(GRADCAM, case, medians[name], "ms", "median", n=len(ms)))
            rows.append(_row(GRADCAM, case, _percentile(ms, 95), "ms", "p95", n=len(ms)))
        fastest = min((TORCHCAM, PGC), key=medians.__getitem__)
        rows.append(
            _row(
                GRADCAM,
                f"{arch}: ours / fastest library",
                medians[OURS] / medians[fastest],
                "x",
                "median",
                n=repeat,
                note=f"fastest: {fastest}; {note}",
                target=GRADCAM_TARGET,
            )
        )
    return rows


# --- 6: training ------------------------------------------------------------------------------


def _precision_name(amp_dtype: torch.dtype | None) -> str:
    return "bf16 autocast" if amp_dtype is not None else "fp32"


def _train_cases(device: torch.device) -> list[tuple[str, str, bool]]:
    """``(arch, precision, channels_last)``: bf16 only where ``auto`` would pick it."""
    precisions = ["fp32"] + (["bf16"] if resolve_precision("auto", device) is not None else [])
    return [
        (arch, precision, channels_last)
        for arch in CHECKPOINTS
        for precision in precisions
        for channels_last in (True, False)
    ]


def _stepper(
    arch: str, precision: str, channels_last: bool, device: torch.device
) -> tuple[Callable[[int], None], int]:
    """``(step, batch size)``: ``step(epoch)`` runs the loop's epoch function on one batch."""
    config = TrainConfig(
        data="synthetic",  # never read: the batches are made here
        out="unused",  # nothing is saved
        arch=arch,
        cutmix_prob=1.0,
        epochs=EPOCHS,
        device=str(device),
        precision=precision,
        channels_last=channels_last,
        cache=None,
    )
    generator = torch.Generator().manual_seed(0)
    shape = (config.batch_size, 3, 32, 32)
    x = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator).to(device)
    y = torch.randint(0, 10, (config.batch_size,), generator=generator).to(device)
    parts = RunState.build(config, device, x)
    amp_dtype = resolve_precision(precision, device)

    def step(epoch: int) -> None:
        loop.train_epoch(config, parts.model, parts, x, y, amp_dtype, epoch, 1, False)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return step, config.batch_size


def _time_steps(step: Callable[[int], None], seconds: float) -> list[float]:
    """Seconds per step after the warm-up; no step starts that would likely take the timed
    total past ``seconds`` (at least one is timed)."""
    for epoch in range(1, TRAIN_WARMUP + 1):
        step(epoch)
    times: list[float] = []
    while not times or sum(times) + statistics.mean(times) <= seconds:
        start = time.perf_counter()
        step(TRAIN_WARMUP + len(times) + 1)  # the epoch number
        times.append(time.perf_counter() - start)
    return times


def training_rows(seconds: float) -> list[Row]:
    """Section 6: images per second of the training step, per architecture, precision, memory
    format and device (the CPU, and CUDA when available)."""
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows: list[Row] = []
    for device in devices:
        auto = _precision_name(resolve_precision("auto", device))
        for arch, precision, channels_last in _train_cases(device):
            layout = "channels_last" if channels_last else "contiguous"
            name = _precision_name(resolve_precision(precision, device))
            step, batch = _stepper(arch, precision, channels_last, device)
            times = _time_steps(step, seconds)
            note = (
                f"batch {batch}; mean {batch * len(times) / sum(times):.0f} img/s, p95 step "
                f"{1e3 * _percentile(times, 95):.0f} ms; --precision auto picks {auto} on "
                f"{device.type}"
            )
            rate = batch / statistics.median(times)
            case = f"{arch}, {device.type}, {name}, {layout}"
            rows.append(_row(TRAINING, case, rate, "img/s", "median", n=len(times), note=note))
    return rows


# --- environment ------------------------------------------------------------------------------


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """What sections 5 and 6 ran on: CPU, cores, threads, bf16 support, versions, GPU."""
    cpu = torch.device("cpu")
    flags = _cpu_flags()
    cuda = None
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        cuda = {
            "device": device_name(torch.device("cuda")),
            "capability": f"{props.major}.{props.minor}",
            "memory_gb": round(props.total_memory / 1e9, 1),
            "bf16": torch.cuda.is_bf16_supported(),
            "precision_auto": _precision_name(resolve_precision("auto", torch.device("cuda"))),
        }
    return {
        "cpu": device_name(cpu),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch_threads": torch.get_num_threads(),
        "cpu_bf16_flags": sorted(flags & {"avx512_bf16", "amx_bf16", "amx_tile"}),
        "cpu_precision_auto": _precision_name(resolve_precision("auto", cpu)),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchcam": _version("torchcam"),
        "grad-cam": _version("grad-cam"),
        "cuda": cuda,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: check that it runs")
    parser.add_argument("--sections", default="5,6", help="5, 6 or 5,6")
    args = parser.parse_args(argv)
    wanted = {s.strip() for s in args.sections.split(",")}
    started = time.monotonic()
    print(environment())
    rows: list[Row] = []
    if "5" in wanted:
        rows += gradcam_rows(5 if args.quick else 30)
    if "6" in wanted:
        rows += training_rows(3.0 if args.quick else 20.0)
    for row in rows:
        verdict = "" if row["met"] is None else ("met" if row["met"] else "MISSED")
        print(
            f"{row['case']:<58} {row['stat']:<6} {row['value']:>10.3f} {row['unit']:<5} "
            f"n={row['n']:<4} {verdict} {row['note']}".rstrip()
        )
    print(f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
