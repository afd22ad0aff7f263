"""Every shipped model on the compare page's three images: Mixup, Cutout and CutMix of one pair.

Each method trains a network towards its own label (Mixup: the blend weight, Cutout: A alone,
CutMix: the pixel share), and each shipped model was trained with one of them or none.
:func:`predict_methods` runs one model on A, B and every method's image in one pass;
:func:`method_rows` puts its numbers under the label that method trains on, marking the model
trained with that method, so a student sees which model was trained for which kind of image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cutmix_core.checks import check_int
from cutmix_core.data.images import check_image
from cutmix_core.models.inference import LoadedModel
from cutmix_core.views.model_view import to_input, top_k

#: The shipped models' training augmentation, by the method name the compare page shows.
METHOD_AUGS = {"Mixup": "mixup", "Cutout": "cutout", "CutMix": "cutmix"}


@dataclass(frozen=True, eq=False)
class MethodPredictions:
    """One model on A, B and the images of several methods (Mixup, Cutout, CutMix of A and B).

    ``probs`` is (len(methods), num_classes) float32, one row per method's image; class_a and
    class_b are the classes whose probabilities are compared with each method's label (the
    picks' labels, else the model's top-1 on A alone and on B alone).
    """

    classes: tuple[str, ...]
    methods: tuple[str, ...]
    class_a: int
    class_b: int
    probs: np.ndarray

    def p_a(self, method: str) -> float:
        """p(class A) on ``method``'s image."""
        return float(self.probs[self.methods.index(method), self.class_a])

    def p_b(self, method: str) -> float:
        """p(class B) on ``method``'s image."""
        return float(self.probs[self.methods.index(method), self.class_b])

    def top(self, method: str, k: int = 3) -> tuple[tuple[str, float], ...]:
        """The ``k`` most likely classes on ``method``'s image, most likely first."""
        return top_k(self.probs[self.methods.index(method)], self.classes, k)


def predict_methods(
    loaded: LoadedModel,
    a: np.ndarray,
    b: np.ndarray,
    images: Sequence[tuple[str, np.ndarray]],
    *,
    class_a: int | None = None,
    class_b: int | None = None,
) -> MethodPredictions:
    """``loaded``'s probabilities on each ``(method, image)``, with A and B alone, in one pass.

    Args:
        loaded: a classifier (it is not modified).
        a, b: the two source images, HWC uint8 of one shape.
        images: the methods' names and images (e.g. from
            :func:`cutmix_core.views.batch_view.compare_three`), each of A's shape.
        class_a, class_b: the classes to compare with each label; None: the top-1 on A (B).
    Raises:
        ValueError: for non-images, images of different shapes, or a class out of range.
    """
    check_image(a, "a")
    check_image(b, "b")
    for name, img in images:
        check_image(img, name)
        if img.shape != a.shape or b.shape != a.shape:
            raise ValueError(
                f"a, b and every method's image must have one shape, got {a.shape}, "
                f"{b.shape} and {img.shape} ({name})"
            )
    n = len(loaded.classes)
    for arg, c in (("class_a", class_a), ("class_b", class_b)):
        if c is not None:
            check_int(c, arg, 0, n - 1)
    probs = loaded.predict_input(to_input(loaded, (a, b, *(img for _, img in images))))
    return MethodPredictions(
        classes=tuple(loaded.classes),
        methods=tuple(name for name, _ in images),
        class_a=int(np.argmax(probs[0])) if class_a is None else int(class_a),
        class_b=int(np.argmax(probs[1])) if class_b is None else int(class_b),
        probs=probs[2:],
    )


#: The first column of the compare page's prediction tables.
TRAINING_LABEL_ROW = "the label it trains on"
#: Marks the model trained with the method whose image the table shows.
TRAINED_MARK = "★ "


def _label_top(pred: MethodPredictions, weight_a: float) -> str:
    name_a, name_b = pred.classes[pred.class_a], pred.classes[pred.class_b]
    if weight_a >= 1.0 or name_a == name_b:
        return f"{name_a} 1.00"
    return f"{name_a} {weight_a:.2f}, {name_b} {1.0 - weight_a:.2f}"


def _p_cell(p: float, classes: Sequence[str], c: int, column_class: int) -> str:
    return f"{p:.2f}" if c == column_class else f"{p:.2f} ({classes[c]})"


def method_rows(
    method: str,
    weight_a: float,
    models: Sequence[tuple[str, bool, MethodPredictions]],
    *,
    k: int = 3,
) -> list[dict[str, str]]:
    """The compare page's table under one method's image: the label the method trains on, then
    each model's p(A), p(B) and top classes on that image.

    Args:
        method: "Mixup", "Cutout" or "CutMix".
        weight_a: A's weight in the method's label (B's is the rest).
        models: (model label, trained with this method, its predictions) per model.
        k: how many top classes to list.
    Returns:
        Rows of column name -> text. The columns name A's and B's classes as the first model
        sees them; a model that compares other classes (an upload's top-1) names its own.
    """
    if not models:
        return []
    first = models[0][2]
    col_a = f"p(A: {first.classes[first.class_a]})"
    col_b = f"p(B: {first.classes[first.class_b]})"
    rows = [
        {
            "model": TRAINING_LABEL_ROW,
            col_a: f"{weight_a:.2f}",
            col_b: f"{1.0 - weight_a:.2f}",
            f"top {k}": _label_top(first, weight_a),
        }
    ]
    for label, trained, pred in models:
        rows.append(
            {
                "model": (TRAINED_MARK if trained else "") + label,
                col_a: _p_cell(pred.p_a(method), pred.classes, pred.class_a, first.class_a),
                col_b: _p_cell(pred.p_b(method), pred.classes, pred.class_b, first.class_b),
                f"top {k}": ", ".join(f"{n} {p:.2f}" for n, p in pred.top(method, k)),
            }
        )
    return rows
