"""``python -m cutmix_core.evaluation``: evaluate the shipped models."""

from cutmix_core.evaluation.cli import main

raise SystemExit(main())
