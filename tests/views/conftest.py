"""The evaluation figures are tested on the evaluation tests' report (tests/evaluation)."""

from evaluation.conftest import loaded, models_dir, report, test_set  # noqa: F401
