"""The fused GPU training step: one Triton program per model runs a whole epoch on chip.

:func:`hw6lib.mlp.engine.train_models` on a CUDA device spends its time in some 35 small kernels per
mini-batch step (gather, batched matrix products, elementwise and reduction kernels), each a
round trip through global memory. Here one kernel launch trains every model for one epoch:
program ``i`` owns one model, loads its parameters once into registers (417 at h = 16), and
loops over the epoch's mini-batches (forward, ``BCEWithLogits`` backward, SGD update with
optional momentum) without writing anything back until the epoch ends. Models are
independent, so nothing is shared between programs but the (read-only) rows.

The semantics are those of :func:`hw6lib.mlp.engine.train_models` (same initial weights, same row
orders drawn with the same generators, same divergence rule and per-model learning rate); only
the order of floating-point sums differs, so parameters agree within float32 tolerance.

Layout of one epoch
-------------------
* The rows and labels are packed once as ``XY (n, 8)`` float32 (7 features, the label last),
  and each epoch gathered once per *distinct* seed into ``XY[perm]`` ``(U, n, 8)``: every
  mini-batch of a seed is then a contiguous slice, read by all the models of that seed
  (programs are ordered by seed so that they stream the same rows at the same time).
* Program ``i`` trains model ``models[i]`` on seed row ``seed_rows[i]`` with learning rate
  ``lr[models[i]]`` (a vector given per epoch: 0 freezes a model).
* A step of ``B`` rows is processed in chunks of a few dozen rows (:func:`launch_config`); each
  chunk's activations live in registers only, its gradient contributions are summed into
  register accumulators, and the update is applied once the step's last chunk is done (the
  last, partial batch of an epoch is masked and divided by its own size).
* Products of the hidden width use ``tl.dot`` (float32, ``input_precision="ieee"`` by default;
  the 7 inputs are padded to 16 columns); below 16 units, broadcast sums.

The kernel runs under Triton's interpreter on CPU tensors when ``TRITON_INTERPRET=1`` is set
before ``triton`` is first imported (Triton reads it when functions are decorated, its own
library included); that is how the test suite checks it without a GPU.
"""

from __future__ import annotations

import logging
import os
import subprocess
from typing import Any

import torch

from hw6lib.mlp.model import Params, init_params
from hw6lib.mlp.progress import TrainingProgress
from hw6lib.mlp.schedule import lr_factor
from hw6lib.mlp.shape import N_IN, PARAM_NAMES, n_layers
from hw6lib.mlp.training import DeviceRows, RowOrders, SGDSettings, TrainingResult

try:  # the CUDA build of torch ships Triton; the CPU build does not
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the environment
    triton = None
    tl = None

#: Columns of a packed row: the 7 features and the label.
ROW: int = 8

#: Widest hidden layer trained by the kernel: beyond it the model and one chunk's activations
#: do not fit in registers (compiled for sm_90, h = 128 spills at every chunk size tried), so
#: such widths keep the torch path.
MAX_WIDTH: int = 64


#: Hidden layers of the network the kernel is written for (the homework's two; its registers hold
#: ``W1, b1, W2, b2, W3, b3``): the specialised fast path of that shape. Other depths keep the
#: torch path, which loops over any number of layers.
DEPTH: int = 2


def ineligible(width: int, depth: int = DEPTH) -> str | None:
    """Say in a few words why the kernel cannot train this shape (``None`` when it can).

    Parameters
    ----------
    width : int
        Units per hidden layer (at most :data:`MAX_WIDTH`).
    depth : int
        Hidden layers (exactly :data:`DEPTH`).
    """
    if depth != DEPTH:
        return f"serves {DEPTH} hidden layers only, the model has {depth}"
    if width > MAX_WIDTH:
        return f"width {width} > {MAX_WIDTH}"
    return None


def launch_config(width: int) -> tuple[int, int]:
    """Return the rows per chunk and warps per program for a width.

    The largest chunk whose program compiles for sm_90 (H100/H200) without spilling registers,
    with at most 4 warps while that suffices (so that three programs fit on one
    multiprocessor).

    Found by compiling the kernel offline with Triton 3.7.1 (``bench/fused_compile.py``, no GPU
    needed; its figures are in ``bench/README.md``). Timing on a GPU may favour other choices:
    ``bench/gpu_fused.py`` compares a few.

    Returns
    -------
    chunk, num_warps : int
    """
    hp = _next_pow2(width)
    if hp <= 16:
        return 32, 4
    if hp <= 32:
        return 32, 8
    return 16, 8


def toolchain_problems() -> list[str]:
    """List what Triton's first launch on a GPU needs from the machine and does not find.

    Triton builds a small C launcher the first time it runs a kernel on a machine (then caches
    it): that needs a C compiler (``CC``, else ``gcc`` or ``clang``), Python's headers
    (``Python.h``) and ``libcuda.so.1`` found through ``ldconfig -p`` (or
    ``TRITON_LIBCUDA_PATH``), as Triton looks them up. A bare GPU node often lacks one of them.

    Returns
    -------
    list of str
        One short phrase per missing piece (empty when all are there).
    """
    import shutil
    import sysconfig

    out = []
    cc = os.environ.get("CC")
    if not (shutil.which(cc) if cc else shutil.which("gcc") or shutil.which("clang")):
        out.append(f"no C compiler ({'CC=' + cc if cc else 'gcc or clang'}; install gcc)")
    scheme = sysconfig.get_default_scheme()
    scheme = "posix_prefix" if scheme == "posix_local" else scheme
    include = sysconfig.get_paths(scheme=scheme)["include"]
    if not os.path.exists(os.path.join(include, "Python.h")):
        out.append(f"no Python.h in {include} (install python3-dev or python3.11-dev)")
    if os.environ.get("TRITON_LIBCUDA_PATH"):
        found = os.path.exists(os.path.join(os.environ["TRITON_LIBCUDA_PATH"], "libcuda.so.1"))
    else:
        try:
            listing = subprocess.run(
                ["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=False
            ).stdout
        except OSError:
            listing = ""
        dirs = os.environ.get("LD_LIBRARY_PATH", "").split(":")
        found = "libcuda.so.1" in listing or any(
            d and os.path.exists(os.path.join(d, "libcuda.so.1")) for d in dirs
        )
    if not found:
        out.append("libcuda.so.1 not found by ldconfig -p (set TRITON_LIBCUDA_PATH)")
    return out


def launch_failure(err: BaseException) -> str:
    """One line saying why the kernel's first launch failed, naming what the machine lacks.

    Parameters
    ----------
    err : BaseException
        What the launch raised.

    Returns
    -------
    str
        ``"<error's first line>"``, followed by ``"; Triton's launcher needs: ..."`` when
        :func:`toolchain_problems` finds something missing.
    """
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    problems = toolchain_problems()
    return f"{type(err).__name__}: {first}" + (
        f"; Triton's launcher needs: {', '.join(problems)}" if problems else ""
    )


def usable(
    device: torch.device | str,
    width: int,
    momentum: float = 0.0,
    logger: logging.Logger | None = None,
    depth: int = DEPTH,
) -> bool:
    """Whether the fused kernel compiles and runs on ``device`` for this shape and momentum.

    A shape the kernel does not serve (:func:`ineligible`: a depth other than :data:`DEPTH`, a
    width above :data:`MAX_WIDTH`) answers ``False`` with one log line saying why. Otherwise
    runs one tiny epoch (one model,
    a few rows); any failure (no Triton, no C compiler, ``Python.h`` or ``libcuda.so.1`` for
    Triton's launcher, a compiler or resource error on this GPU) is logged in one line and
    answers ``False``, so that the caller falls back to the torch path instead of failing the
    job. Whether the kernel computes the right numbers is checked by
    :mod:`hw6lib.mlp.selfcheck`.
    """
    log = logger or logging.getLogger("hw6")
    if triton is None:
        log.info("fused MLP kernel: triton is not importable; using the torch path")
        return False
    why = ineligible(width, depth)
    if why is not None:
        log.info("fused MLP kernel: %s; using the torch path", why)
        return False
    try:
        device = torch.device(device)
        params = init_params(width, [0], N_IN, device)
        buffers = {k: torch.zeros_like(v) for k, v in params.items()} if momentum else None
        xy = torch.zeros(1, 40, ROW, device=device)
        one = torch.zeros(1, dtype=torch.int32, device=device)
        lr = torch.full((1,), 0.1, device=device)
        loss = train_epoch(params, buffers, xy, one, one, lr, 20, momentum)
        ok = bool(torch.isfinite(loss).all())
    except Exception as err:  # any failure means: use the torch path
        why = launch_failure(err)
        log.warning("fused MLP kernel unusable on %s (%s); using the torch path", device, why)
        return False
    if not ok:
        log.warning("fused MLP kernel gave a non-finite loss on a probe; using the torch path")
    return ok


if triton is not None:

    @triton.jit
    def _layer_offsets(H: tl.constexpr, HP: tl.constexpr, K1: tl.constexpr, N_FEAT: tl.constexpr):
        """Return the offsets and masks of ``W1`` (K1, HP), ``W2`` (HP, HP) and the (HP,) rows."""
        k = tl.arange(0, K1)  # input column
        j = tl.arange(0, HP)  # hidden unit
        jr = tl.arange(0, HP)  # hidden unit, as the row of W2
        w1_off = k[:, None] * H + j[None, :]
        w1_mask = (k[:, None] < N_FEAT) & (j < H)[None, :]
        w2_off = jr[:, None] * H + j[None, :]
        w2_mask = (jr[:, None] < H) & (j < H)[None, :]
        return j, j < H, w1_off, w1_mask, w2_off, w2_mask

    @triton.jit
    def _load_model(
        ptrs, m, H: tl.constexpr, HP: tl.constexpr, K1: tl.constexpr, N_FEAT: tl.constexpr
    ):
        """Load model ``m``'s ``(W1, b1, W2, b2, W3, b3)`` from ``ptrs``, zero-padded."""
        j, hmask, w1_off, w1_mask, w2_off, w2_mask = _layer_offsets(H, HP, K1, N_FEAT)
        w1, b1, w2, b2, w3, b3 = ptrs
        return (
            tl.load(w1 + m * N_FEAT * H + w1_off, mask=w1_mask, other=0.0),
            tl.load(b1 + m * H + j, mask=hmask, other=0.0),
            tl.load(w2 + m * H * H + w2_off, mask=w2_mask, other=0.0),
            tl.load(b2 + m * H + j, mask=hmask, other=0.0),
            tl.load(w3 + m * H + j, mask=hmask, other=0.0),
            tl.load(b3 + m),
        )

    @triton.jit
    def _store_model(
        ptrs, m, values, H: tl.constexpr, HP: tl.constexpr, K1: tl.constexpr, N_FEAT: tl.constexpr
    ):
        """Store model ``m``'s six tensors ``values`` (as :func:`_load_model` loads them)."""
        j, hmask, w1_off, w1_mask, w2_off, w2_mask = _layer_offsets(H, HP, K1, N_FEAT)
        w1, b1, w2, b2, w3, b3 = ptrs
        W1, B1, W2, B2, W3, B3 = values
        tl.store(w1 + m * N_FEAT * H + w1_off, W1, mask=w1_mask)
        tl.store(b1 + m * H + j, B1, mask=hmask)
        tl.store(w2 + m * H * H + w2_off, W2, mask=w2_mask)
        tl.store(b2 + m * H + j, B2, mask=hmask)
        tl.store(w3 + m * H + j, W3, mask=hmask)
        tl.store(b3 + m, B3)

    @triton.jit
    def _relu(z):
        """Return ``max(z, 0)``, keeping NaN as torch's ``clamp_min`` does.

        (``tl.maximum`` compiles to ``max.f32``, which returns the non-NaN operand.)
        """
        return tl.where(z < 0.0, 0.0, z)

    @triton.jit
    def _mm(a, b, USE_DOT: tl.constexpr, PRECISION: tl.constexpr):
        """Return ``a @ b`` of 2-d blocks: ``tl.dot`` when every side is >= 16, else a sum."""
        if USE_DOT:
            return tl.dot(a, b, input_precision=PRECISION)
        else:
            return tl.sum(a[:, :, None] * b[None, :, :], axis=1)

    # row counts are not specialised on (one compiled kernel serves every data size: the
    # rows' alignment is fixed by the constexpr row width)
    @triton.jit(do_not_specialize=["n", "batch", "n_steps", "n_chunks"])
    def _epoch_kernel(
        xy_ptr,  # (U, n, ROW) float32: each distinct seed's rows in this epoch's order
        models_ptr,  # (P,) int32: the model each program trains
        seed_rows_ptr,  # (P,) int32: its row of xy
        lr_ptr,  # (M,) float32: this epoch's learning rate of every model
        w1_ptr,  # (M, N_IN, H)
        b1_ptr,  # (M, 1, H)
        w2_ptr,  # (M, H, H)
        b2_ptr,  # (M, 1, H)
        w3_ptr,  # (M, H, 1)
        b3_ptr,  # (M, 1, 1)
        v1_ptr,  # momentum buffers, shaped like the parameters (unused without momentum)
        vb1_ptr,
        v2_ptr,
        vb2_ptr,
        v3_ptr,
        vb3_ptr,
        loss_ptr,  # (M,) float32: summed training loss of the epoch's rows (written)
        n,
        batch,
        n_steps,
        n_chunks,
        momentum,
        H: tl.constexpr,
        HP: tl.constexpr,  # H rounded up to a power of two (>= 16 when USE_DOT)
        K1: tl.constexpr,  # input columns as loaded: 8, or 16 when USE_DOT
        N_FEAT: tl.constexpr,
        ROW_W: tl.constexpr,
        CHUNK_ROWS: tl.constexpr,
        MOMENTUM: tl.constexpr,
        USE_DOT: tl.constexpr,
        PRECISION: tl.constexpr,
    ):
        pid = tl.program_id(0)
        m = tl.load(models_ptr + pid).to(tl.int64)
        u = tl.load(seed_rows_ptr + pid).to(tl.int64)
        lr = tl.load(lr_ptr + m)
        frozen = lr == 0.0

        k = tl.arange(0, K1)  # input column
        r = tl.arange(0, CHUNK_ROWS)
        model_ptrs = (w1_ptr, b1_ptr, w2_ptr, b2_ptr, w3_ptr, b3_ptr)
        buffer_ptrs = (v1_ptr, vb1_ptr, v2_ptr, vb2_ptr, v3_ptr, vb3_ptr)

        # the model, in registers (padded units and columns hold 0 and stay 0)
        W1, b1, W2, b2, W3, b3 = _load_model(model_ptrs, m, H, HP, K1, N_FEAT)
        if MOMENTUM:
            V1, Vb1, V2, Vb2, V3, Vb3 = _load_model(buffer_ptrs, m, H, HP, K1, N_FEAT)

        base = xy_ptr + u * n * ROW_W
        loss_acc = tl.sum(tl.zeros([CHUNK_ROWS], dtype=tl.float32), axis=0)  # a float32 scalar
        for s in range(0, n_steps):
            start = s * batch
            end = tl.minimum(start + batch, n)
            bsz = (end - start).to(tl.float32)
            gW1 = tl.zeros([K1, HP], dtype=tl.float32)
            gb1 = tl.zeros([HP], dtype=tl.float32)
            gW2 = tl.zeros([HP, HP], dtype=tl.float32)
            gb2 = tl.zeros([HP], dtype=tl.float32)
            gW3 = tl.zeros([HP], dtype=tl.float32)
            gb3 = tl.zeros([CHUNK_ROWS], dtype=tl.float32)
            step_loss = tl.zeros([CHUNK_ROWS], dtype=tl.float32)
            W2t = tl.trans(W2)  # once per step, not per chunk
            for c in range(0, n_chunks):
                rows = start + c * CHUNK_ROWS + r
                rmask = rows < end
                ptrs = base + rows.to(tl.int64)[:, None] * ROW_W + k[None, :]
                x = tl.load(ptrs, mask=rmask[:, None] & (k[None, :] < N_FEAT), other=0.0)
                yv = tl.load(base + rows.to(tl.int64) * ROW_W + N_FEAT, mask=rmask, other=0.0)
                # forward
                z1 = _mm(x, W1, USE_DOT, PRECISION) + b1[None, :]
                a1 = _relu(z1)
                z2 = _mm(a1, W2, USE_DOT, PRECISION) + b2[None, :]
                a2 = _relu(z2)
                z3 = tl.sum(a2 * W3[None, :], axis=1) + b3
                # BCE with logits: max(z, 0) - z y + log(1 + exp(-|z|))
                bce = _relu(z3) - z3 * yv + tl.log(1.0 + tl.exp(-tl.abs(z3)))
                step_loss += tl.where(rmask, bce, 0.0)
                # backward
                d3 = tl.where(rmask, (tl.sigmoid(z3) - yv) / bsz, 0.0)
                gW3 += tl.sum(a2 * d3[:, None], axis=0)
                gb3 += d3
                d2 = tl.where(z2 > 0.0, d3[:, None] * W3[None, :], 0.0)
                gW2 += _mm(tl.trans(a1), d2, USE_DOT, PRECISION)
                gb2 += tl.sum(d2, axis=0)
                d1 = tl.where(z1 > 0.0, _mm(d2, W2t, USE_DOT, PRECISION), 0.0)
                gW1 += _mm(tl.trans(x), d1, USE_DOT, PRECISION)
                gb1 += tl.sum(d1, axis=0)
            # SGD update (torch.optim.SGD: buf = mu * buf + g; p -= lr * buf)
            g3 = tl.sum(gb3, axis=0)
            loss_acc += tl.sum(step_loss, axis=0)
            # a frozen model (lr 0) keeps its parameters and buffers exactly, selected rather
            # than computed as W - 0 * g (an overflowed gradient would give 0 * inf = NaN)
            if MOMENTUM:
                V1 = tl.where(frozen, V1, momentum * V1 + gW1)
                Vb1 = tl.where(frozen, Vb1, momentum * Vb1 + gb1)
                V2 = tl.where(frozen, V2, momentum * V2 + gW2)
                Vb2 = tl.where(frozen, Vb2, momentum * Vb2 + gb2)
                V3 = tl.where(frozen, V3, momentum * V3 + gW3)
                Vb3 = tl.where(frozen, Vb3, momentum * Vb3 + g3)
                gW1, gb1, gW2, gb2, gW3, g3 = V1, Vb1, V2, Vb2, V3, Vb3  # the step is lr * buf
            W1 = tl.where(frozen, W1, W1 - lr * gW1)
            b1 = tl.where(frozen, b1, b1 - lr * gb1)
            W2 = tl.where(frozen, W2, W2 - lr * gW2)
            b2 = tl.where(frozen, b2, b2 - lr * gb2)
            W3 = tl.where(frozen, W3, W3 - lr * gW3)
            b3 = tl.where(frozen, b3, b3 - lr * g3)

        _store_model(model_ptrs, m, (W1, b1, W2, b2, W3, b3), H, HP, K1, N_FEAT)
        if MOMENTUM:
            _store_model(buffer_ptrs, m, (V1, Vb1, V2, Vb2, V3, Vb3), H, HP, K1, N_FEAT)
        tl.store(loss_ptr + m, loss_acc)


def _next_pow2(v: int) -> int:
    return 1 << max(0, int(v) - 1).bit_length()


def train_epoch(
    params: Params,
    buffers: Params | None,
    xy: torch.Tensor,
    models: torch.Tensor,
    seed_rows: torch.Tensor,
    lr: torch.Tensor,
    batch_size: int,
    momentum: float = 0.0,
    chunk: int | None = None,
    num_warps: int | None = None,
    precision: str = "ieee",
) -> torch.Tensor:
    """One epoch of mini-batch SGD of every model, as one kernel launch; parameters in place.

    Parameters
    ----------
    params : dict
        ``M`` models as :func:`hw6lib.mlp.model.init_params` lays them out (contiguous float32);
        updated in place.
    buffers : dict or None
        Momentum buffers shaped like ``params`` (updated in place); required when
        ``momentum > 0``.
    xy : torch.Tensor, shape (U, n, 8)
        Each distinct seed's rows in this epoch's order: 7 features, then the 0/1 label.
    models, seed_rows : torch.Tensor, shape (P,), int32
        Program ``i`` trains model ``models[i]`` on ``xy[seed_rows[i]]``.
    lr : torch.Tensor, shape (M,), float32
        This epoch's learning rate of every model (0 freezes a model).
    batch_size : int
        Rows per mini-batch; the last batch of the epoch holds the remainder.
    momentum : float
        SGD momentum (``torch.optim.SGD`` semantics).
    chunk : int, optional
        Rows per chunk of a mini-batch (a power of two); :func:`launch_config` by default.
    num_warps : int, optional
        Warps per program; :func:`launch_config` by default.
    precision : {"ieee", "tf32", "tf32x3"}
        ``tl.dot`` input precision (``"ieee"``: float32 throughout, like the eager path).

    Returns
    -------
    torch.Tensor, shape (M,)
        Each model's training loss summed over the epoch's rows.
    """
    if triton is None:  # pragma: no cover - depends on the environment
        raise RuntimeError("the fused trainer needs the triton package")
    if n_layers(params) != DEPTH + 1:
        depth = n_layers(params) - 1
        raise ValueError(f"the fused kernel trains {DEPTH} hidden layers, got {depth}")
    M, p, h = params["W1"].shape
    _, n, row = xy.shape
    if p != N_IN or row != ROW or not xy.is_contiguous():
        raise ValueError(f"expected {N_IN} features packed as (U, n, {ROW}), got {tuple(xy.shape)}")
    if momentum and buffers is None:
        raise ValueError("momentum > 0 needs buffers")
    for k in PARAM_NAMES:
        if not params[k].is_contiguous():
            raise ValueError(f"parameter {k} must be contiguous")
    default_chunk, default_warps = launch_config(h)
    chunk = chunk or default_chunk
    num_warps = num_warps or default_warps
    if chunk & (chunk - 1) or chunk < 2:
        raise ValueError(f"chunk must be a power of two >= 2, got {chunk}")
    if precision not in ("ieee", "tf32", "tf32x3"):
        raise ValueError(f"precision must be ieee, tf32 or tf32x3, got {precision!r}")
    if models.dtype != torch.int32 or seed_rows.dtype != torch.int32:
        raise ValueError("models and seed_rows must be int32")
    hp = max(_next_pow2(h), 2)
    use_dot = hp >= 16 and chunk >= 16
    loss = torch.empty(M, dtype=torch.float32, device=xy.device)
    buf = buffers if momentum else params  # not read without momentum
    assert buf is not None
    _epoch_kernel[(int(models.shape[0]),)](
        xy,
        models,
        seed_rows,
        lr,
        *(params[k] for k in PARAM_NAMES),
        *(buf[k] for k in PARAM_NAMES),
        loss,
        n,
        batch_size,
        -(-n // batch_size),
        -(-min(batch_size, n) // chunk),
        float(momentum),
        H=h,
        HP=hp,
        K1=16 if use_dot else ROW,
        N_FEAT=N_IN,
        ROW_W=ROW,
        CHUNK_ROWS=chunk,
        MOMENTUM=bool(momentum),
        USE_DOT=use_dot,
        PRECISION=precision,
        num_warps=num_warps,
    )
    return loss


def compile_offline(
    width: int,
    momentum: float = 0.0,
    chunk: int | None = None,
    num_warps: int | None = None,
    precision: str = "ieee",
    arch: int = 90,
) -> Any:
    """Compile the kernel for an NVIDIA GPU of compute capability ``arch`` without a GPU.

    Triton compiles ahead of time with the ``ptxas`` its wheel ships; no driver is needed. Used by
    the tests (the kernel compiles, not only interprets) and by ``bench/fused_compile.py``
    (registers and spills of each launch configuration).

    Returns
    -------
    triton.compiler.CompiledKernel
        ``.asm["cubin"]`` holds the machine code.
    """
    if triton is None:  # pragma: no cover - depends on the environment
        raise RuntimeError("compiling the fused kernel needs the triton package")
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    default_chunk, default_warps = launch_config(width)
    chunk = chunk or default_chunk
    hp = max(_next_pow2(width), 2)
    use_dot = hp >= 16 and chunk >= 16
    fn = _epoch_kernel
    sig = {name: "*fp32" for name in fn.arg_names}
    sig.update({"models_ptr": "*i32", "seed_rows_ptr": "*i32", "momentum": "fp32"})
    sig.update({name: "i32" for name in ("n", "batch", "n_steps", "n_chunks")})
    consts = {
        "H": width,
        "HP": hp,
        "K1": 16 if use_dot else ROW,
        "N_FEAT": N_IN,
        "ROW_W": ROW,
        "CHUNK_ROWS": chunk,
        "MOMENTUM": bool(momentum),
        "USE_DOT": use_dot,
        "PRECISION": precision,
    }
    sig.update({name: "constexpr" for name in consts})
    src = ASTSource(fn=fn, signature=sig, constexprs=consts)
    return triton.compile(
        src, target=GPUTarget("cuda", arch, 32), options={"num_warps": num_warps or default_warps}
    )


def train_models_fused(
    rows: DeviceRows,
    sgd: SGDSettings,
    logger: logging.Logger | None = None,
    monitor: str | None = None,
    chunk: int | None = None,
    num_warps: int | None = None,
    precision: str = "ieee",
) -> TrainingResult:
    """:func:`hw6lib.mlp.engine.train_models` with one fused kernel launch per epoch.

    Same semantics and result as :func:`hw6lib.mlp.engine.train_models` (the result's
    ``engine`` is ``"triton"``; no CUDA graph; the schedule spans ``sgd.epochs``), on the
    device of ``rows`` (:meth:`hw6lib.mlp.training.DeviceRows.load`): CUDA, or the CPU under
    Triton's interpreter (for tests). ``chunk``, ``num_warps`` and ``precision`` are passed to
    :func:`train_epoch`.

    Returns
    -------
    TrainingResult
        As :func:`hw6lib.mlp.engine.train_models` returns it.
    """
    log = logger or logging.getLogger("hw6")
    device = rows.X.device
    if sgd.span != sgd.epochs:
        raise ValueError(f"the fused kernel schedules over the {sgd.epochs} epochs it trains")
    why = ineligible(sgd.width, sgd.depth)
    if why is not None:
        raise ValueError(f"the fused kernel {why}")
    xy = torch.cat([rows.X, rows.y], dim=1).contiguous()  # (n, 8)
    programs = _programs(sgd, device)
    params = init_params(sgd.width, sgd.seeds, rows.X.shape[1], device)
    buffers = {k: torch.zeros_like(v) for k, v in params.items()} if sgd.momentum else None
    base_lr = torch.tensor(sgd.learning_rates, dtype=torch.float32, device=device)
    alive = torch.ones(sgd.n_models, dtype=torch.float32, device=device)
    orders = RowOrders.for_settings(sgd, device)
    progress = TrainingProgress.start(params, rows, sgd, monitor)
    for epoch in range(1, sgd.epochs + 1):
        progress.start_epoch()
        xy_epoch = xy[orders.draw(rows.n)]  # (U, n, 8): one gather per distinct seed
        lr = base_lr * alive * lr_factor(sgd.schedule, epoch, sgd.epochs)  # this epoch's rates
        kernel = {"chunk": chunk, "num_warps": num_warps, "precision": precision}
        loss_sum = train_epoch(
            params, buffers, xy_epoch, *programs, lr, sgd.batch_size, sgd.momentum, **kernel
        )
        del xy_epoch
        train_loss = (loss_sum / rows.n).cpu().numpy()
        newly = progress.end_epoch(epoch, params, train_loss, rows, log, "fused kernel")
        if newly:
            alive = progress.alive(device).view(sgd.n_models)
            for v in (buffers or {}).values():
                v.mul_(alive.view(-1, 1, 1))
    return TrainingResult(
        models=progress.models(sgd),
        params={k: v.cpu().numpy() for k, v in params.items()},
        train_seconds=progress.clock.train_seconds,
        eval_seconds=progress.clock.eval_seconds,
        engine="triton",
    )


def _programs(sgd: SGDSettings, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the model and seed row of each program, grouped by seed (int32, on ``device``)."""
    urow = sgd.seed_rows()
    order = sorted(range(sgd.n_models), key=lambda m: (urow[m], m))
    models = torch.tensor(order, dtype=torch.int32, device=device)
    seed_rows = torch.tensor([urow[m] for m in order], dtype=torch.int32, device=device)
    return models, seed_rows
