"""The MLP grid table, the choice of the best configuration, and the published replication."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from synthcard import synth_card
from torch import nn

from hw6lib.card.split import CardSplit
from hw6lib.mlp.cell import Cell
from hw6lib.mlp.grid import best_summary, grid_rows, heatmap_table
from hw6lib.mlp.replication import published_test_loop, replicate_published
from hw6lib.published import PROBLEM2_EPOCHS


def _metrics(f1: float) -> dict:
    return {k: f1 for k in ("loss", "accuracy", "precision", "recall", "f1")} | {
        "tp": 1,
        "fp": 0,
        "tn": 1,
        "fn": 0,
    }


def _cell(
    width: int, batch: int, models: list[tuple[float, int, list, list]], momentum: float = 0.0
) -> Cell:
    out = []
    for lr, seed, valid, test in models:
        epochs = [
            {
                "epoch": e + 1,
                "train_loss": 0.1,
                "diverged": v is None,
                "valid": None if v is None else _metrics(v),
                "test": None if t is None else _metrics(t),
            }
            for e, (v, t) in enumerate(zip(valid, test, strict=True))
        ]
        div = next((e["epoch"] for e in epochs if e["diverged"]), None)
        out.append(
            {
                "momentum": momentum,
                "engine": "eager",
                "lr": lr,
                "seed": seed,
                "diverged_epoch": div,
                "initial_train_loss": 0.2,
                "epochs": epochs,
            }
        )
    return Cell.from_json(
        {
            "width": width,
            "batch_size": batch,
            "momentums": [momentum],
            "schedule": "constant",
            "epochs": len(models[0][2]),
            "n_fit": 8,
            "n_valid": 2,
            "n_test": 3,
            "standardizer": {"mean": [0.0], "scale": [1.0]},
            "models": out,
            "engines": [],
        }
    )


def test_best_is_chosen_on_validation_never_on_test() -> None:
    cells = [
        # lr 0.1: better on validation; lr 1.0: much better on test
        _cell(
            4,
            10,
            [
                (0.1, 0, [0.5, 0.9], [0.1, 0.2]),
                (0.1, 1, [0.5, 0.8], [0.1, 0.2]),
                (1.0, 0, [0.6, 0.7], [0.99, 0.99]),
                (1.0, 1, [0.6, 0.7], [0.99, 0.99]),
            ],
        ),
    ]
    best = best_summary(cells, [1, 2])
    b = best.best
    assert (b.lr, b.epochs) == (0.1, 2)
    assert b.valid_f1.mean == pytest.approx(0.85)
    assert b.valid_f1.sd == pytest.approx(np.std([0.9, 0.8], ddof=1))
    assert b.test_f1.mean == pytest.approx(0.2)
    assert [p.epoch for p in b.curve] == [1, 2]
    assert best.n_models == 4 and best.n_configurations == 4


def test_diverged_seeds_count_as_zero_and_show_in_the_table() -> None:
    cells = [
        _cell(
            4,
            10,
            [
                (0.1, 0, [0.5, 0.6], [0.5, 0.6]),
                (0.1, 1, [0.5, 0.6], [0.5, 0.6]),
                (9.0, 0, [0.9, None], [0.9, None]),
                (9.0, 1, [0.9, 0.9], [0.9, 0.9]),
            ],
        ),
    ]
    rows = grid_rows(cells, [1, 2])
    assert len(rows) == 8
    bad = next(r for r in rows if r["lr"] == 9.0 and r["seed"] == 0 and r["epochs"] == 2)
    assert bad["diverged"] and bad["valid_f1"] is None and bad["diverged_epoch"] == 2
    best = best_summary(cells, [1, 2])
    # lr 9 at 2 epochs scores (0 + 0.9) / 2 = 0.45 < 0.6; at 1 epoch it wins with 0.9
    assert (best.best.lr, best.best.epochs) == (9.0, 1)
    assert best.n_diverged_models == 1
    hm = heatmap_table(rows, 2)
    assert hm[(0.0, 10)]["diverged"] == [[0], [1]]


def test_published_test_loop_reports_the_last_batch_only() -> None:
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(1500, 7, generator=gen)
    y = (X[:, 0] > 0.5).float()
    y[1000:] = (X[1000:, 1] > 0.0).float()  # the last batch follows another rule
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(7, 1), nn.Sigmoid())
        with torch.no_grad():
            model[0].weight.zero_()
            model[0].weight[0, 0] = 10.0
            model[0].bias.fill_(-5.0)
    out = published_test_loop(model, X, y, 500)
    pred = (X[:, 0] > 0.5).numpy()
    yy = y.numpy().astype(bool)
    last = slice(1000, 1500)
    tp = int((pred[last] & yy[last]).sum())
    fp = int((pred[last] & ~yy[last]).sum())
    assert out.precision_last_batch == pytest.approx(100 * tp / (tp + fp))
    assert out.correct.tp == int((pred & yy).sum())
    assert out.precision_last_batch != pytest.approx(100 * out.correct.precision)
    assert out.accuracy == pytest.approx(100 * out.correct.accuracy)


def test_published_loss_is_cross_entropy_over_the_batch() -> None:
    # what nn.CrossEntropyLoss does with a (batch,) vector of probabilities and float targets
    p = torch.tensor([0.2, 0.9, 0.4])
    t = torch.tensor([0.0, 1.0, 1.0])
    expected = -(t * torch.log_softmax(p, dim=0)).sum()
    assert nn.CrossEntropyLoss()(p, t).item() == pytest.approx(expected.item())


def test_replication_records_printed_and_correct_metrics() -> None:
    X, y = synth_card(4000, seed=3)
    split = CardSplit(X[:3000], y[:3000], X[3000:], y[3000:])
    out = replicate_published(split, seed=0)
    assert len(out.epochs) == 10 and out.setup["hidden"] == 10
    for r in out.epochs:
        lb = r.last_batch
        if r.printed.precision_last_batch is not None:
            assert r.printed.precision_last_batch == pytest.approx(100 * lb.precision)
        assert r.printed.accuracy == pytest.approx(100 * r.correct.accuracy)
    # the record carries the whole published series to compare with, one value per epoch
    assert out.published == {k: list(v) for k, v in PROBLEM2_EPOCHS.items()}
    assert all(len(v) == len(out.epochs) for v in out.published.values())
    assert replicate_published(split, seed=0) == out


# --- where the best configuration lies in the grid ----------------------------------------

GRID = {
    "width": [8, 16, 32],
    "lr": [0.1, 0.3, 1.0],
    "batch_size": [100, 250, 1000],
    "epochs": [2, 5, 10],
    "momentum": [0.0, 0.5, 0.9],
}


def _rows(best: dict, diverged: dict | None = None, lr_step: float = 0.01) -> list[dict]:
    """Two seeds of every configuration of GRID; validation F1 falls with the distance (in grid
    steps, ``lr_step`` per learning-rate step, 0.01 per other step) from ``best``;
    ``diverged`` maps a learning rate to the seeds that diverge at it."""
    import itertools

    rows = []
    keys = list(GRID)
    for combo in itertools.product(*GRID.values()):
        cfg = dict(zip(keys, combo, strict=True))
        steps = {k: abs(GRID[k].index(cfg[k]) - GRID[k].index(best[k])) for k in keys}
        drop = 0.01 * sum(steps.values()) + (lr_step - 0.01) * steps["lr"]
        for seed in (0, 1):
            div = seed in (diverged or {}).get(cfg["lr"], ())
            f1 = None if div else 0.99 - drop + 0.001 * seed
            row = {**cfg, "seed": seed, "diverged": div, "diverged_epoch": 1 if div else None}
            row["train_loss"] = None if div else 0.1
            for split in ("valid", "test"):
                for k in ("loss", "accuracy", "precision", "recall", "f1"):
                    row[f"{split}_{k}"] = f1
            rows.append(row)
    return rows


def _edges(best: dict, **kw) -> dict:
    from hw6lib.mlp.grid import grid_edges, summarise

    summaries = summarise(_rows(best, **kw))
    assert {k: getattr(summaries[0], k) for k in GRID} == best  # the construction puts it there
    out = grid_edges(summaries, n_fit=10_000).to_json()
    return {d["dimension"]: d for d in out["dimensions"]} | {"_": out}


def test_best_inside_the_grid_on_every_dimension() -> None:
    best = {"width": 16, "lr": 0.3, "batch_size": 250, "epochs": 5, "momentum": 0.5}
    e = _edges(best)
    assert e["_"]["interior"] and e["_"]["open"] == []
    for k in GRID:
        assert e[k]["kind"] == e[k]["position"] == "interior"
        assert (e[k]["below"], e[k]["value"], e[k]["above"]) == tuple(GRID[k])
        assert e[k]["next"] is None


def test_best_on_the_upper_edge_of_every_dimension() -> None:
    best = {k: v[-1] for k, v in GRID.items()}
    e = _edges(best)
    assert not e["_"]["interior"]
    assert e["_"]["open"] == ["width", "learning rate", "batch size", "epochs", "momentum"]
    for k in GRID:
        assert (e[k]["position"], e[k]["kind"], e[k]["above"]) == ("highest", "open", None)
    assert e["width"]["next"] == 64 and e["lr"]["next"] == 2.0
    assert e["batch_size"]["next"] == 2000 and e["epochs"]["next"] == 20
    assert e["momentum"]["next"] == pytest.approx(0.95)


def test_best_on_the_lower_edge_of_every_dimension() -> None:
    best = {k: v[0] for k, v in GRID.items()}
    e = _edges(best)
    assert e["_"]["open"] == ["width", "learning rate", "batch size", "epochs"]
    for k in GRID:
        assert (e[k]["position"], e[k]["below"]) == ("lowest", None)
    assert e["width"]["next"] == 4 and e["lr"]["next"] == 0.05
    assert e["batch_size"]["next"] == 50 and e["epochs"]["next"] == 1
    # momentum 0 is plain SGD: nothing lies below it
    assert (e["momentum"]["kind"], e["momentum"]["next"]) == ("closed_domain", None)


def test_a_diverged_learning_rate_closes_the_edge() -> None:
    best = {"width": 16, "lr": 1.0, "batch_size": 250, "epochs": 5, "momentum": 0.5}
    # one seed of the largest rate diverges: the upper edge is closed, not open
    e = _edges(best, diverged={1.0: (0,)}, lr_step=0.6)
    assert (e["lr"]["position"], e["lr"]["kind"], e["lr"]["next"]) == (
        "highest",
        "closed_diverged",
        None,
    )
    assert e["_"]["interior"]
    # inside the grid with the next rate diverged: interior, and the divergence is recorded
    best = {**best, "lr": 0.3}
    e = _edges(best, diverged={1.0: (0, 1)})
    assert (e["lr"]["kind"], e["lr"]["above"], e["lr"]["above_diverged"]) == ("interior", 1.0, 2)


def test_edge_domains_and_next_values() -> None:
    from hw6lib.mlp.grid import next_value

    assert next_value("batch_size", 10_000, "high", n_fit=10_000) is None
    assert next_value("batch_size", 1, "low") is None
    assert next_value("epochs", 1, "low") is None and next_value("width", 1, "low") is None
    assert next_value("momentum", 0.5, "low") == 0.0
    # the depth gains or loses one hidden layer, down to one
    assert next_value("depth", 2, "high") == 3 and next_value("depth", 2, "low") == 1
    assert next_value("depth", 1, "low") is None
    with pytest.raises(ValueError):
        next_value("colour", 1, "high")


def test_divergence_rule_in_words_follows_the_code() -> None:
    from hw6lib.mlp import DIVERGENCE_FACTOR, divergence_rule

    assert f"exceeded {DIVERGENCE_FACTOR:g} times" in divergence_rule()
    assert "exceeded 3 times" in divergence_rule(3.0)
    assert "not finite" not in divergence_rule() and "stopped being finite" in divergence_rule()


def test_with_a_decaying_schedule_more_epochs_is_a_new_run() -> None:
    from hw6lib.mlp.grid import grid_edges, summarise

    summaries = summarise(_rows({k: v[-1] for k, v in GRID.items()}))
    cos = {d.dimension: d for d in grid_edges(summaries, schedule="cosine").dimensions}
    const = {d.dimension: d for d in grid_edges(summaries).dimensions}
    assert cos["epochs"].new_run and not const["epochs"].new_run
    assert not any(cos[k].new_run for k in GRID if k != "epochs")


def test_near_best_counts_configurations_within_the_spread() -> None:
    from hw6lib.mlp.grid import near_best, summarise

    best = {"width": 16, "lr": 0.3, "batch_size": 250, "epochs": 5, "momentum": 0.5}
    summaries = summarise(_rows(best))
    nb = near_best(summaries)
    # seeds differ by 0.001, so the sd is 0.001 / sqrt(2); one grid step costs 0.01
    assert nb.sd == pytest.approx(0.001 / np.sqrt(2))
    assert nb.n == 1 and nb.values[0].to_json() == {"name": "width", "values": [16]}
    assert nb.n_configurations == len(summaries) == 3**5
    # a flat neighbour within the spread is counted, with its value
    i = next(
        i
        for i, s in enumerate(summaries)
        if s.width == 32 and all(getattr(s, k) == best[k] for k in best if k != "width")
    )
    flat = list(summaries)
    flat[i] = dataclasses.replace(flat[i], score=flat[0].score - 0.0005)
    nb = near_best(flat)
    assert nb.n == 2 and nb.values[0].to_json() == {"name": "width", "values": [16, 32]}


# --- the grid's figures -------------------------------------------------------------------


def _top_entry(epochs: int, lr: float) -> dict:
    curve = [
        {"epoch": e, "train_loss": 1.0 / e, "valid_f1": 0.9, "test_f1": 0.89} for e in (1, 2, 3)
    ]
    return {"width": 8, "lr": lr, "batch_size": 100, "momentum": 0.0, "epochs": epochs,
            "curve": curve}  # fmt: skip


def test_learning_curves_draw_a_run_once_whatever_its_epoch_counts() -> None:
    from hw6lib.report.mlpfigures import plot_learning_curves

    top = [_top_entry(3, 0.1), _top_entry(2, 0.1), _top_entry(3, 1.0)]
    fig = plot_learning_curves({"top": top})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [
        "h=8, lr=0.1, batch=100, mom.=0 (at 2, 3 ep.)",
        "h=8, lr=1, batch=100, mom.=0 (at 3 ep.)",
    ]
    assert len(fig.axes[0].get_lines()) == 2


def test_heatmap_titles_are_one_row_of_batch_sizes() -> None:
    from hw6lib.report.mlpfigures import plot_f1_heatmaps

    rows = [
        {
            "width": w,
            "lr": lr,
            "batch_size": b,
            "momentum": mu,
            "epochs": 2,
            "seed": 0,
            "valid_f1": 0.5,
            "diverged": False,
        }
        for w in (4, 8)
        for lr in (0.1, 1.0)
        for b in (100, 250)
        for mu in (0.0, 0.9)
    ]
    fig = plot_f1_heatmaps(rows, 2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["batch 100", "batch 250"]
    assert fig.get_suptitle() == "Validation F1 after 2 epochs"
    ylabels = [ax.get_ylabel() for ax in fig.axes[:4] if ax.get_ylabel()]
    assert ylabels == ["momentum 0\nlearning rate", "momentum 0.9\nlearning rate"]
