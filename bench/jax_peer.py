"""The peer: the grid's training written as a plain JAX program (for the benchmarks only).

What a user who knows JAX would write: the models stacked with ``vmap``, one epoch's
mini-batches in one ``lax.scan``, the epoch ``jit``-compiled. Same net as hw6
(``Linear(7,h)-ReLU-Linear(h,h)-ReLU-Linear(h,1)``), ``BCEWithLogits`` loss, plain SGD, one
learning rate per model; unlike hw6, one row order is shared by all models (the cheaper
choice). JAX is in the optional ``bench`` extra only (``pip install -e .[bench]``), never a
dependency of the pipeline or the tests. JAX's compiled CPU code flushes subnormal floats to
zero.

Importing this module asks XLA for one CPU thread (:func:`one_thread`) unless ``XLA_FLAGS``
already names the threads; import it before JAX. Those flags do not keep XLA's matrix products
on one core: on the 2-core AMD EPYC of ``bench/README.md`` a jitted 512 x 512 float32 product
ran at 424 GFLOP/s of wall clock but 224 per CPU-second, i.e. on both cores. A fair one-thread
comparison pins the whole process to one CPU (:func:`one_cpu`, which ``mlp_peer.py`` calls).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def one_thread() -> None:
    """Ask XLA for one CPU thread (call before ``import jax``)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (
            flags + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        ).strip()


one_thread()


def one_cpu() -> int | None:
    """Pin this process (every thread it has or starts) to one CPU; return it (Linux only).

    ``None`` where the platform cannot pin (macOS): there the peer may use more than one core.
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def make_epoch(batch_size: int) -> Callable[..., Any]:
    """The jitted epoch: ``(params, lrs, X, y, perm) -> (params, mean loss per model)``.

    ``params`` is a tuple ``(W1, b1, W2, b2, W3, b3)`` with a leading model dimension
    (``W`` stored ``(fan_in, fan_out)``), ``lrs`` ``(M,)``, ``X`` ``(n, 7)``, ``y`` ``(n,)``,
    ``perm`` the epoch's row order (its length a multiple of ``batch_size``).
    """
    import jax
    import jax.numpy as jnp

    def loss(p, xb, yb):
        W1, b1, W2, b2, W3, b3 = p
        a1 = jax.nn.relu(xb @ W1 + b1)
        a2 = jax.nn.relu(a1 @ W2 + b2)
        z = (a2 @ W3 + b3)[:, 0]
        # BCEWithLogits: softplus(z) - y z, stably
        return jnp.mean(jnp.maximum(z, 0) - z * yb + jnp.log1p(jnp.exp(-jnp.abs(z))))

    grad = jax.vmap(jax.value_and_grad(loss), in_axes=(0, None, None))

    def sgd_step(carry, batch):
        p, lrs = carry
        xb, yb = batch
        value, g = grad(p, xb, yb)
        p = tuple(
            w - lrs.reshape((-1,) + (1,) * (w.ndim - 1)) * gw for w, gw in zip(p, g, strict=True)
        )
        return (p, lrs), value

    def epoch(p, lrs, X, y, perm):
        steps = perm.shape[0] // batch_size
        idx = perm.reshape(steps, batch_size)
        (p, _), losses = jax.lax.scan(sgd_step, (p, lrs), (X[idx], y[idx]))
        return p, losses.mean(axis=0)

    return jax.jit(epoch)


class Peer:
    """One cell of the peer: ``M`` models of one width and batch size, compiled once.

    Parameters
    ----------
    params : dict of numpy.ndarray
        hw6's initial parameters (:func:`hw6lib.mlp.init_params`: ``W (M, in, out)``,
        ``b (M, 1, out)``), so both start from the same models.
    lrs : sequence of float
        One learning rate per model.
    X, y : numpy.ndarray
        Standardised rows and 0/1 labels.
    batch_size : int
        Rows per mini-batch (the rows beyond the last full batch are left out).
    """

    def __init__(self, params, lrs, X, y, batch_size: int, seed: int = 0) -> None:
        import jax
        import jax.numpy as jnp

        self.jax = jax
        self.p = tuple(
            jnp.asarray(params[k] if k[0] == "W" else params[k][:, 0])
            for k in ("W1", "b1", "W2", "b2", "W3", "b3")
        )
        self.lrs = jnp.asarray(np.asarray(lrs, dtype=np.float32))
        self.X = jnp.asarray(X, dtype=jnp.float32)
        self.y = jnp.asarray(y, dtype=jnp.float32)
        self.n = (len(X) // batch_size) * batch_size
        self.key = jax.random.PRNGKey(seed)
        t0 = time.perf_counter()
        self.fn = (
            make_epoch(batch_size).lower(self.p, self.lrs, self.X, self.y, self._perm()).compile()
        )
        self.compile_seconds = time.perf_counter() - t0

    def _perm(self):
        self.key, k = self.jax.random.split(self.key)
        return self.jax.random.permutation(k, len(self.X))[: self.n].astype("int32")

    def epoch(self) -> tuple[float, float, np.ndarray]:
        """Train one epoch; return its CPU seconds (all threads), wall seconds and losses.

        The row order is drawn before the clocks start.
        """
        perm = self._perm().block_until_ready()
        t0, w0 = time.process_time(), time.perf_counter()
        self.p, losses = self.fn(self.p, self.lrs, self.X, self.y, perm)
        losses = np.asarray(losses.block_until_ready())
        return time.process_time() - t0, time.perf_counter() - w0, losses
