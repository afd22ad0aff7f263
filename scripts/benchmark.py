"""Speed of CutMix Lab against what people would otherwise use, on this machine's CPU.

    python scripts/benchmark.py            # prints a table, writes assets/benchmark.json

Measures (median of repeated runs, after a warm-up):
1. the torch batch op ``cutmix_batch`` against ``torchvision.transforms.v2.CutMix`` on the same
   batch (roll pairing, one box per batch: the same work), uint8 and float32, CIFAR and
   ImageNet sizes;
2. ``cutmix_batch`` in "elem" mode (one box per sample, timm's mode), which torchvision lacks;
3. the numpy pair op ``cutmix`` on a 512 x 512 photo;
4. the playground's server-side rerun after a slider move (Streamlit's AppTest runs the page
   script as the server would, without a browser), the number a lecturer feels.
Tests check behaviour; this script is where speed is reported (DEVELOPERS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import v2

from cutmix_core import cutmix, cutmix_batch
from cutmix_core.paths import ROOT


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo where there is one, else platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``fn`` over ``repeat`` runs, after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch_rows(repeat: int) -> list[dict]:
    rows = []
    cases = [("uint8", 256, 32), ("float32", 256, 32), ("float32", 32, 224)]
    for dtype, n, side in cases:
        gen = torch.Generator().manual_seed(0)
        x = torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=gen)
        x = x if dtype == "uint8" else x.float() / 255
        y = torch.randint(0, 10, (n,), generator=gen)
        tv = v2.CutMix(alpha=1.0, num_classes=10)
        ours = timed(lambda x=x, y=y, g=gen: cutmix_batch(x, y, 10, generator=g), repeat)
        theirs = timed(lambda x=x, y=y, tv=tv: tv(x, y), repeat)
        elem = timed(
            lambda x=x, y=y, g=gen: cutmix_batch(x, y, 10, generator=g, mode="elem"), repeat
        )
        rows.append(
            {
                "case": f"batch {n}x3x{side}x{side} {dtype}",
                "cutmix_batch_ms": ours * 1e3,
                "torchvision_v2_CutMix_ms": theirs * 1e3,
                "ratio_ours_over_tv": ours / theirs,
                "cutmix_batch_elem_ms": elem * 1e3,
            }
        )
    return rows


def pair_row(repeat: int) -> dict:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    secs = timed(lambda: cutmix(a, b, 1.0, rng=rng), repeat)
    return {"case": "pair 512x512x3 uint8 (numpy cutmix)", "ms": secs * 1e3}


def rerun_row(repeat: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    seed = iter(range(1, 10_000))

    def move() -> None:
        at.number_input(key="seed").set_value(next(seed)).run()
        assert not at.exception

    secs = timed(move, repeat)
    return {"case": "playground rerun after a seed change (server side, AppTest)", "ms": secs * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "benchmark.json")
    args = parser.parse_args()
    report = {
        "machine": f"{cpu_name()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch "
        f"threads, Python {platform.python_version()}, torch {torch.__version__}",
        "batch": batch_rows(args.repeat),
        "pair": pair_row(args.repeat),
        "playground": rerun_row(max(5, args.repeat // 3)),
    }
    print(f"machine: {report['machine']}")
    print(f"{'case':46s} {'ours ms':>9s} {'tv ms':>9s} {'ours/tv':>8s} {'elem ms':>9s}")
    for row in report["batch"]:
        print(
            f"{row['case']:46s} {row['cutmix_batch_ms']:9.3f} "
            f"{row['torchvision_v2_CutMix_ms']:9.3f} {row['ratio_ours_over_tv']:8.2f} "
            f"{row['cutmix_batch_elem_ms']:9.3f}"
        )
    for key in ("pair", "playground"):
        print(f"{report[key]['case']:60s} {report[key]['ms']:9.2f} ms")
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
