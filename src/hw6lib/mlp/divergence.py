"""The rule that marks a model diverged during training: its factor and its wording.

:class:`hw6lib.mlp.progress.TrainingProgress` applies it after every epoch; the grid's summary
and the report state it in words (:func:`divergence_rule`). It imports no torch.
"""

from __future__ import annotations

#: A model whose epoch-mean training loss exceeds this multiple of its initial loss diverged.
DIVERGENCE_FACTOR: float = 2.0


def divergence_rule(factor: float = DIVERGENCE_FACTOR) -> str:
    """State in words the rule that marks a model diverged.

    :meth:`hw6lib.mlp.progress.TrainingProgress.healthy` applies it.

    Parameters
    ----------
    factor : float
        The multiple of the initial training loss above which a model diverged
        (:data:`DIVERGENCE_FACTOR`, the value the training uses).

    Returns
    -------
    str
        The rule, as the report states it.
    """
    return (
        "its training loss or a parameter stopped being finite, or its mean training loss over "
        f"an epoch exceeded {factor:g} times the loss of its initial weights"
    )
