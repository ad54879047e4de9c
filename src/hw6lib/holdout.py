"""The validation slice: the last ``card.n_valid`` training rows, held out for model selection.

The one home of the bound on ``card.n_valid`` (:func:`check_n_valid`): the MLP is chosen on
validation F1, so the slice holds at least one row, and it is carved from the training rows,
so at least one training row remains to fit on. The config schema's minimum, the pre-flight
check (:func:`hw6lib.preflight.check_config_relations`), the split of the data
(:func:`hw6lib.split.split_card`) and the MLP's fitting rows (:func:`split_valid`) all apply
this bound. Needs nothing but the standard library.
"""

from __future__ import annotations

from hw6lib.errors import ConfigError


def check_n_valid(n_train: int, n_valid: int) -> None:
    """Refuse a validation slice that is empty or leaves no training row to fit on.

    Parameters
    ----------
    n_train : int
        ``card.n_train``: the training rows, validation slice included.
    n_valid : int
        ``card.n_valid``: the last ``n_valid`` training rows are the validation slice.

    Raises
    ------
    hw6lib.errors.ConfigError
        Unless ``1 <= n_valid < n_train``, in one line naming the config key.
    """
    if not 1 <= n_valid < n_train:
        raise ConfigError(
            f"config key card.n_valid: {n_valid} must be smaller than card.n_train "
            f"({n_train}) and at least 1: the validation slice is carved from the training "
            "rows, and the network is chosen on it"
        )


def split_valid(n_train: int, n_valid: int) -> tuple[slice, slice]:
    """Rows used to fit and rows held out for validation: the last ``n_valid`` training rows.

    Parameters
    ----------
    n_train : int
        Number of training rows.
    n_valid : int
        Size of the validation slice (:func:`check_n_valid`).

    Returns
    -------
    fit, valid : slice
        The first ``n_train - n_valid`` rows, and the rest.

    Raises
    ------
    hw6lib.errors.ConfigError
        Unless ``1 <= n_valid < n_train``.
    """
    check_n_valid(n_train, n_valid)
    return slice(0, n_train - n_valid), slice(n_train - n_valid, n_train)
