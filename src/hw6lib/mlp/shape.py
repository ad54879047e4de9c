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
