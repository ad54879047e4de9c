"""GPUs a job asked for, from Snakemake's ``gpu`` resource or a SLURM ``gres`` string."""

from __future__ import annotations

import pytest

from hw6lib.pipeline.device import granted_gpus


@pytest.mark.parametrize(
    ("gpu", "gres", "n"),
    [
        (0, "", 0),
        (None, None, 0),
        (1, "", 1),
        ("2", "", 2),
        (0, "gpu:1", 1),
        (0, "gpu", 1),
        (0, "gpu:a100:2", 2),
        (0, "gpu:tesla:1,tmpdisk:100G", 1),
        (0, "tmpdisk:100G", 0),
    ],
)
def test_granted_gpus(gpu, gres, n) -> None:
    assert granted_gpus(gpu, gres) == n
