"""The network's shape, without torch: its layer sizes, parameter names and default depth.

The one place that states the shape of the fraud classifier (``Linear(7, h) -> ReLU -> ... ->
Linear(h, 1)``, ``depth`` hidden layers); :mod:`hw6lib.mlp.model` builds the tensors from it.
It imports no torch, so that the jobs that only read results (the grid's summary, the report)
start without loading it.
"""

from __future__ import annotations

#: Number of input features (the 7 columns of :data:`hw6lib.card.csvfile.FEATURES`; not imported
#: from there so that this package needs only numpy and torch, e.g. on a bare GPU machine).
N_IN: int = 7

#: Hidden layers of the homework's network (the default of the config key ``mlp.depth``).
DEFAULT_DEPTH: int = 2


def layer_sizes(width: int, depth: int = DEFAULT_DEPTH, n_in: int = N_IN) -> tuple[int, ...]:
    """Return the network's shape: units of the input, each hidden layer and the output.

    Parameters
    ----------
    width : int
        Units in each hidden layer.
    depth : int
        Number of hidden layers (at least 1).
    n_in : int
        Number of input features.

    Returns
    -------
    tuple of int
        ``(n_in, width, ..., width, 1)``, ``depth + 2`` entries.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1 hidden layer, got {depth}")
    return (n_in, *[width] * depth, 1)


def step_flops_per_row(sizes: tuple[int, ...]) -> int:
    """Return the floating-point operations of one SGD step per training row (2 a multiply-add).

    For layers ``k = 1, ..., L`` of ``n_{k-1} + 1`` inputs (a bias) and ``n_k`` outputs
    (``sizes`` from :func:`layer_sizes`): the forward pass and each layer's weight gradient are
    ``(n_{k-1} + 1) n_k`` multiply-adds each, and every layer but the first passes its errors
    down, ``n_{k-1} n_k`` (the inputs get none). The update (once a step, not a row) and the
    elementwise work (relu, loss) are left out. For the homework's net of width ``h`` that is
    ``2 (3h^2 + 21h + 2)``: 7,492 at width 32. The least work a step can do: the benchmark's
    floor, and the workflow's order of the training jobs (costliest first); training does not
    use it.
    """
    macs = 0
    for k in range(1, len(sizes)):
        n_in, n_out = sizes[k - 1], sizes[k]
        macs += 2 * (n_in + 1) * n_out + (n_in * n_out if k > 1 else 0)
    return 2 * macs


def param_names(n: int) -> tuple[str, ...]:
    """Parameter names of ``n`` linear layers, in the order of the layers: ``W1, b1, ..., bn``."""
    return tuple(name for k in range(1, n + 1) for name in (f"W{k}", f"b{k}"))


#: Parameter names of the homework's network (two hidden layers, three linear layers).
PARAM_NAMES: tuple[str, ...] = param_names(DEFAULT_DEPTH + 1)


def n_layers(params: dict[str, object]) -> int:
    """Return ``L``, the number of linear layers of ``params``.

    ``params`` holds ``W1, ..., WL`` (and biases), or ``A1, ..., AL``, the stacked form of
    :func:`hw6lib.mlp.model.stack_layers`.
    """
    prefix = "W" if "W1" in params else "A"
    n = 0
    while f"{prefix}{n + 1}" in params:
        n += 1
    if n < 2:
        raise ValueError(f"parameters need at least two linear layers, got keys {sorted(params)}")
    return n
