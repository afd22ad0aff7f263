"""The mixing maths: the box rule and its draws, once and vectorised (``rule``), the pair ops on
numpy images (``pair``), the torch batch ops for training (``batch``, which writes boxes with
``paste``) and the alpha explorer's statistics (``explorer``).

Importing this package, ``rule``, ``pair`` or ``explorer`` needs numpy only; ``batch`` and
``paste`` bring torch.
"""
