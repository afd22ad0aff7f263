"""Data: decoding user images (``images``), reading CIFAR-10 copies (``cifar``), downloads that
cannot hang (``download``) and the decoded training cache with batch augmentation
(``training``)."""
