"""Models: the CIFAR-10 architectures (``airnet``, the ResNets), checkpoints with model cards
and torchvision's ImageNet weights (``checkpoints``), and Grad-CAM (``gradcam``)."""
