"""Nothing one session does changes what another sees.

Every session of a server shares one process: the cached models and CIFAR-10 set
(``st.cache_resource``) and process-wide state such as warning filters, random generators,
numpy's error handling, torch's thread count and Pillow's pixel limit. AppTest runs the pages in
this process, so a page that changed any of them would show here. One session walks every page
with uploads (good and hostile), two models and a changed seed; afterwards the process state,
the shared objects' contents, and a second session's view of the same link are what they were.
"""

from __future__ import annotations

import hashlib
import io
import warnings

import corpus
import numpy as np
import pytest
import torch
from conftest import assert_ok, metrics, open_app
from PIL import Image

from app_ui.models import load_model
from app_ui.sources import _sample
from cutmix_core import paths
from cutmix_core.views.model_view import find_models

SHIPPED = {m.aug: m for m in find_models(paths.models_dir())}
needs_models = pytest.mark.skipif(
    not {"none", "cutmix"} <= set(SHIPPED), reason="needs the shipped baseline and CutMix models"
)
LINK = {"a_class": "horse", "b_class": "ship", "alpha": "0.7", "seed": "21"}


def _process_state() -> dict[str, object]:
    """What every session of the process shares besides the caches."""
    return {
        "warning filters": list(warnings.filters),
        "numpy global RNG": repr(np.random.get_state()),
        "numpy errors": np.geterr(),
        "torch RNG": hashlib.sha256(torch.get_rng_state().numpy().tobytes()).hexdigest(),
        "torch threads": torch.get_num_threads(),
        "torch dtype": torch.get_default_dtype(),
        "torch grad": torch.is_grad_enabled(),
        "PIL pixel limit": Image.MAX_IMAGE_PIXELS,
    }


def _digest(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def _png(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _upload(at, slot: str, name: str, data: bytes):
    """Put a file into ``slot``'s uploader, as a scripted client can."""
    at.segmented_control(key=f"{slot}_src").set_value("Upload").run()
    return at.file_uploader(key=f"{slot}_file").upload(name, data, "application/octet-stream").run()


@needs_models
def test_a_busy_session_changes_nothing_another_session_shares() -> None:
    # The shared objects, loaded as the pages load them (one per server).
    before_view = metrics(open_app("app_pages/playground.py", query=LINK))
    models = {aug: load_model(SHIPPED[aug].key) for aug in ("none", "cutmix")}
    assert all(not isinstance(m, str) for m in models.values())
    digests = {aug: _digest(m.model) for aug, m in models.items()}  # type: ignore[union-attr]
    ds = _sample()  # the set every session without a full copy shares
    images = hashlib.sha256(ds.images.tobytes()).hexdigest()
    state = _process_state()

    busy = open_app("app_pages/playground.py", query=LINK)
    assert_ok(busy)
    bad = next(e for e in corpus.build() if e.name == "huge-header.png")
    _upload(busy, "b", "mine.png", _png(1))
    _upload(busy, "b", bad.name, bad.data)
    _upload(busy, "a", "other.webp.exe", _png(2))
    assert_ok(busy)
    busy.number_input(key="seed").set_value(99).run()
    assert_ok(busy)
    for page in ("app_pages/compare.py", "app_pages/training_batch.py"):
        busy.switch_page(page).run()
        assert_ok(busy)
    busy.switch_page("app_pages/alpha_explorer.py").run()
    assert_ok(busy)
    left, right = SHIPPED["none"].key, SHIPPED["cutmix"].key
    assert_ok(open_app("app_pages/models.py", query={"left": left, "right": right, "seed": "4"}))

    assert _process_state() == state
    assert {aug: _digest(m.model) for aug, m in models.items()} == digests  # type: ignore[union-attr]
    assert all(not any(p.requires_grad for p in m.model.parameters()) for m in models.values())  # type: ignore[union-attr]
    assert _sample() is ds and hashlib.sha256(ds.images.tobytes()).hexdigest() == images
    assert not ds.images.flags.writeable  # no session can write into the shared set
    # A new session opening the same link sees exactly what one saw before all that.
    assert metrics(open_app("app_pages/playground.py", query=LINK)) == before_view
