"""What one server process sets up for all its sessions: one torch thread, and the garbage
collector told to leave the imported libraries alone.

**One torch thread.** The networks here see 32 x 32 images (batches of three); a second
thread gains nothing on such small work, and on a machine whose cores are busy (a classroom
server, other sessions' reruns) the two OpenMP threads wait for each other, which made the
playground's two-model row several times slower (scripts/benchmark.py, README's *Speed*).
:func:`one_torch_thread` sets ``OMP_NUM_THREADS=1`` unless the environment chose a number,
before torch is imported (it reads the variable once, on import).

**Collector.** Streamlit runs a full garbage collection after every script run
(``runner.postScriptGC``). With torch, plotly and pandas imported that walks about 430,000
objects on every rerun, holding the interpreter lock, so no session's page is sent
meanwhile. :func:`freeze_imported` moves what the collector tracks after a run that imported
new modules into its permanent generation (``gc.freeze``): the libraries' objects are never
garbage, and everything made later is still collected as before. It does not collect first:
that full collection walked every object inside the run, so the first page of a fresh server
(the run that imports torch) finished that much later (the cold start of
``scripts/benchmark.py`` waits for the run's end), to free the few cycles the imports left.
Those stay, once per new set of modules.
"""

from __future__ import annotations

import gc
import os
import sys
import threading

_lock = threading.Lock()
_modules_frozen = 0


def one_torch_thread() -> None:
    """Default torch (and OpenMP) to one thread in this process, unless ``OMP_NUM_THREADS`` is
    set already; only takes effect when called before torch is imported, and changes nothing
    once it is (a test process that imported torch keeps its threads)."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_NUM_THREADS", "1")


def freeze_imported() -> bool:
    """When modules were imported since the last call that froze: freeze every object the
    collector tracks (``gc.freeze``), so later collections skip them. Returns whether it froze.

    Once per new set of modules (a page that imports torch for the first time), not per run:
    objects of a run that are alive at that moment stay out of later collections too, which
    costs nothing for those that live on (caches, models) and at most one run's worth of
    memory, once, for the others; so do the cycles of garbage not collected yet, which
    Streamlit's collection right after the run would have freed (few: imports leave few).
    """
    global _modules_frozen
    with _lock:
        loaded = len(sys.modules)
        if loaded <= _modules_frozen:
            return False
        gc.freeze()
        _modules_frozen = loaded
        return True
