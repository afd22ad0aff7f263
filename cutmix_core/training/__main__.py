"""``python -m cutmix_core.training``: train a CIFAR-10 model (see cutmix_core.training.loop)."""

from cutmix_core.training.cli import main

raise SystemExit(main())
