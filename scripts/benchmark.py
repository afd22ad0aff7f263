"""Every speed a CutMix Lab user feels, against its target and the libraries people would
otherwise use, measured in one run on one machine:

    python scripts/benchmark.py                  # every section; writes assets/benchmark.json
    python scripts/benchmark.py --sections 1,5   # some of them
    python scripts/benchmark.py --quick          # few repeats: check that it runs

1 batch op. ``cutmix_batch`` in batch and elem mode against ``torchvision.transforms.v2.CutMix``
  and timm's ``Mixup`` in its CutMix-only configuration, on uint8 and float32 batches of
  256x3x32x32, 512x3x32x32 and 64x3x224x224, and against ``clone()`` of the same bytes (the
  memory-bandwidth floor: any op that returns a new batch pays at least that). Every op applies
  CutMix to every batch (``prob=1``, as torchvision always does), pairs i with i - 1 (ours and
  torchvision's; timm pairs i with N - 1 - i), and draws its own box. timm mixes the batch in
  place, which is how a training loop calls it, so it pays no copy. The ops are timed in turns
  (one sample of each, in a new order each round), so a change in the machine's load hits all
  alike, and the whole section runs in ``BATCH_PROCESSES`` fresh processes one after another:
  the same code gives other figures from one process to the next, so a process is one sample.
  Targets: batch mode at least as fast as torchvision on every case; elem mode within 2x of
  batch mode. Each op's minor page faults a call are counted too: fresh memory that an op
  touches first can cost more than its own work, and whether the allocator hands out fresh
  memory depends on what ran before, not on the op. So by default glibc keeps freed memory
  for reuse, in this process (sections 1, 5 and 6) and in section 1's (``--allocator default``
  leaves it as is). Also the numpy pair op that the playground calls, on a 512x512 photo, in
  this process.
2 server reruns, 3 browser, 4 cold start, 7 scale: ``bench_app`` (the app, as a student waits).
5 Grad-CAM, 6 training throughput: ``bench_lib``.

Speed is reported here and not in the tests, which check behaviour. The report
names the machine and what else was running on it at the start and the end, since a 2-core
machine shared with other jobs gives other figures.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _harness
from _bench import Row, row

ROOT = _harness.ROOT
OUT = ROOT / "assets" / "benchmark.json"
SECTIONS = ("1", "2", "3", "4", "5", "6", "7")
BATCH = "1 batch op"
#: The batch op's cases: (batch size, side), each in uint8 and float32.
SHAPES = ((256, 32), (512, 32), (64, 224))
BATCH_TARGET = 1.0  # cutmix_batch / torchvision, at most
ELEM_TARGET = 2.0  # elem mode / batch mode, at most
OURS, OURS_ELEM = "cutmix_batch, batch mode", "cutmix_batch, elem mode"
TV, CLONE = "torchvision v2.CutMix", "clone() of the same bytes"
BATCH_PROCESSES = 5  # section 1 runs in this many fresh processes, one after another
SAMPLE_S = 0.002  # aim for samples of about this long: several calls of a fast op
#: README's column heads for section 1's ops and ratios.
SHORT = {
    OURS: "ours, batch",
    TV: "torchvision",
    "timm Mixup, CutMix only, batch mode (in place)": "timm, batch (in place)",
    OURS_ELEM: "ours, elem",
    "timm Mixup, CutMix only, elem mode (in place)": "timm, elem (in place)",
    CLONE: "clone()",
    "cutmix_batch / torchvision": "ours / torchvision (≤ 1)",
    "elem mode / batch mode": "elem / batch (≤ 2)",
    "cutmix_batch / clone()": "ours / clone()",
}


@dataclass(frozen=True)
class Turns:
    """What :func:`in_turns` measured: seconds per call of each op, one entry a sample, and the
    minor page faults a call (memory the allocator handed out fresh, which the op then touched
    for the first time)."""

    times: dict[str, list[float]]
    faults: dict[str, float]


def in_turns(ops: dict[str, Callable[[], object]], repeat: int) -> Turns:
    """Each op timed ``repeat`` times, in turns after a warm-up; a sample averages enough calls
    to last about ``SAMPLE_S``. Each round runs the ops in a new order (shuffled from a fixed
    seed), so that over the rounds each op follows each of the others about equally often: the
    first calls after a long, different op find the caches cold."""
    calls = {}
    for name, op in ops.items():
        for _ in range(3):
            op()
        start = time.perf_counter()
        op()
        calls[name] = max(1, int(SAMPLE_S / max(time.perf_counter() - start, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in ops}
    faults = dict.fromkeys(ops, 0)
    names, order = list(ops), random.Random(0)
    for _ in range(repeat):
        order.shuffle(names)
        for name in names:
            op, k = ops[name], calls[name]
            before = _minor_faults()
            start = time.perf_counter()
            for _ in range(k):
                op()
            times[name].append((time.perf_counter() - start) / k)
            faults[name] += _minor_faults() - before
    per_call = {name: faults[name] / (calls[name] * repeat) for name in ops}
    return Turns(times, per_call)


#: glibc's mallopt parameters (malloc.h) and the most it allows for the mmap threshold.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX = -1, -3, 32 * 2**20


def keep_freed_memory() -> bool:
    """Ask glibc to keep memory freed in this process for reuse, rather than hand it back to the
    system: blocks up to 32 MiB come from the heap and the heap's top is never trimmed. Else an
    op's result can land on pages the system took back, and touching them first costs more than
    the op (how often depends on what ran before, not on the op). True where it was set: glibc
    only. The page faults are counted either way."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    kept = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1
    return mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1 and kept


def _minor_faults() -> int:
    """This process's minor page faults so far (0 where ``resource`` is missing: Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _ms(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank), in ms."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return 1e3 * statistics.median(ordered), 1e3 * p95


def _timm_mixup(mode: str) -> Any:
    from timm.data import Mixup

    # CutMix only: no Mixup, always applied, boxes from the paper's rule, no smoothing.
    return Mixup(
        mixup_alpha=0.0,
        cutmix_alpha=1.0,
        prob=1.0,
        switch_prob=0.0,
        mode=mode,
        correct_lam=True,
        label_smoothing=0.0,
        num_classes=10,
    )


def _batch_ops(n: int, side: int, dtype: Any) -> dict[str, Callable[[], object]]:
    """The ops section 1 compares, on one batch of ``n`` x 3 x ``side`` x ``side``."""
    import torch
    from torchvision.transforms import v2

    from cutmix_core import cutmix_batch

    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=gen).to(dtype)
    y = torch.randint(0, 10, (n,), generator=gen)
    in_place = x.clone()  # timm's own batch, which it mixes in place call after call
    tv = v2.CutMix(alpha=1.0, num_classes=10)
    timm_batch, timm_elem = _timm_mixup("batch"), _timm_mixup("elem")
    return {
        OURS: lambda: cutmix_batch(x, y, 10, generator=gen, prob=1.0),
        TV: lambda: tv(x, y),
        "timm Mixup, CutMix only, batch mode (in place)": lambda: timm_batch(in_place, y),
        OURS_ELEM: lambda: cutmix_batch(x, y, 10, generator=gen, prob=1.0, mode="elem"),
        "timm Mixup, CutMix only, elem mode (in place)": lambda: timm_elem(in_place, y),
        CLONE: lambda: x.clone(),
    }


def batch_cells(repeat: int) -> dict[str, dict[str, list[float]]]:
    """Section 1 measured in this process: for each batch, each op's median and p95 (ms) and
    its page faults a call."""
    import torch

    cells = {}
    for n, side in SHAPES:
        for dtype in (torch.uint8, torch.float32):
            turns = in_turns(_batch_ops(n, side, dtype), repeat)
            label = f"{n}x3x{side}x{side} {str(dtype).removeprefix('torch.')}"
            cells[label] = {
                name: [*_ms(samples), turns.faults[name]] for name, samples in turns.times.items()
            }
    return cells


def _cells_in_fresh_process(repeat: int, allocator: str) -> dict[str, dict[str, list[float]]]:
    # batch_cells in a new interpreter: the same code on the same data gives other figures from
    # one process to the next (where the memory and code land), so each process is one sample.
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cells.json"
        command = [sys.executable, __file__, "--batch-cells", str(out), "--repeat", str(repeat)]
        subprocess.run([*command, "--allocator", allocator], check=True, cwd=ROOT)
        return json.loads(out.read_text())


def batch_rows(repeat: int, processes: int, allocator: str) -> list[Row]:
    """Section 1: the batch op against torchvision, timm and the copy floor, each batch measured
    in ``processes`` fresh processes one after another. A time is the median of the processes'
    medians; a ratio is the median of the ratios each process measured."""
    runs = [_cells_in_fresh_process(repeat, allocator) for _ in range(processes)]
    rows = []
    for label, ops in runs[0].items():
        mid = {}
        for name in ops:
            per = [run[label][name] for run in runs]
            mid[name], p95, faults = (statistics.median(p[i] for p in per) for i in range(3))
            note = f"p95 {p95:.3f} ms; {faults:.0f} page faults a call"
            note += f"; each the median of {processes} processes' figures"
            case = f"{label}: {name}"
            rows.append(row(BATCH, case, mid[name], "ms", n=repeat * processes, note=note))
        ratios = (
            ("cutmix_batch / torchvision", OURS, TV, BATCH_TARGET),
            ("elem mode / batch mode", OURS_ELEM, OURS, ELEM_TARGET),
            ("cutmix_batch / clone()", OURS, CLONE, None),
        )
        for what, top, bottom, target in ratios:
            ratio = statistics.median(run[label][top][0] / run[label][bottom][0] for run in runs)
            note = f"median of {processes} processes' ratios of medians"
            note += "" if target else ": the share of the copy floor"
            case = f"{label}: {what}"
            rows.append(row(BATCH, case, ratio, "x", n=processes, target=target, note=note))
    return rows


def pair_rows(repeat: int) -> list[Row]:
    """The numpy pair op (the playground's) on a 512x512 photo."""
    import numpy as np

    from cutmix_core import cutmix

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    times = in_turns({"pair": lambda: cutmix(a, b, 1.0, rng=rng)}, repeat).times["pair"]
    mid, p95 = _ms(times)
    note = f"p95 {p95:.3f} ms"
    return [
        row(BATCH, "numpy cutmix on a 512x512x3 uint8 pair", mid, "ms", n=len(times), note=note)
    ]


def _value(row: dict[str, Any]) -> str:
    v, unit = row["value"], row["unit"]
    if v != v:  # NaN
        return "–"
    digits = 2 if unit in ("x", "s") else (0 if unit in ("img/s", "reruns/s") or v >= 100 else 3)
    return f"{v:,.{digits}f} {unit}"


def _verdict(row: dict[str, Any]) -> str:
    if row["target"] is None:
        return ""
    return f"<= {row['target']:g} {row['unit']}: " + ("met" if row["met"] else "MISSED")


def print_rows(rows: list[dict[str, Any]]) -> None:
    """The table: each figure beside its target, grouped by section."""
    cells = [("section", "case", "stat", "value", "target")]
    cells += [(r["section"], r["case"], r["stat"], _value(r), _verdict(r)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    for k, c in enumerate(cells):
        left = "  ".join(c[i].ljust(widths[i]) for i in range(3))
        print(f"{left}  {c[3].rjust(widths[3])}  {c[4]}".rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


def markdown(report: dict[str, Any]) -> str:
    """README's speed tables from a report: per section, each figure (median, or as measured)
    with its p95 where there is one, beside its target."""
    rows = report["rows"]
    p95 = {(r["section"], r["case"]): r for r in rows if r["stat"] == "p95"}
    out: list[str] = []
    for section in dict.fromkeys(r["section"] for r in rows):
        if section == BATCH:
            out += _batch_table([r for r in rows if r["section"] == BATCH]) + [""]
            if "allocator" in report:
                out += [f"Allocator: {report['allocator']}.", ""]
            continue
        out += [f"**{section}**", "", "| case | value | p95 | target |", "|---|---:|---:|---|"]
        for r in rows:
            if r["section"] != section or r["stat"] == "p95":
                continue
            tail = p95.get((section, r["case"]))
            if tail is not None:
                spread = _value(tail)
            else:  # section 1 keeps its p95 in the note
                spread = r["note"].removeprefix("p95 ") if r["note"].startswith("p95 ") else ""
            shown = _value(r) + ("" if r["stat"] in ("median", "once") else f" ({r['stat']})")
            out.append(f"| {r['case']} | {shown} | {spread} | {_verdict(r)} |")
        out.append("")
    return "\n".join(out)


def _batch_table(rows: list[dict[str, Any]]) -> list[str]:
    # Section 1 as one line per batch: each op's median ms, then the ratios with their verdict.
    by_batch: dict[str, dict[str, dict[str, Any]]] = {}
    others = []
    for r in rows:
        batch, sep, what = r["case"].partition(": ")
        if sep:
            by_batch.setdefault(batch, {})[what] = r
        else:
            others.append(r)
    columns = list(dict.fromkeys(what for cells in by_batch.values() for what in cells))
    lines = [f"**{BATCH}** (median ms per call; ratios of medians)", ""]
    heads = [SHORT.get(c, c) for c in columns]
    lines += ["| batch | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(columns)]
    for batch, cells in by_batch.items():
        shown = []
        for what in columns:
            cell = cells.get(what)
            if cell is None:
                shown.append("")
            elif cell["unit"] == "x":
                met = cell["met"]
                verdict = "" if cell["target"] is None else (" ✓" if met else " ✗ MISSED")
                shown.append(f"{cell['value']:.2f}{verdict}")
            else:
                shown.append(f"{cell['value']:.3f}")
        lines.append(f"| {batch} | " + " | ".join(shown) + " |")
    lines += ["", *(f"{r['case']}: {_value(r)}" for r in others)]
    timed = [
        c for c in columns if any(_faults(cells.get(c)) is not None for cells in by_batch.values())
    ]
    if timed:  # the page faults that the notes report, the same way
        lines += ["", "Minor page faults a call (fresh memory the op touched first):", ""]
        lines += ["| batch | " + " | ".join(SHORT.get(c, c) for c in timed) + " |"]
        lines += ["|---|" + "---:|" * len(timed)]
        for batch, cells in by_batch.items():
            counts = [_faults(cells.get(c)) for c in timed]
            shown = ["" if n is None else f"{n:,}" for n in counts]
            lines.append(f"| {batch} | " + " | ".join(shown) + " |")
    return lines


def _faults(cell: dict[str, Any] | None) -> int | None:
    # The page faults a call in a section 1 row's note, where it has them.
    found = re.search(r"(\d+) page faults a call", cell["note"]) if cell else None
    return int(found.group(1)) if found else None


def _torch_info() -> dict[str, Any]:
    import torch

    return {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help="e.g. 1,2,5")
    parser.add_argument("--quick", action="store_true", help="few repeats: check that it runs")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON report (default: %(default)s)")
    parser.add_argument(
        "--allocator",
        choices=("keep", "default"),
        default="keep",
        help="keep: glibc keeps freed memory for reuse (see keep_freed_memory); default: as is",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="REPORT",
        help="measure nothing: print README's tables from a JSON report (assets/benchmark.json)",
    )
    parser.add_argument("--batch-cells", type=Path, help=argparse.SUPPRESS)  # one process's cells
    parser.add_argument("--repeat", type=int, default=40, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batch_cells is not None:
        if args.allocator == "keep":
            keep_freed_memory()
        args.batch_cells.write_text(json.dumps(batch_cells(args.repeat)))
        return 0
    if args.markdown is not None:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {','.join(SECTIONS)}")
    quick = args.quick
    started = time.monotonic()
    load_before = _harness.load_now()
    print(f"machine: {_harness.describe_load(load_before)}", flush=True)
    kept = args.allocator == "keep" and keep_freed_memory()
    report: dict[str, Any] = {
        "command": " ".join(["python", "scripts/benchmark.py", *(argv or sys.argv[1:])]),
        "allocator": "freed memory kept (glibc mallopt)" if kept else "as is",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**_harness.machine(), **_torch_info()},
        "load_at_start": load_before,
        "quick": quick,
    }
    rows: list[dict[str, Any]] = []

    def run(section: str, make: Callable[[], list[Any]]) -> None:
        if section not in wanted:
            return
        print(f"section {section} ...", flush=True)
        try:
            new: list[Any] = [dict(r) for r in make()]
        except Exception as err:  # a broken section is reported as a miss; the others still run
            traceback.print_exc()
            case = f"section {section} failed: {type(err).__name__}: {err}"[:300]
            new = [row(section, case, math.nan, "-", "once", n=0, target=math.nan)]
            new[0]["met"] = False
        rows.extend(new)
        print_rows(new)

    processes = 1 if quick else BATCH_PROCESSES
    batch = lambda: batch_rows(5 if quick else 40, processes, args.allocator)  # noqa: E731
    run("1", lambda: batch() + pair_rows(5 if quick else 40))
    if {"2", "3", "4", "7"} & set(wanted):
        import bench_app

        run("2", lambda: bench_app.server_rows(5 if quick else 50))
        run("3", lambda: bench_app.browser_rows(3 if quick else 20))
        run("4", lambda: bench_app.cold_start_rows(1 if quick else 3))
        if "4" in wanted:
            report["import_profile_ms"] = dict(bench_app.import_profile())
        run("7", lambda: bench_app.scale_rows(8.0 if quick else 20.0))
    if {"5", "6"} & set(wanted):
        import bench_lib

        report["environment"] = bench_lib.environment()
        run("5", lambda: bench_lib.gradcam_rows(5 if quick else 30))
        run("6", lambda: bench_lib.training_rows(3.0 if quick else 20.0))
    report["rows"] = rows
    report["load_at_end"] = _harness.load_now()
    report["seconds"] = round(time.monotonic() - started, 1)
    print("\nall sections:")
    print_rows(rows)
    if "import_profile_ms" in report:
        print("\nimport time of a fresh interpreter, by package (ms):")
        for name, ms in report["import_profile_ms"].items():
            print(f"  {ms:8.1f}  {name}")
    missed = [r["case"] for r in rows if r["met"] is False]
    print(f"\n{len(missed)} of {sum(r['met'] is not None for r in rows)} targets missed")
    for case in missed:
        print(f"  missed: {case}")
    print(f"machine at the end: {_harness.describe_load(report['load_at_end'])}")
    _harness.write_report(args.out, report)
    print(f"wrote {args.out} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
