"""Models for the pages: the shipped CIFAR-10 checkpoints and torchvision's ImageNet models,
cached once per server, their load failures, the cached explanation of a mix, and the compact
"what the trained models say" row of the playground, and the compare page's tables of every
model on every method's image.

One model object serves every session (``st.cache_resource``): it is in eval mode with frozen
parameters, and cutmix_core's predict and Grad-CAM never write to it (no hooks, no ``.grad``),
so no lock is needed (CONVENTIONS.md point 10).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

import numpy as np
import streamlit as st

from app_ui.model_cache import at_once
from app_ui.pickers import Picked
from app_ui.render import digest
from app_ui.state import init_state
from cutmix_core import MixResult, paths
from cutmix_core.models.checkpoints import (
    CheckpointError,
    LoadedModel,
    load_checkpoint,
    load_imagenet_model,
)
from cutmix_core.views.batch_view import Comparison
from cutmix_core.views.describe import card_caption, model_says_line, models_say_title
from cutmix_core.views.methods_view import (
    METHOD_AUGS,
    MethodPredictions,
    method_rows,
    predict_methods,
)
from cutmix_core.views.model_view import (
    MixPrediction,
    ShippedModel,
    class_for,
    find_models,
    mix_prediction,
    predict_images,
)

#: The torchvision ImageNet models the model page offers for photos (downloaded on first use),
#: by torchvision name; the first is the default. ResNet-18 is the light one for a classroom
#: laptop: 45 MB of weights and 1.8 GFLOPs an image against ResNet-50's 98 MB and 4.1 GFLOPs.
IMAGENET_MODELS = {"resnet50": "ResNet-50", "resnet18": "ResNet-18"}
#: How long a failed ImageNet load is not retried: an offline classroom should not wait for a
#: failed download on every slider move, and should see it work once the network is back.
RETRY_AFTER_S = 120.0


def shipped_models() -> tuple[ShippedModel, ...]:
    """The checkpoints in assets/models/, or in the folder $CUTMIX_MODELS names; read again
    when the folder changes (models copied in while the app runs appear on the next rerun)."""
    folder = paths.models_dir()
    try:
        stamp = folder.stat().st_mtime
    except OSError:
        stamp = 0.0
    return _shipped(folder=str(folder), stamp=stamp)


def model_labels() -> dict[str, str]:
    """Every model a page can choose, key to label: the shipped ones, then the ImageNet ones
    (keys ``imagenet:<torchvision name>``)."""
    imagenet = {
        f"imagenet:{name}": f"{label} · ImageNet (torchvision)"
        for name, label in IMAGENET_MODELS.items()
    }
    return {m.key: m.label for m in shipped_models()} | imagenet


def default_model(aug: str, fallback: int) -> str:
    """The key of the shipped model trained with ``aug``; else the shipped model at position
    ``fallback``; else the first ImageNet model."""
    shipped = shipped_models()
    keys = (
        [m.key for m in shipped if m.aug == aug]
        or [m.key for m in shipped][fallback:]
        or [f"imagenet:{next(iter(IMAGENET_MODELS))}"]
    )
    return keys[0]


@st.cache_resource(show_spinner=False, max_entries=4)
def _shipped(*, folder: str, stamp: float) -> tuple[ShippedModel, ...]:
    return find_models(folder)


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _checkpoint(*, path: str, mtime: float) -> LoadedModel:
    return load_checkpoint(path)


@st.cache_resource(
    show_spinner="Loading torchvision's ImageNet weights (downloaded on first use, 45 to 100 MB)…",
    max_entries=2,
)
def _imagenet(*, name: str) -> LoadedModel:
    return load_imagenet_model(name)  # a CheckpointError is not cached: see _imagenet_failures


@st.cache_resource
def _imagenet_failures() -> dict[str, tuple[float, str]]:
    """Recent load failures by model name: (time.monotonic(), message), shared by sessions."""
    return {}


def forget_imagenet() -> None:
    """Drop the cached ImageNet models and failures (for tests, and after fixing the cache)."""
    _imagenet.clear()
    _imagenet_failures().clear()


def load_model(key: str) -> LoadedModel | str:
    """A shipped model by its key, or ``"imagenet:<name>"``; an error message if it cannot load."""
    if key.startswith("imagenet:"):
        name = key.removeprefix("imagenet:")
        failures = _imagenet_failures()
        if name in failures and time.monotonic() - failures[name][0] < RETRY_AFTER_S:
            return failures[name][1]
        try:
            return _imagenet(name=name)
        except CheckpointError as err:
            failures[name] = (time.monotonic(), str(err))
            return str(err)
    found = {m.key: m for m in shipped_models()}
    if key not in found:
        return f"no model {key!r} in assets/models (train with scripts/train_shipped.sh)"
    path = found[key].path
    try:
        return _checkpoint(path=str(path), mtime=path.stat().st_mtime)
    except (CheckpointError, OSError) as err:
        return str(err)


def show_card(loaded: LoadedModel) -> None:
    """The model card in one caption (accuracy, epochs, size, training machine), if it has one."""
    caption = card_caption(loaded.card)
    if caption is not None:
        st.caption(caption)


@st.cache_data(max_entries=256, show_spinner=False)
def _probs_alone(
    *, key: str, weights: str | None, image: str, _loaded: LoadedModel, _image: np.ndarray
) -> np.ndarray:
    # One image's probabilities (predicted alone, so the same in any company), kept per model
    # and image content: a new mix of the same A and B runs the models on the mix only.
    return predict_images(_loaded, [_image])[0]


@st.cache_data(max_entries=128, show_spinner=False)
def _predict_row(
    *,
    keys: tuple[str, ...],
    weights: tuple[str | None, ...],
    images: tuple[str, str, str],
    classes: tuple[tuple[int | None, int | None], ...],
    _loaded: tuple[LoadedModel, ...],
    _a: np.ndarray,
    _b: np.ndarray,
    _mixed: np.ndarray,
) -> list[MixPrediction]:
    kept = [
        (
            _probs_alone(key=key, weights=sha, image=images[0], _loaded=lm, _image=_a),
            _probs_alone(key=key, weights=sha, image=images[1], _loaded=lm, _image=_b),
        )
        for key, sha, lm in zip(keys, weights, _loaded)
    ]
    on_mix = at_once([partial(predict_images, lm, [_mixed]) for lm in _loaded])
    return [
        mix_prediction(lm, (pa, pb, pm[0]), class_a=ca, class_b=cb)
        for lm, (pa, pb), pm, (ca, cb) in zip(_loaded, kept, on_mix, classes)
    ]


def _predicted(
    models: Sequence[tuple[str, LoadedModel, int | None, int | None]],
    img_a: np.ndarray,
    img_b: np.ndarray,
    mixed: np.ndarray,
) -> list[MixPrediction]:
    """``predict_mix`` of each (key, model, class A, class B) on one mix, the models at once
    (:func:`app_ui.model_cache.at_once`), cached by the images' content (their digests, cheap
    for images of at most 512 px a side), the models and their weights' sha256: a class
    opening one shared link, or a student going back to a seed, runs the models once."""
    return _predict_row(
        keys=tuple(key for key, _, _, _ in models),
        weights=tuple(loaded.card.get("sha256") for _, loaded, _, _ in models),
        images=(digest(img_a), digest(img_b), digest(mixed)),
        classes=tuple((ca, cb) for _, _, ca, cb in models),
        _loaded=tuple(loaded for _, loaded, _, _ in models),
        _a=img_a,
        _b=img_b,
        _mixed=mixed,
    )


def model_says(a: Picked, b: Picked, img_a: np.ndarray, img_b: np.ndarray, res: MixResult) -> None:
    """A compact "what the trained models say" row for a CutMix result: the shipped baseline
    and CutMix models' p(A) and p(B) on the mixed image against the soft label. Nothing is
    shown when no models are shipped."""
    shipped = shipped_models()
    picks = [m for m in shipped if m.aug in ("none", "cutmix")][:2] or list(shipped[:2])
    if not picks:
        return
    with st.container(border=True):
        st.markdown(models_say_title(res.lam_adjusted))
        columns = st.columns(len(picks))
        loaded = {m.key: load_model(m.key) for m in picks}
        ready = [
            (
                key,
                lm,
                class_for(a.label, a.name, lm.classes),
                class_for(b.label, b.name, lm.classes),
            )
            for key, lm in loaded.items()
            if not isinstance(lm, str)
        ]
        predictions = _predicted(ready, img_a, img_b, res.image)
        said = {key: pm for (key, *_), pm in zip(ready, predictions)}
        for column, model in zip(columns, picks):
            lm = loaded[model.key]
            if isinstance(lm, str):
                column.warning(lm)
                continue
            pm = said[model.key]
            column.markdown(
                model_says_line(
                    model.label,
                    lm.classes[pm.class_a],
                    lm.classes[pm.class_b],
                    pm.p_a,
                    pm.p_b,
                    pm.top1,
                )
            )
        st.page_link(
            "app_pages/models.py", label="Predictions and Grad-CAM on the Models page", icon="🔬"
        )


@st.cache_data(max_entries=64, show_spinner=False)
def _methods(
    *,
    key: str,
    weights: str | None,
    class_a: int | None,
    class_b: int | None,
    a: np.ndarray,
    b: np.ndarray,
    images: tuple[tuple[str, np.ndarray], ...],
    _loaded: LoadedModel,
) -> MethodPredictions:
    # Keyed on the images themselves (hashed by Streamlit; at most 512 px a side): the same
    # pair, lambda, box and fill cost nothing the second time, in any session.
    return predict_methods(_loaded, a, b, images, class_a=class_a, class_b=class_b)


def methods_say(
    a: Picked, b: Picked, img_a: np.ndarray, img_b: np.ndarray, cmp: Comparison
) -> None:
    """The compare page's "what the trained models say": for each method's image, the label it
    trains on and each chosen shipped model's p(A), p(B) and top classes on that image. Says
    so when no models are shipped."""
    shipped = {m.key: m for m in shipped_models()}
    if not shipped:
        st.info("No trained models in assets/models (train them with scripts/train_shipped.sh).")
        return
    init_state({"cmp_models": list(shipped)})
    st.session_state["cmp_models"] = [k for k in st.session_state["cmp_models"] if k in shipped]
    chosen = st.multiselect(
        "Models", list(shipped), format_func=lambda k: shipped[k].label, key="cmp_models"
    )
    images = tuple((view.name, view.result.image) for view in cmp.methods)
    said: list[tuple[str, str, MethodPredictions]] = []
    for key in chosen:
        loaded = load_model(key)
        if isinstance(loaded, str):
            st.warning(loaded)
            continue
        ca = class_for(a.label, a.name, loaded.classes)
        cb = class_for(b.label, b.name, loaded.classes)
        weights = loaded.card.get("sha256")
        preds = _methods(
            key=key,
            weights=weights,
            class_a=ca,
            class_b=cb,
            a=img_a,
            b=img_b,
            images=images,
            _loaded=loaded,
        )
        said.append((shipped[key].label, shipped[key].aug, preds))
    if not said:
        return
    for view in cmp.methods:
        rows = method_rows(
            view.name,
            view.weight_a,
            [(label, aug == METHOD_AUGS[view.name], p) for label, aug, p in said],
        )
        st.markdown(f"**{view.name}** image")
        st.table(rows)
