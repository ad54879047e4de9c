"""One GPU per training job on a workstation with several: a lock-file lease.

Snakemake counts GPUs as a resource (``make run GPUS=2`` runs ``snakemake --resources gpu=2
--set-resources mlp_train:gpu=1 mlp_best_scores:gpu=1``), so at most that many training jobs run
at once, but it does not say which GPU a job should take: each job would train on ``cuda:0``.
Here a job takes the first GPU that no other job holds. Each GPU has a lock file under a
per-run folder (``.snakemake/hw6-gpu-leases/``), named by host and the GPU's UUID, and a job
holds an exclusive ``flock`` on it for as long as it trains; the operating system releases the
lock when the job's process ends, however it ends, so a killed job never leaves a GPU taken.
Two jobs never hold the same lock (``flock`` is exclusive between open files, in one process as
between processes). With one visible GPU (a laptop, a SLURM job given one GPU, which sees only
its own) nothing is leased.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import torch

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows without WSL
    fcntl = None  # type: ignore[assignment]

#: Where a job's leases live, relative to the working directory of the run.
LEASE_DIR = ".snakemake/hw6-gpu-leases"


def device_names(count: int) -> list[str]:
    """Return a name per visible CUDA device that is the same for every process on this host.

    The GPU's UUID where torch gives it, else the ``CUDA_VISIBLE_DEVICES`` entry or the index.
    """
    visible = [v for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    names = []
    for i in range(count):
        name = visible[i].strip() if i < len(visible) else str(i)
        with contextlib.suppress(Exception):
            name = str(torch.cuda.get_device_properties(i).uuid)
        names.append(name)
    return names


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


@contextlib.contextmanager
def lease_device(
    folder: str | os.PathLike[str],
    names: Sequence[str],
    logger: logging.Logger | None = None,
    poll_seconds: float = 0.2,
    timeout: float | None = None,
) -> Iterator[int]:
    """Hold one of the devices ``names`` for the duration of the block.

    Parameters
    ----------
    folder : path-like
        The run's lease folder (created).
    names : sequence of str
        One name per device, equal for every process on this host (:func:`device_names`).
    logger : logging.Logger, optional
        Says which device was leased, and when the job waits for one.
    poll_seconds : float
        Seconds between tries while every device is held.
    timeout : float, optional
        Give up after this many seconds (``TimeoutError``); by default wait.

    Yields
    ------
    int
        The index (into ``names``) of the device held.
    """
    log = logger or logging.getLogger("hw6")
    if fcntl is None:  # pragma: no cover - Windows without WSL
        log.warning("no flock here: not leasing a GPU, training on device 0")
        yield 0
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    host = _safe(socket.gethostname())
    paths = [folder / f"{host}-{_safe(n)}.lock" for n in names]
    start, said = time.monotonic(), False
    while True:
        for i, path in enumerate(paths):
            f = open(path, "a+")  # held open for the lease
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            try:
                f.seek(0)
                f.truncate()
                f.write(f"{os.getpid()}\n")
                f.flush()
                log.info("GPU lease: device %d of %d (%s)", i, len(paths), path)
                yield i
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
                f.close()
            return
        if timeout is not None and time.monotonic() - start > timeout:
            raise TimeoutError(f"no free GPU among {len(paths)} in {folder} after {timeout} s")
        if not said:
            log.info("GPU lease: all %d GPUs held by other jobs; waiting", len(paths))
            said = True
        time.sleep(poll_seconds)


@contextlib.contextmanager
def job_cuda_device(
    device: torch.device,
    folder: str | os.PathLike[str] = LEASE_DIR,
    logger: logging.Logger | None = None,
    count: int | None = None,
    select: Callable[[int], None] | None = None,
) -> Iterator[torch.device]:
    """Give a job its device: with several visible GPUs, one that no other job holds.

    Parameters
    ----------
    device : torch.device
        The job's device (:func:`hw6lib.mlp.cell.cell_device`); a CPU device is yielded as is.
    folder : path-like
        The run's lease folder.
    logger : logging.Logger, optional
        Says which GPU the job took.
    count : int, optional
        Visible CUDA devices (default ``torch.cuda.device_count()``; tests pass a stand-in).
    select : callable, optional
        Makes a device index current (default ``torch.cuda.set_device``, so that Triton
        kernels and CUDA graphs, which use the current device, run on it too).

    Yields
    ------
    torch.device
        ``cuda:<index>`` of the leased GPU; ``device`` itself on the CPU or with one GPU.
    """
    if device.type != "cuda":
        yield device
        return
    n = torch.cuda.device_count() if count is None else count
    if n <= 1:
        yield device
        return
    names = device_names(n) if count is None else [f"stand-in{i}" for i in range(n)]
    with lease_device(folder, names, logger) as i:
        (select or torch.cuda.set_device)(i)
        yield torch.device("cuda", i)
