"""cutmix_core.models.meta.on_cpu: what ``to_empty(device="cpu")`` gives, without torch's
Python reference implementations of meta tensors."""

from __future__ import annotations

import subprocess
import sys

import torch
from torch import nn

from cutmix_core.models.meta import on_cpu


def _built() -> nn.Module:
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2, bias=False))
    model[1].weight.requires_grad_(False)  # a frozen parameter, as AirNet's BatchNorm scale
    return model


def test_on_cpu_allocates_what_to_empty_allocates() -> None:
    ours, theirs = on_cpu(_built()), _built().to_empty(device="cpu")
    mine = dict(ours.named_parameters()) | dict(ours.named_buffers())
    ref = dict(theirs.named_parameters()) | dict(theirs.named_buffers())
    assert mine.keys() == ref.keys()
    for name, t in mine.items():
        r = ref[name]
        assert t.device.type == "cpu" and (t.shape, t.dtype, t.stride()) == (
            r.shape,
            r.dtype,
            r.stride(),
        )
        assert type(t) is type(r) and t.requires_grad == r.requires_grad, name
    assert isinstance(ours[0].weight, nn.Parameter)


def test_building_a_shipped_network_does_not_load_symbolic_shapes() -> None:
    # A fresh interpreter: to_empty on meta tensors made torch import sympy and mpmath for its
    # symbolic shapes, most of half a second of a cold start; building AirNet and ResNet-20
    # must not (import torch alone does not load them).
    code = (
        "import sys, torch\n"
        "before = {'sympy', 'mpmath'} & set(sys.modules)\n"
        "from cutmix_core.models.checkpoints import build_model\n"
        "build_model('airnet'); build_model('resnet20')\n"
        "print(sorted(before), sorted({'sympy', 'mpmath'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]"]
