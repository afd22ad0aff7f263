"""Evaluating the shipped models: ``python -m cutmix_core.evaluation`` (see ``report``)."""
