"""Choosing the torch device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``."""

from __future__ import annotations

import logging

import torch

from hw6lib.errors import InputError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str, logger: logging.Logger | None = None) -> torch.device:
    """Turn a device name from the config into a :class:`torch.device`, saying why.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda"}
        ``auto`` takes CUDA when ``torch.cuda.is_available()``, else the CPU; ``cuda`` insists.
    logger : logging.Logger, optional
        Where to say which device was chosen and why (e.g. a GPU job that got none).

    Returns
    -------
    torch.device

    Raises
    ------
    InputError
        For an unknown name, or ``cuda`` when no CUDA device is usable.
    """
    log = logger or logging.getLogger("hw6")
    if name not in DEVICES:
        raise InputError(f"config key mlp.device: unknown device {name!r} (use one of {DEVICES})")
    has_cuda = torch.cuda.is_available()
    if name == "cuda" and not has_cuda:
        raise InputError(
            "config key mlp.device: 'cuda' requested but no CUDA device is available "
            f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); use 'auto' or 'cpu'"
        )
    if name == "cpu" or not has_cuda:
        if name == "auto":
            log.info("device auto: no CUDA device available, training on the CPU")
        return torch.device("cpu")
    dev = torch.device("cuda")
    log.info("device %s: training on %s", name, torch.cuda.get_device_name(dev))
    return dev


def granted_gpus(gpu: object = 0, gres: object = "") -> int:
    """GPUs a job asked the scheduler for: Snakemake's ``gpu`` resource or a ``gres`` string.

    Parameters
    ----------
    gpu : int or str
        The ``gpu`` resource (``sbatch --gpus=N``).
    gres : str
        The ``gres`` resource, e.g. ``"gpu:1"`` or ``"gpu:a100:2"`` (``sbatch --gres``), for
        clusters that count GPUs as a generic resource; other generic resources are ignored.

    Returns
    -------
    int
        The number of GPUs (0 when none was asked for).
    """
    total = int(gpu or 0)
    for part in str(gres or "").split(","):
        fields = part.strip().split(":")
        if fields[0] == "gpu":
            last = fields[-1].rstrip("TGM") if len(fields) > 1 else "1"
            total += int(last) if last.isdigit() else 1
    return total
