"""The command line of the evaluation: ``python -m cutmix_core.evaluation``; it writes
``assets/evaluation.json`` and, with ``--markdown``, prints README's table."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

from cutmix_core import defaults
from cutmix_core.data import training as data
from cutmix_core.evaluation.occlusion import HOLES
from cutmix_core.evaluation.pairs import PAIRS
from cutmix_core.evaluation.report import markdown_table, save_report
from cutmix_core.evaluation.run import evaluate, load_models
from cutmix_core.paths import CACHE_DIR, MODELS_DIR, REPORT_PATH
from cutmix_core.training.devices import resolve_device

PROG = "python -m cutmix_core.evaluation"


def _holes(text: str) -> tuple[int, ...]:
    try:
        holes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"holes must be comma-separated ints, got {text!r}"
        ) from None
    if not holes or any(not 0 <= h <= 32 for h in holes):
        raise argparse.ArgumentTypeError(f"holes must be sides in [0, 32] px, got {text!r}")
    return holes


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Evaluate the CIFAR-10 checkpoints in a folder on the test set.",
        epilog=f"example: OMP_NUM_THREADS=2 {PROG} --data /data/cifar10 --markdown",
    )
    p.add_argument(
        "--models",
        default=str(MODELS_DIR),
        help="folder of *.pt checkpoints with .json cards (default: assets/models)",
    )
    p.add_argument(
        "--data",
        default=None,
        help=f"CIFAR-10 copy holding the test split (default: ${defaults.CIFAR_ENV})",
    )
    p.add_argument(
        "--cache",
        default=CACHE_DIR,
        help="folder for the decoded uint8 cache, '' disables (default: %(default)s)",
    )
    p.add_argument("--pairs", type=int, default=PAIRS, help="CutMix pairs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED, help="seed (default: %(default)s)")
    p.add_argument(
        "--holes",
        type=_holes,
        default=HOLES,
        help="hole sides in px (default: " + ",".join(map(str, HOLES)) + ")",
    )
    p.add_argument(
        "--out", default=str(REPORT_PATH), help="report JSON (default: assets/evaluation.json)"
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="use N test images, balanced over classes (for tests)",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--markdown", action="store_true", help="print the summary table at the end")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, evaluate, write the report. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    source = args.data or os.environ.get(defaults.CIFAR_ENV, "").strip()
    if not source:
        parser.error(
            f"no CIFAR-10 copy: pass --data PATH or set ${defaults.CIFAR_ENV} (the "
            f"evaluation needs the real test set, not the bundled sample)"
        )
    if args.pairs < 1 or (args.limit is not None and args.limit < 2):
        parser.error(f"--pairs must be >= 1 and --limit >= 2, got {args.pairs} and {args.limit}")
    try:
        test = data.load_cached(source, "test", args.cache or None)
        test = data.balanced_subset(test, args.limit)
        loaded = load_models(args.models, device=resolve_device(args.device))
        report = evaluate(
            loaded,
            test,
            seed=args.seed,
            n_pairs=args.pairs,
            holes=args.holes,
            command=shlex.join([*PROG.split(), *argv]),
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except ValueError as err:  # CifarError, CheckpointError, no checkpoints: the user's to fix
        parser.error(str(err))
    path = save_report(report, args.out)
    print(f"wrote {path} ({len(report.models)} models, {report.test_images} test images)")
    if args.markdown:
        print(markdown_table(report))
    return 0
