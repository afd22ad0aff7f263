"""Writing a file so that a reader never sees half of it: the one place for write-then-rename.

Checkpoints, model cards, training state, the decoded CIFAR-10 cache, downloads and the
evaluation report are all read by other processes (the app, a resumed run) while they may be
being written. Each is written to a temporary file in the same folder, then renamed over the
target with ``os.replace``, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | Path, *, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends without an error, it
    replaces ``target`` (created with permissions ``mode``); on an error it is deleted.

    For writers that want a path (``torch.save``, ``np.savez``)::

        with atomic_path("last.pt") as tmp:
            torch.save(state, tmp)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)  # mkstemp makes it private; these files are meant to be shared
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(target: str | Path, payload: bytes) -> Path:
    """Write ``payload`` to ``target`` through :func:`atomic_path`; returns ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(payload)
    return Path(target)
