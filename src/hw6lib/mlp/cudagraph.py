"""CUDA-graph capture and replay of the torch trainer's steps.

The step (:func:`hw6lib.mlp.steps.step`) allocates nothing and runs a fixed sequence of kernels,
so :data:`GRAPH_STEPS` of them can be captured once as a CUDA graph and replayed per group of
full mini-batches: one launch per group, no Python and no launch overhead per batch. The leftover
batches of an epoch run eagerly (:func:`hw6lib.mlp.steps.train_epoch`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch

from hw6lib.mlp.steps import TrainState, step

#: Mini-batches per CUDA-graph replay (fewer replays, but a longer capture).
GRAPH_STEPS: int = 64


@dataclass
class StepGraph:
    """A captured CUDA graph of ``steps`` training steps and the index tensor it reads.

    Attributes
    ----------
    graph : torch.cuda.CUDAGraph
        The captured steps.
    idx : torch.Tensor, shape (U, steps * B)
        The rows of the next ``steps`` mini-batches of every seed (written before a replay).
    steps : int
        Mini-batches per replay.
    batch_size : int
        Rows per mini-batch.
    """

    graph: Any
    idx: torch.Tensor
    steps: int
    batch_size: int

    def replay_epoch(self, perms: torch.Tensor) -> int:
        """Run the epoch's whole groups of ``steps`` mini-batches, one replay each.

        Parameters
        ----------
        perms : torch.Tensor, shape (U, n)
            Each seed's order of the rows in this epoch.

        Returns
        -------
        int
            The number of mini-batches done (the rest run eagerly).
        """
        n_full = perms.shape[1] // self.batch_size
        span = self.steps * self.batch_size
        done = 0
        for _ in range(n_full // self.steps):
            start = done * self.batch_size
            self.idx.copy_(perms[:, start : start + span])
            self.graph.replay()
            done += self.steps
        return done


def _gathered_step(state: TrainState, idx: torch.Tensor) -> None:
    """One SGD step of every model; ``idx`` (U, B) holds the rows of each seed's batch.

    Gathers the batch itself (the kernels a graph replays).
    """
    rows = idx.index_select(0, state.umap)  # (M, B)
    b = rows.shape[1]
    xyT = state.XY[rows].transpose(1, 2).contiguous()  # (M, p + 2, B)
    step(state, xyT[:, :-1], xyT[:, -1:], state.loss_rows[:, :, :b])


def _graph_steps(state: TrainState, idx_static: torch.Tensor, steps: int, batch_size: int) -> None:
    """Run ``steps`` steps on the first ``steps`` ``batch_size``-row slices of ``idx_static``."""
    for k in range(steps):
        _gathered_step(state, idx_static[:, k * batch_size : (k + 1) * batch_size])


def warm_up(state: TrainState, idx_static: torch.Tensor, batch_size: int) -> None:
    """Warm up before capture: up to 3 steps of full ``batch_size``-row mini-batches.

    Every step reads a full mini-batch (the work buffers of :class:`TrainState` exist only for
    the full and the last batch size), however many batches ``idx_static`` holds.
    """
    steps = min(idx_static.shape[1] // batch_size, 3)
    _graph_steps(state, idx_static, steps, batch_size)


def capture_steps(
    state: TrainState, n_seeds: int, n: int, batch_size: int, log: logging.Logger
) -> StepGraph | None:
    """Capture up to :data:`GRAPH_STEPS` training steps as one CUDA graph.

    Warm-up runs on a side stream (as CUDA graphs require) on the live state, so the state is
    saved first and restored after capture.

    Parameters
    ----------
    state : TrainState
        The run's state, on a CUDA device (left as it was).
    n_seeds : int
        Distinct seeds (rows of the permutations).
    n : int
        Training rows.
    batch_size : int
        Rows per mini-batch.
    log : logging.Logger
        Where a failed capture is reported.

    Returns
    -------
    StepGraph or None
        ``None`` when there is no full mini-batch or capture failed (then a log line says so,
        and training runs eagerly).
    """
    n_full = n // batch_size
    if n_full == 0:
        return None
    steps = min(GRAPH_STEPS, n_full)
    device = state.XY.device
    idx = torch.zeros(n_seeds, steps * batch_size, dtype=torch.long, device=device)
    saved = {k: v.clone() for k, v in state.stacked.items()}
    saved_buf = {k: v.clone() for k, v in (state.buffers or {}).items()}
    saved_loss = state.loss_rows.clone()
    graph = None
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            warm_up(state, idx, batch_size)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            _graph_steps(state, idx, steps, batch_size)
    except Exception as err:  # pragma: no cover - needs a GPU
        log.warning("CUDA graph capture failed (%s); training with eager kernels", err)
        graph = None
    finally:
        torch.cuda.synchronize()
        with torch.no_grad():
            for k, v in saved.items():
                state.stacked[k].copy_(v)
            for k, v in saved_buf.items():
                assert state.buffers is not None
                state.buffers[k].copy_(v)
            state.loss_rows.copy_(saved_loss)
    return None if graph is None else StepGraph(graph, idx, steps, batch_size)
