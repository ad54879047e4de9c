"""Several GPUs on one workstation: each training job leases its own (hw6lib.pipeline.gpulease).

No GPU is needed: the devices are stand-in names; the leases are the real lock files. The
concurrent holders are separate processes that signal through files (no race with the clock).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hw6lib.pipeline.gpulease import job_cuda_device, lease_device

HERE = Path(__file__).parent
REPO = HERE.parent

HOLDER = """
import logging, sys, time
from pathlib import Path
from hw6lib.pipeline.gpulease import lease_device
folder, n, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
logging.basicConfig(filename=out.with_suffix(".log"), level=logging.INFO)
with lease_device(folder, [f"gpu{i}" for i in range(n)], poll_seconds=0.05) as i:
    out.with_suffix(".tmp").write_text(str(i))
    out.with_suffix(".tmp").replace(out)
    release = out.with_suffix(".release")
    while not release.exists():
        time.sleep(0.02)
"""


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 60.0, text: str = "") -> str:
    """Wait until a holder wrote ``path`` (containing ``text``): an event; the limit only stops
    a broken test."""
    end = time.monotonic() + limit
    while not path.exists() or text not in path.read_text():
        assert proc.poll() is None, Path(proc.args[-1]).with_suffix(".err").read_text()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text()


def _holder(folder: Path, n: int, out: Path) -> subprocess.Popen:
    with open(out.with_suffix(".err"), "w") as err:
        return subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(folder), str(n), str(out)], stderr=err
        )


def test_two_leases_in_one_process_take_different_devices(tmp_path: Path) -> None:
    names = ["a", "b"]
    with lease_device(tmp_path, names) as first, lease_device(tmp_path, names) as second:
        assert {first, second} == {0, 1}
        with pytest.raises(TimeoutError, match="no free GPU among 2"):
            with lease_device(tmp_path, names, poll_seconds=0.01, timeout=0.05):
                pass
    with lease_device(tmp_path, names) as again:  # released at the end of the blocks
        assert again == 0


def test_concurrent_jobs_each_hold_their_own_gpu(tmp_path: Path) -> None:
    """Two jobs at once on a 2-GPU stand-in take GPUs 0 and 1; a third waits until one ends
    (then takes the freed one), and a killed holder frees its GPU."""
    folder = tmp_path / "leases"
    outs = [tmp_path / f"job{k}.out" for k in range(3)]
    a, b = _holder(folder, 2, outs[0]), _holder(folder, 2, outs[1])
    procs = [a, b]
    try:
        got = {_wait_for(outs[0], a), _wait_for(outs[1], b)}
        assert got == {"0", "1"}
        c = _holder(folder, 2, outs[2])
        procs.append(c)
        # c finds both GPUs held and says it waits; release a, then c takes a's GPU
        _wait_for(outs[2].with_suffix(".log"), c, text="all 2 GPUs held by other jobs; waiting")
        held_by_a = outs[0].read_text()
        assert not outs[2].exists()
        outs[0].with_suffix(".release").write_text("")
        assert a.wait(timeout=60) == 0
        assert _wait_for(outs[2], c) == held_by_a
        # a holder killed without cleaning up frees its GPU too
        b.send_signal(signal.SIGKILL)
        b.wait(timeout=60)
        with lease_device(folder, ["gpu0", "gpu1"], timeout=30) as i:
            assert str(i) == outs[1].read_text()
        outs[2].with_suffix(".release").write_text("")
        assert c.wait(timeout=60) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def test_job_device_leases_only_with_several_gpus(tmp_path: Path, caplog) -> None:
    cpu = torch.device("cpu")
    with job_cuda_device(cpu, tmp_path, count=4) as dev:
        assert dev == cpu
    cuda = torch.device("cuda")
    with job_cuda_device(cuda, tmp_path, count=1) as dev:
        assert dev == cuda
    assert not list(tmp_path.iterdir())  # nothing leased
    chosen: list[int] = []
    log = logging.getLogger("hw6.test_gpulease")
    with caplog.at_level(logging.INFO, logger="hw6.test_gpulease"):
        with job_cuda_device(cuda, tmp_path, log, count=3, select=chosen.append) as d1:
            with job_cuda_device(cuda, tmp_path, log, count=3, select=chosen.append) as d2:
                assert (d1, d2) == (torch.device("cuda", 0), torch.device("cuda", 1))
    assert chosen == [0, 1]  # each job made its own GPU the current device
    assert "GPU lease: device 1 of 3" in caplog.text


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        ([], None),
        (
            ["GPUS=2"],
            "--resources gpu=2 --set-resources mlp_train:gpu=1 mlp_best_scores:gpu=1",
        ),
    ],
)
def test_make_gpus_schedules_one_training_job_per_gpu(args, flags) -> None:
    """``make run GPUS=N`` gives Snakemake N GPUs and every training job one; the target of
    ``make problem2`` is not swallowed by the list-valued options."""
    env = {k: v for k, v in os.environ.items() if k not in ("GPUS", "MAKEFLAGS")}
    for target in ("run", "problem2"):
        proc = subprocess.run(
            ["make", "-n", target, *args], cwd=REPO, capture_output=True, text=True, env=env
        )
        assert proc.returncode == 0, proc.stderr
        [line] = [ln for ln in proc.stdout.splitlines() if "/snakemake " in ln]
        words = line.split()
        if flags is None:
            assert "--resources" not in words and "--set-resources" not in words
        else:
            assert flags in line
        assert words[-2:] == (["--cores", "all"] if target == "run" else ["all", "problem2"])
