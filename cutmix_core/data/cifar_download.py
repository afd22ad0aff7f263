"""Downloading CIFAR-10 with a timeout, checked by md5, and reusing an intact copy.

torchvision's own ``CIFAR10(download=True)`` opens the URL with no timeout, so a stalled transfer
(a classroom firewall) would hang the page. :func:`download_cifar10` fetches torchvision's archive
with :func:`cutmix_core.data.download.fetch` instead, checks every extracted file against
torchvision's md5s, and reads the result with
:func:`cutmix_core.data.cifar_layouts.load_torchvision_folder`.
"""

from __future__ import annotations

from pathlib import Path

from cutmix_core.data.cifar_layouts import load_torchvision_folder
from cutmix_core.data.cifar_set import CifarError, CifarSet, check_split
from cutmix_core.data.download import DownloadError, fetch, has_digest


def download_cifar10(root: Path | str, split: str = "test", *, timeout: float = 5.0) -> CifarSet:
    """Download CIFAR-10 into ``root`` (or reuse it there) and load ``split``.

    The archive (torchvision's ``CIFAR10.url``, checked against its md5) is fetched by
    :func:`~cutmix_core.data.download.fetch` and extracted with torchvision's ``extract_archive``.
    torchvision's own download has no timeout and would hang on a stalled transfer; fetch gives
    up after ``timeout`` seconds without data.
    An intact copy already in ``root`` (every extracted file, or the archive, by md5) is reused
    without touching the network; a damaged one is repaired.

    Raises:
        CifarError: offline, torchvision missing, or the download failed.
    """
    check_split(split)
    hint = "Use the bundled sample or point CUTMIX_CIFAR10 at a local copy."
    try:  # lazy: torch is slow to import and optional here
        from torchvision.datasets import CIFAR10
        from torchvision.datasets.utils import extract_archive
    except ImportError as err:
        raise CifarError(
            f"CIFAR-10 could not be downloaded: torchvision is not installed ({err}). {hint}"
        ) from err
    root = Path(root)
    archive, folder = root / CIFAR10.filename, root / CIFAR10.base_folder
    files = (
        *CIFAR10.train_list,
        *CIFAR10.test_list,
        (CIFAR10.meta["filename"], CIFAR10.meta["md5"]),
    )
    if not all(has_digest(folder / name, md5=md5) for name, md5 in files):
        if not has_digest(archive, md5=CIFAR10.tgz_md5):
            try:
                fetch(CIFAR10.url, archive, timeout=timeout, md5=CIFAR10.tgz_md5)
            except DownloadError as err:
                raise CifarError(
                    f"CIFAR-10 could not be downloaded from {CIFAR10.url}: {err}. {hint}"
                ) from err
        try:
            extract_archive(str(archive), str(root))
        except Exception as err:  # a full disk, a folder in the way: the same to the user
            raise CifarError(
                f"CIFAR-10 could not be extracted into {root} ({type(err).__name__}: {err}). {hint}"
            ) from err
    return load_torchvision_folder(folder, split)
