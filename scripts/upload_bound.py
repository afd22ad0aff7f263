"""Upload bound: four 50-megapixel uploads at once; how much memory does the server take?

``python scripts/upload_bound.py [--scenario all|asked|png|png-arenas2] [--rounds 3]``

A class told "now upload a photo" uploads at once, and today's phones take 50-megapixel
photos. The app bounds what that costs: a file over 16 MB or 50 megapixels is refused before
decoding, a JPEG decodes straight at reduced size, other formats are reduced in their own mode,
and at most ``defaults.LARGE_DECODES`` large decodes run at once (``app_ui/sources.py``,
``cutmix_core/data/decode.py``). This measures the bound: it makes 8660 x 5773 images (just
under the 50-megapixel cap) with PIL in a temporary folder, serves the app, opens the
playground in four browser contexts, switches image A's source to "Upload" in each, and hands
all four file uploaders their file at the same moment.

The server's resident memory (VmRSS) is sampled every 50 ms: the baseline with the four
sessions open and idle, the peak while the files upload and decode, and the level once every
page shows its mix and the server is idle again. Later ``--rounds`` upload new files into the
same sessions: memory the allocator kept from the first round should serve them, so their peak
and level show whether the cost is bounded or adds up. ``--server-env`` runs the server with
extra environment (an allocator setting, say) in every scenario. Each page must
show no error and exactly the lambdas and box that ``cutmix_core`` computes for the decoded
upload against B. Scenarios, each on a fresh server: "asked", three JPEGs (about 13 MB each)
and one PNG; "png", four PNGs, the worst case, since a PNG cannot be decoded at reduced size;
"png-arenas2", the same with ``MALLOC_ARENA_MAX=2`` in the server's environment.
Writes a JSON report (default ``assets/upload_bound.json``) and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _harness
import numpy as np
from PIL import Image

from cutmix_core import cutmix, defaults
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.data.decode import decode_image
from cutmix_core.data.images import DEFAULT_SIZE_POLICY, fit_pair

#: Just under defaults.MAX_PIXELS (8660 x 5774 would be 50,002,840 pixels: refused).
HEIGHT, WIDTH = 5773, 8660
#: Scenario -> the four files' formats, and environment for its server: "png-arenas2" is "png"
#: with glibc's malloc limited to two arenas (Streamlit runs each rerun in a new thread, and
#: each thread may get its own arena, which keeps what a decode freed).
SCENARIOS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "asked": (("jpeg", "jpeg", "jpeg", "png"), {}),
    "png": (("png",) * 4, {}),
    "png-arenas2": (("png",) * 4, {"MALLOC_ARENA_MAX": "2"}),
}
STEP_TIMEOUT_MS = 180_000
# Once the page has finished a run showing the upload ``name`` as A (or an error): READ_PAGE's
# reading.
_SHOWN = """name => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const read = __READ__;
    const r = read();
    if (r.exceptions.length || r.errors.length) return r;
    if (r.stale || r.images !== 3 || !r.imagesLoaded || r.metrics.length !== 3) return false;
    return r.captions[0] === 'A: upload ' + name ? r : false;
}"""


@dataclass(frozen=True)
class Upload:
    """One file to upload and the metrics the playground must show for it as image A."""

    path: Path
    format: str
    metrics: tuple[tuple[str, str, None], ...]


def _picture() -> np.ndarray:
    """A (HEIGHT, WIDTH, 3) uint8 picture of gradients and waves."""
    x = np.linspace(0, 255, WIDTH, dtype=np.float32)[None, :]
    out = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    for y0 in range(0, HEIGHT, 512):  # in strips: no 600 MB float copy of the whole picture
        y = np.linspace(0, 255, HEIGHT, dtype=np.float32)[y0 : y0 + 512, None]
        for c in range(3):
            wave = (y * (c + 1) / 3 + x * (3 - c) / 3 + 40 * np.sin(x / 37 + y / 53 + c)) % 256
            out[y0 : y0 + 512, :, c] = wave.astype(np.uint8)
    return out


def _make_files(folder: Path) -> dict[str, Path]:
    """scan.png, smooth (a noisy PNG would pass 16 MB), and photo.jpg, the same with seeded
    noise, so that it is about the size of a phone photo (a smooth JPEG is about 1 MB)."""
    picture = _picture()
    png = folder / "scan.png"
    Image.fromarray(picture).save(png, "PNG")
    rng = np.random.default_rng(1)
    for y0 in range(0, HEIGHT, 512):
        strip = picture[y0 : y0 + 512]
        strip += rng.integers(0, 12, size=strip.shape, dtype=np.uint8)  # wraps: still noise
    jpeg = folder / "photo.jpg"
    Image.fromarray(picture).save(jpeg, "JPEG", quality=92)
    for path in (png, jpeg):
        if path.stat().st_size >= defaults.MAX_UPLOAD_BYTES:
            raise RuntimeError(f"{path.name} is {path.stat().st_size:,} bytes: over the limit")
    return {"png": png, "jpeg": jpeg}


def _expected(path: Path, name: str) -> tuple[tuple[str, str, None], ...]:
    """The playground's metrics with this file as A and B the default dog, at the defaults."""
    ds = load_sample()
    a = decode_image(path.read_bytes(), name, max_side=defaults.MAX_SIDE).image
    b = ds.image(int(ds.positions_of(CLASSES.index("dog"))[0]))
    a, b = fit_pair(a, b, DEFAULT_SIZE_POLICY, side=defaults.SQUARE_SIDE)
    res = cutmix(a, b, defaults.ALPHA, rng=np.random.default_rng(defaults.SEED))
    h, w = a.shape[:2]
    return (
        ("λ sampled", f"{res.lam:.4f}", None),
        ("λ adjusted (weight of A's label)", f"{res.lam_adjusted:.4f}", None),
        ("Pixels from B", f"{res.box.area} of {h * w}", None),
    )


async def _upload_rounds(
    core: Any, url: str, chromium: str, rounds: list[list[Upload]], sampler: Any
) -> tuple[list[dict[str, Any]], float]:
    """Four sessions on the playground with A's source on "Upload"; per round, all four get a
    new file at once. Each round's baseline, peak and after (MB), and the level 5 s after the
    sessions close."""
    from playwright.async_api import async_playwright

    results: list[dict[str, Any]] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium, args=_harness.server_helpers().CHROMIUM_ARGS
        )
        contexts = [
            await browser.new_context(base_url=url, viewport=core.VIEWPORT) for _ in rounds[0]
        ]
        pages = [await c.new_page() for c in contexts]
        loaded = _harness.server_helpers().IMAGES_LOADED
        shown_js = _SHOWN.replace("__READ__", core.READ_PAGE)

        async def ready(page: Any) -> None:
            await page.goto("/", timeout=STEP_TIMEOUT_MS)
            await page.wait_for_function(loaded, arg=3, timeout=STEP_TIMEOUT_MS, polling=100)
            upload = page.locator(".st-key-a_src button").filter(has_text="Upload")
            await upload.click(timeout=STEP_TIMEOUT_MS)
            await page.locator(".st-key-a_file input[type=file]").wait_for(
                state="attached", timeout=STEP_TIMEOUT_MS
            )

        async def shown(page: Any, name: str, start: float) -> tuple[float, dict[str, Any]]:
            handle = await page.wait_for_function(
                shown_js, arg=name, timeout=STEP_TIMEOUT_MS, polling=50
            )
            return time.monotonic() - start, await handle.json_value()

        try:
            await asyncio.gather(*(ready(page) for page in pages))
            baseline = await asyncio.to_thread(sampler.settled)
            for uploads in rounds:
                start = time.monotonic()
                await asyncio.gather(
                    *(
                        page.locator(".st-key-a_file input[type=file]").set_input_files(u.path)
                        for page, u in zip(pages, uploads)
                    )
                )
                done = await asyncio.gather(
                    *(shown(page, u.path.name, start) for page, u in zip(pages, uploads))
                )
                peak = sampler.peak(start, time.monotonic() + 1.0)
                after = await asyncio.to_thread(sampler.settled)
                results.append(
                    {
                        "files": [u.path.name for u in uploads],
                        "baseline": baseline,
                        "peak": peak,
                        "after": after,
                        "shown_after_s": [round(t, 2) for t, _ in done],
                        "problems": [
                            f"{u.path.name}: {line}"
                            for u, (_, reading) in zip(uploads, done)
                            for line in _problems(reading, u)
                        ],
                    }
                )
                baseline = after
        finally:
            for context in contexts:
                await context.close()
            await browser.close()
    return results, await asyncio.to_thread(sampler.settled, 5.0)


def _problems(reading: dict[str, Any], upload: Upload) -> list[str]:
    found = [f"{kind}: {text[:300]}" for kind in ("exceptions", "errors") for text in reading[kind]]
    metrics = tuple(tuple(m) for m in reading["metrics"])
    if metrics != upload.metrics:
        found.append(f"metrics {metrics} != expected {upload.metrics}")
    if reading["captions"][:1] != [f"A: upload {upload.path.name}"]:
        found.append(f"caption {reading['captions'][:1]} does not name the upload")
    return found


def _scenario(
    name: str, files: dict[str, Path], folder: Path, chromium: str, rounds: int
) -> dict[str, Any]:
    core = _harness.load_core()
    plan = []
    for r in range(1, rounds + 1):
        uploads = []
        for i, fmt in enumerate(SCENARIOS[name][0], 1):
            # One name per session and round: each is its own upload, decoded anew.
            path = folder / f"{name}{i}-{r}{files[fmt].suffix}"
            if not path.exists():
                path.hardlink_to(files[fmt])
            uploads.append(Upload(path, fmt, _expected(path, path.name)))
        plan.append(uploads)
    print(f"scenario {name}: {', '.join(u.path.name for u in plan[0])}, {rounds} round(s)")
    env = SCENARIOS[name][1]
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the server inherits this script's environment
    try:
        with _harness.served() as server, _harness.Sampler(server.pid, 0.05) as sampler:
            rss_idle = sampler.settled(2.0)
            results, closed = asyncio.run(_upload_rounds(core, server.url, chromium, plan, sampler))
            tracebacks = _harness.server_tracebacks(server.pid)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    first = results[0]
    return {
        "server_env": env,
        "files": [
            {
                "format": u.format.upper(),
                "bytes": u.path.stat().st_size,
                "pixels": f"{WIDTH} x {HEIGHT} ({WIDTH * HEIGHT:,})",
            }
            for u in plan[0]
        ],
        "server_rss_mb": {
            "server_idle_no_session": round(rss_idle, 1),
            "baseline_four_sessions_open": round(first["baseline"], 1),
            "peak_during_uploads": round(first["peak"], 1),
            "peak_above_baseline": round(first["peak"] - first["baseline"], 1),
            "after_all_shown": round(first["after"], 1),
            "after_above_baseline": round(first["after"] - first["baseline"], 1),
            "later_rounds_peak_after": [
                [round(r["peak"], 1), round(r["after"], 1)] for r in results[1:]
            ],
            "5_s_after_closing_sessions": round(closed, 1),
        },
        "shown_after_s": [r["shown_after_s"] for r in results],
        "problems": [line for r in results for line in r["problems"]],
        "server_tracebacks": tracebacks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("all", *SCENARIOS), default="all")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times the four sessions upload new files"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment for the server (e.g. allocator settings), repeatable",
    )
    parser.add_argument("--out", type=Path, default=_harness.ROOT / "assets" / "upload_bound.json")
    args = parser.parse_args()
    for pair in args.server_env:
        key, _, value = pair.partition("=")
        os.environ[key] = value  # the server inherits this script's environment
    chromium = _harness.chromium_or_exit()
    load_start = _harness.load_now()
    print(f"machine: {_harness.describe_load(load_start)}")
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    with tempfile.TemporaryDirectory(prefix="cutmix-uploads-") as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        files = _make_files(folder)
        print(f"made {', '.join(f'{p.name} ({p.stat().st_size:,} B)' for p in files.values())}")
        print(f"  in {time.monotonic() - started:.0f} s")
        scenarios = {name: _scenario(name, files, folder, chromium, args.rounds) for name in names}
    failed = any(s["problems"] or s["server_tracebacks"] for s in scenarios.values())
    load_end = _harness.load_now()
    report = {
        "what": "scripts/upload_bound.py: four ~50-megapixel uploads at once, server memory",
        "status": "fail" if failed else "pass",
        "command": f"python scripts/upload_bound.py --scenario {args.scenario} "
        f"--rounds {args.rounds}" + "".join(f" --server-env {e}" for e in args.server_env),
        "server_env": args.server_env,
        "machine": _harness.machine(chromium),
        "load_at_start": load_start,
        "load_at_end": load_end,
        "limits": {
            "max_upload_bytes": defaults.MAX_UPLOAD_BYTES,
            "max_pixels": defaults.MAX_PIXELS,
            "max_side": defaults.MAX_SIDE,
            "large_decode_pixels": defaults.LARGE_DECODE_PIXELS,
            "large_decodes_at_once": defaults.LARGE_DECODES,
        },
        "how": "VmRSS of the server sampled every 50 ms; baseline and after: median of the last "
        "second of 3 s idle; MB = 1,000,000 bytes; rounds after the first upload new files "
        "into the same four sessions; Streamlit keeps a closed session 120 s "
        "(server.disconnectedSessionTTL)",
        "scenarios": scenarios,
    }
    _harness.write_report(args.out, report)

    m = report["machine"]
    print()
    print(f"four uploads at once on {m['cpu']}, {m['cores']} cores")
    print(f"({_harness.describe_load(load_end)})")
    rows = []
    for name, s in scenarios.items():
        rss = s["server_rss_mb"]
        rows.append(
            [
                f"{name} ({'+'.join(f['format'] for f in s['files'])})",
                rss["baseline_four_sessions_open"],
                rss["peak_during_uploads"],
                rss["peak_above_baseline"],
                rss["after_all_shown"],
                " ".join(f"{p:.0f}/{a:.0f}" for p, a in rss["later_rounds_peak_after"]) or "-",
                max(s["shown_after_s"][0]),
            ]
        )
    _harness.print_table(
        ["scenario", "baseline MB", "peak MB", "peak-base", "after MB", "later peak/after", "s"],
        rows,
    )
    for s in scenarios.values():
        for line in s["problems"] + [tb.splitlines()[-1] for tb in s["server_tracebacks"]]:
            print("FAIL", line)
    print(f"status: {report['status']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
