"""Training the CIFAR-10 models: ``python -m cutmix_core.training`` (see ``loop``)."""
