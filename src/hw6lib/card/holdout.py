"""The validation slice: the last ``card.n_valid`` training rows, held out for model selection.

Also the one home of the bounds on the split's sizes (:func:`check_split_sizes`): the test set
keeps at least one row (``card.n_train`` below the data's rows), the MLP is chosen on
validation F1, so the validation slice holds at least one row, and it is carved from the
training rows, so at least one training row remains to fit on (:func:`check_n_valid`). The
pre-flight check (:func:`hw6lib.preflight.check_config_relations`, before any job) and the
split of the data (:func:`hw6lib.card.split.split_card`, in the job) each call
:func:`check_split_sizes` once; the MLP's fitting rows (:func:`split_valid`) apply the
validation bound. Needs nothing but the standard library.
"""

from __future__ import annotations

from hw6lib.errors import ConfigError


def check_split_sizes(
    n_train: int, n_valid: int, n_rows: int | None = None, rows_name: str = "the data rows"
) -> None:
    """Every bound on the split's sizes, in one place.

    Parameters
    ----------
    n_train : int
        ``card.n_train``: the first ``n_train`` rows are the training rows.
    n_valid : int
        ``card.n_valid``: the last ``n_valid`` training rows are the validation slice.
    n_rows : int, optional
        Rows of the data, where known (the stand-in's ``card.synthetic_rows`` before any job,
        the rows read in the job); a real file's rows are checked by its loader
        (:func:`hw6lib.card.csvfile.load_card_csv` with ``min_rows = n_train + 1``).
    rows_name : str
        What ``n_rows`` counts, as the message names it (e.g. ``"card.synthetic_rows"``).

    Raises
    ------
    hw6lib.errors.ConfigError
        Unless ``1 <= n_train < n_rows`` (at least one test row), then unless
        ``1 <= n_valid < n_train`` (:func:`check_n_valid`); one line naming the config key.
    """
    if n_train < 1 or (n_rows is not None and n_train >= n_rows):
        bound = (
            "at least 1"
            if n_rows is None
            else f"smaller than {rows_name} ({n_rows}) and at least 1"
        )
        raise ConfigError(
            f"config key card.n_train: {n_train} must be {bound}, so that test rows remain"
        )
    check_n_valid(n_train, n_valid)


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
