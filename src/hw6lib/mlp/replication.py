"""The published Problem 2 run, replicated faithfully, its defects included.

The published setup: ``Linear(7, 10) -> ReLU -> Linear(10, 1) -> Sigmoid``, trained on the raw
(unstandardised) features in their file order (no shuffling), batches of 500, plain SGD with
learning rate 0.01, for 10 epochs, with ``nn.CrossEntropyLoss`` applied to the ``(batch,)``
vector of sigmoid outputs and the float labels. On a 1-d input that loss treats the whole batch
as *one* sample whose "classes" are the rows and whose soft target is the label vector: it is not
a binary loss. Its test loop assigns (``=``) rather than adds (``+=``) the per-batch true and
false positives and false negatives, so the printed precision and recall are those of the last
test batch only.

:func:`replicate_published` re-runs exactly that and records, after every epoch, what the
published code would print and the correct full-test metrics of the same model.

torch is imported by the functions that build, train and test the model, not by the module: the
report's jobs read :class:`PublishedReplication` and start without loading torch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hw6lib.card.metrics import (
    Metrics,
    classification_metrics,
    confusion_counts,
    metrics_from_counts,
)
from hw6lib.card.split import CardSplit
from hw6lib.pipeline.resultfiles import Record
from hw6lib.published import PROBLEM2_EPOCHS

if TYPE_CHECKING:
    import torch
    from torch import nn

#: The published hyper-parameters.
PUBLISHED_SETUP: dict[str, Any] = {
    "hidden": 10,
    "lr": 0.01,
    "batch_size": 500,
    "epochs": 10,
    "loss": "nn.CrossEntropyLoss on the (batch,) sigmoid outputs",
    "shuffle": False,
    "standardised": False,
}


def published_model(n_in: int, hidden: int, seed: int) -> nn.Sequential:
    """Build the published network, initialised by torch's defaults from ``seed``.

    The global torch generator is forked, seeded and restored, so no global state leaks.
    """
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid())


@dataclass(frozen=True)
class Printed(Record):
    """What the published test loop prints (%).

    ``accuracy`` (correct over all rows), ``precision_last_batch`` and ``recall_last_batch``
    (from the last batch's counts, ``None`` where the published code would divide 0 by 0).
    """

    accuracy: float
    precision_last_batch: float | None
    recall_last_batch: float | None


@dataclass(frozen=True)
class PublishedTestLoop(Printed):
    """The published test loop (:func:`published_test_loop`).

    What it prints, the last batch's ``last_batch_counts``, and ``correct``, the metrics of
    every test row.
    """

    last_batch_counts: dict[str, int]
    correct: Metrics


def published_test_loop(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int
) -> PublishedTestLoop:
    """Run the published test loop, with its assignment bug, beside the correct counts.

    Returns
    -------
    PublishedTestLoop
    """
    import torch

    correct = 0
    total = 0
    preds = []
    true_poss = false_poss = false_negs = 0
    with torch.no_grad():
        for s in range(0, X.shape[0], batch_size):
            xb, yb = X[s : s + batch_size], y[s : s + batch_size]
            outputs = model(xb).squeeze()
            predicted = (outputs > 0.5).float()
            total += yb.size(0)
            correct += int((predicted == yb).sum())
            # the published defect: "=" where "+=" was meant, so only the last batch survives
            true_poss = int(((predicted == 1) & (yb == 1)).sum())
            false_poss = int(((predicted == 1) & (yb == 0)).sum())
            false_negs = int(((predicted == 0) & (yb == 1)).sum())
            preds.append(predicted)
    pred = torch.cat(preds).numpy()
    return PublishedTestLoop(
        accuracy=100.0 * correct / total,
        precision_last_batch=(
            100.0 * true_poss / (true_poss + false_poss) if true_poss + false_poss else None
        ),
        recall_last_batch=(
            100.0 * true_poss / (true_poss + false_negs) if true_poss + false_negs else None
        ),
        last_batch_counts={"tp": true_poss, "fp": false_poss, "fn": false_negs},
        correct=classification_metrics(y.numpy(), pred),
    )


@dataclass(frozen=True)
class ReplicatedEpoch(Record):
    """One epoch of the replicated run.

    ``train_loss`` (mean of the batch losses, as the published loss defines it), what the
    published code would print, the full-test metrics (``correct``) and those of the last test
    batch alone (``last_batch``).
    """

    epoch: int
    train_loss: float
    printed: Printed
    correct: Metrics
    last_batch: Metrics


@dataclass(frozen=True)
class PublishedReplication(Record):
    """The published Problem 2 run replicated (:func:`replicate_published`).

    ``results/mlp/published.json``: its ``setup`` and ``seed``, per-epoch records, the
    ``published`` per-epoch numbers, the data sizes and the test batch size.
    """

    setup: dict[str, Any]
    seed: int
    epochs: list[ReplicatedEpoch]
    published: dict[str, Any]
    n_train: int
    n_test: int
    test_batch_size: int


def replicate_published(
    split: CardSplit, seed: int, logger: logging.Logger | None = None
) -> PublishedReplication:
    """Train the published model the published way and score it as published and correctly.

    Parameters
    ----------
    split : hw6lib.card.split.CardSplit
        All training rows, raw features, in file order (the published run used no validation
        split and no scaling), and the test rows.
    seed : int
        Seed of the initial weights (the published code set none).
    logger : logging.Logger, optional
        Progress messages.

    Returns
    -------
    PublishedReplication
    """
    import torch
    from torch import nn

    log = logger or logging.getLogger("hw6")
    setup = PUBLISHED_SETUP
    Xtr = torch.from_numpy(np.ascontiguousarray(split.X_train, dtype=np.float32))
    ytr = torch.from_numpy(np.asarray(split.y_train, dtype=np.float32).ravel())
    Xte = torch.from_numpy(np.ascontiguousarray(split.X_test, dtype=np.float32))
    yte = torch.from_numpy(np.asarray(split.y_test, dtype=np.float32).ravel())
    model = published_model(Xtr.shape[1], setup["hidden"], seed)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=setup["lr"])
    bs = setup["batch_size"]
    records = []
    for epoch in range(1, setup["epochs"] + 1):
        losses = []
        for s in range(0, Xtr.shape[0], bs):  # DataLoader(shuffle=False) yields these batches
            xb, yb = Xtr[s : s + bs], ytr[s : s + bs]
            outputs = model(xb).squeeze()
            loss = loss_fn(outputs, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        test = published_test_loop(model, Xte, yte, bs)
        last = Xte.shape[0] - ((Xte.shape[0] - 1) % bs + 1)
        with torch.no_grad():
            last_pred = (model(Xte[last:]).squeeze(-1) > 0.5).numpy()
        records.append(
            ReplicatedEpoch(
                epoch=epoch,
                train_loss=float(np.mean(losses)),
                printed=Printed(
                    accuracy=test.accuracy,
                    precision_last_batch=test.precision_last_batch,
                    recall_last_batch=test.recall_last_batch,
                ),
                correct=test.correct,
                last_batch=metrics_from_counts(confusion_counts(yte[last:].numpy(), last_pred)),
            )
        )
        log.info(
            "published replication epoch %d: printed accuracy %.1f%%, last-batch precision %s; "
            "full-test precision %.3f, recall %.3f, F1 %.3f",
            epoch,
            test.accuracy,
            test.precision_last_batch,
            test.correct.precision,
            test.correct.recall,
            test.correct.f1,
        )
    return PublishedReplication(
        setup=setup,
        seed=int(seed),
        epochs=records,
        published=PROBLEM2_EPOCHS,
        n_train=int(Xtr.shape[0]),
        n_test=int(Xte.shape[0]),
        test_batch_size=bs,
    )
