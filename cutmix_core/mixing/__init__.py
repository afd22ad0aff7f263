"""The mixing maths: the box rule and sampling, the pair ops on numpy images (``pair``), the
torch batch ops for training (``batch``) and the alpha explorer's statistics (``explorer``).

Importing this package needs numpy only; ``cutmix_core.mixing.batch`` brings torch.
"""
