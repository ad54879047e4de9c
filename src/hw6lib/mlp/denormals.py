"""Subnormal floats flushed to zero on the CPU while the MLP trains or is scored.

Once the nets fit well, float32 gradients underflow into the subnormal range (below about
1.2e-38), where x86 arithmetic is many times slower; flushing them to zero changes a
parameter by less than 1e-38 and training by float32 rounding. The CPU's flush-to-zero mode
is state of the calling thread (the x86 ``MXCSR`` register), set by
``torch.set_flush_denormal``; :func:`flush_denormals` sets it for the span of a ``with``
block and puts back the mode it found, so the library leaves no state behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

#: A subnormal float32: flushed to zero (as an input or result) when the mode is on.
_SUBNORMAL = 1e-39


def flushing() -> bool:
    """Whether the calling thread flushes subnormal float32 numbers to zero now."""
    x = torch.tensor([_SUBNORMAL], dtype=torch.float32)
    return float((x * 1.5).item()) == 0.0


@contextmanager
def flush_denormals(device: torch.device | str = "cpu", on: bool = True) -> Iterator[bool]:
    """Flush subnormal floats to zero on the CPU inside the block; restore the mode after.

    Parameters
    ----------
    device : torch.device or str
        The device that computes; on a device other than the CPU nothing changes (GPU kernels
        set their own modes).
    on : bool
        ``False`` leaves the mode as it is (for comparisons).

    Yields
    ------
    bool
        Whether subnormals are flushed inside the block (``False`` where the CPU cannot:
        ``torch.set_flush_denormal`` works on x86 with SSE3 only).

    Notes
    -----
    The mode belongs to the calling thread: torch's intra-op worker threads keep their own
    (the pipeline's training jobs run one thread).
    """
    if not on or torch.device(device).type != "cpu":
        yield flushing()
        return
    before = flushing()
    active = torch.set_flush_denormal(True)
    try:
        yield active
    finally:
        torch.set_flush_denormal(before)
