"""``python -m cutmix_core.evaluation``: evaluate the shipped models (cutmix_core.evaluation)."""

from cutmix_core.evaluation.report import main

raise SystemExit(main())
