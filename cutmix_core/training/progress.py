"""A progress bar for training: tqdm when it is installed (it is not a dependency), else a
plain line on stderr every few steps, so a log of a long background run still shows progress."""

from __future__ import annotations

import sys


class Progress:
    """tqdm when installed (it is not a dependency), else a plain line every ``every`` steps."""

    def __init__(self, total: int, desc: str, enabled: bool, every: int = 50) -> None:
        self.total, self.desc, self.every, self.step = total, desc, every, 0
        self.bar = None
        self.enabled = enabled
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True)

    def update(self, stats: dict[str, str] | None) -> None:
        """Advance one step; ``stats`` (only passed every few steps) is shown."""
        self.step += 1
        if self.bar is not None:
            self.bar.update(1)
            if stats:
                self.bar.set_postfix(stats, refresh=False)
        elif self.enabled and stats and (self.step % self.every == 0 or self.step == self.total):
            text = " ".join(f"{k}={v}" for k, v in stats.items())
            print(f"{self.desc} step {self.step}/{self.total} {text}", file=sys.stderr, flush=True)

    def close(self, summary: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(summary, refresh=False)
            self.bar.close()
        elif self.enabled:
            print(f"{self.desc} {summary}", file=sys.stderr, flush=True)
