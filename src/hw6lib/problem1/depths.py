"""Problem 1 put together: the fits of one depth and the comparison across depths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hw6lib.pipeline.resultfiles import OPTIONAL, Record
from hw6lib.problem1.chain import FloatArray, limits
from hw6lib.problem1.fit import (
    Fit,
    Multistart,
    StoppingBound,
    fit_chain,
    group_end_points,
    multistart,
    start_design,
    stopping_bound,
)

#: A 1-layer end point is "the truth" when both weights are within this of 1.
TRUTH_WEIGHT_TOL = 1e-3
#: A training error at or below this counts as zero (an RMS error of 1e-6 on y in (0, 1)).
ZERO_MSE = 1e-12


def _printed_half_unit(w: float, digits: int) -> float:
    """Half a unit in the last place of ``w`` printed to ``digits`` significant digits."""
    return 0.0 if w == 0 else 0.5 * 10.0 ** (np.floor(np.log10(abs(w))) - digits + 1)


@dataclass(frozen=True)
class FunWeights(Record):
    """A point of the loss: its training error ``fun`` and its ``weights``."""

    fun: float
    weights: list[float]


@dataclass(frozen=True)
class VsPublished(Record):
    """How the published-recipe fit compares with the published numbers and their minimum.

    Attributes
    ----------
    fun_rel_diff, fun_abs_diff, weights_max_abs_diff, weights_max_rel_diff : float
        The rerun against the published numbers.
    minimum : FunWeights
        The minimum both stopped near.
    bound : hw6lib.problem1.fit.StoppingBound
        The stopping bound at the rerun's end point.
    fun_above_minimum, published_fun_above_minimum : float
        Relative to the minimum's error when the bound is, else absolute.
    counts_equal, counts_in_envelope : dict of str to bool
        Per count (``nit``, ``nfev``, ``njev``).
    counts_verdict : {"equal", "within_envelope", "outside_envelope"}
        All three counts equal the published ones; not all equal, all inside the spread seen;
        or neither.
    fun_in_envelope : bool
        Both training errors within the bound of the minimum's.
    weights_in_envelope : bool
        Both end points within the bound, the published one also within its printed rounding.
    recipe : dict of str to bool
        ``x0_zeros`` and ``finite_differences`` (``nfev == (L + 2) njev``: every gradient cost
        ``L + 1`` forward-difference evaluations besides the loss, which an analytic gradient
        does not).
    envelope : dict
        The envelope itself.
    """

    fun_rel_diff: float
    fun_abs_diff: float
    weights_max_abs_diff: float
    weights_max_rel_diff: float
    minimum: FunWeights
    bound: StoppingBound
    fun_above_minimum: float
    published_fun_above_minimum: float
    counts_equal: dict[str, bool]
    counts_in_envelope: dict[str, bool]
    counts_verdict: str
    fun_in_envelope: bool
    weights_in_envelope: bool
    recipe: dict[str, bool]
    envelope: dict[str, Any]


def compare_to_published(
    fit: Fit,
    published: dict[str, Any],
    envelope: dict[str, Any],
    bound: StoppingBound,
) -> VsPublished:
    """How the published-recipe fit compares with the published numbers and their minimum.

    The training error and the weights are checked against what holds on any CPU: both the
    rerun and the published fit stopped within the stopping rule's bound of the same minimum
    (:func:`hw6lib.problem1.fit.stopping_bound`; the published weights also within their printed
    rounding). The counts are compared with the published ones and with the spread seen across
    CPUs, which is reported, not a law.

    Parameters
    ----------
    fit : hw6lib.problem1.fit.Fit
        The published-recipe fit (:func:`hw6lib.problem1.fit.fit_chain`, finite differences from
        zeros).
    published : dict
        The published numbers of the same depth (:data:`hw6lib.published.PROBLEM1`).
    envelope : dict
        The counts seen across CPUs and the printed digits of the published weights
        (:data:`hw6lib.published.PROBLEM1_ENVELOPE`).
    bound : hw6lib.problem1.fit.StoppingBound
        :func:`hw6lib.problem1.fit.stopping_bound` at the fit's end point.

    Returns
    -------
    VsPublished
    """
    depth = int(fit.depth)
    keys = ("nit", "nfev", "njev")
    equal = {k: int(getattr(fit, k)) == int(published[k]) for k in keys}
    inside = {k: envelope[k][0] <= int(getattr(fit, k)) <= envelope[k][1] for k in keys}
    fun_abs = abs(fit.fun - published["fun"])
    fun_rel = fun_abs / abs(published["fun"])
    w, wp = np.asarray(fit.weights), np.asarray(published["weights"])
    w_rel = float(np.max(np.abs(w - wp) / np.abs(wp)))
    f_star, w_star = bound.minimum_fun, np.asarray(bound.minimum_weights)
    w_abs = np.asarray(bound.weights_abs)
    rounding = np.array([_printed_half_unit(v, envelope["weights_digits"]) for v in wp])
    fun_ok = all(abs(f - f_star) <= bound.fun_abs for f in (fit.fun, published["fun"]))
    weights_ok = bool(
        np.all(np.abs(w - w_star) <= w_abs) and np.all(np.abs(wp - w_star) <= w_abs + rounding)
    )

    def above(f: float) -> float:
        return float((f - f_star) / f_star if bound.fun_rel is not None else f - f_star)

    if all(equal.values()):
        verdict = "equal"
    elif all(inside.values()):
        verdict = "within_envelope"
    else:
        verdict = "outside_envelope"
    return VsPublished(
        fun_rel_diff=float(fun_rel),
        fun_abs_diff=float(fun_abs),
        weights_max_abs_diff=float(np.max(np.abs(w - wp))),
        weights_max_rel_diff=w_rel,
        minimum=FunWeights(fun=f_star, weights=[float(v) for v in w_star]),
        bound=bound,
        fun_above_minimum=above(fit.fun),
        published_fun_above_minimum=above(published["fun"]),
        counts_equal=equal,
        counts_in_envelope=inside,
        counts_verdict=verdict,
        fun_in_envelope=bool(fun_ok),
        weights_in_envelope=weights_ok,
        recipe={
            "x0_zeros": bool(not np.any(fit.x0)),
            "finite_differences": int(fit.nfev) == (depth + 2) * int(fit.njev),
        },
        envelope={k: list(v) if isinstance(v, tuple) else v for k, v in envelope.items()},
    )


@dataclass(frozen=True)
class Design(Record):
    """The multi-start design of :func:`fit_depth`.

    Its ``kind``, Sobol ``points``, ``box`` half-width, ``seed`` and the number of ``starts``
    (zeros included).
    """

    kind: str
    points: int
    box: float
    seed: int
    starts: int


@dataclass(frozen=True)
class DepthFit(Record):
    """Every fit of one depth (:func:`fit_depth`; ``results/problem1/fit_depth<L>.json``).

    Attributes
    ----------
    depth, n : int
        Hidden layers and rows.
    published : dict or None
        The seed's printed numbers.
    vs_published : VsPublished or None
        :func:`compare_to_published`; ``None`` without published numbers.
    published_reproduction : hw6lib.problem1.fit.Fit
        Finite-difference BFGS from zeros, the published recipe.
    analytic_from_zeros : hw6lib.problem1.fit.Fit
    design : Design
    multistart : hw6lib.problem1.fit.Multistart
        All starts, distinct minima, best.
    best_limits, zeros_limits : list of float
        The limits at ``x -> -inf`` and ``+inf`` (:func:`hw6lib.problem1.chain.limits`) of the best
        fit and of the published reproduction.
    """

    depth: int
    n: int
    published: dict[str, Any] | None
    vs_published: VsPublished | None
    published_reproduction: Fit
    analytic_from_zeros: Fit
    design: Design
    multistart: Multistart
    best_limits: list[float]
    zeros_limits: list[float]


@dataclass(frozen=True)
class FitSettings:
    """How :func:`fit_depth` fits: the config's ``problem1.gtol`` and ``problem1.multistart``.

    Attributes
    ----------
    points, box, seed : int, float, int
        Multi-start design: zeros plus ``points`` scrambled Sobol points of
        ``[-box, box]^(depth+1)`` seeded by ``seed`` (:func:`hw6lib.problem1.fit.start_design`).
    gtol : float
        BFGS gradient tolerance of the published recipe, the analytic fit and the screen.
    screen_rows : int or None
        Rows of the multi-start screen (:func:`hw6lib.problem1.fit.multistart`).
    polish_gtol : float
        Gradient tolerance of the polish of each minimum on all rows.

    All are required: their defaults are stated once, in the config schema.
    """

    points: int
    box: float
    seed: int
    gtol: float
    screen_rows: int | None
    polish_gtol: float

    @classmethod
    def from_config(cls, gtol: float, multistart: Mapping[str, Any]) -> FitSettings:
        """Read the validated config's ``problem1.gtol`` and ``problem1.multistart``."""
        rows = multistart["screen_rows"]
        return cls(
            points=int(multistart["points"]),
            box=float(multistart["box"]),
            seed=int(multistart["seed"]),
            gtol=float(gtol),
            screen_rows=None if rows is None else int(rows),
            polish_gtol=float(multistart["polish_gtol"]),
        )


def fit_depth(
    x: FloatArray,
    y: FloatArray,
    depth: int,
    settings: FitSettings,
    *,
    published: dict[str, Any] | None = None,
    envelope: dict[str, Any] | None = None,
) -> DepthFit:
    """Every fit of one depth: the published reproduction, the analytic fit and the multi-start.

    Parameters
    ----------
    x, y : numpy.ndarray, shape (n,)
        Data.
    depth : int
        Number of hidden layers.
    settings : FitSettings
        The start design and the tolerances.
    published : dict, optional
        The published fit of this depth on the same data (see
        :func:`hw6lib.published.problem1_published`), to compare the reproduction against.
    envelope : dict, optional
        The counts seen across CPUs (:data:`hw6lib.published.PROBLEM1_ENVELOPE`); required
        with ``published``.

    Returns
    -------
    DepthFit

    Raises
    ------
    ValueError
        ``published`` given without ``envelope``.
    """
    if published is not None and envelope is None:
        raise ValueError("fit_depth: published numbers need their envelope")
    st, zeros = settings, np.zeros(depth + 1)
    repro = fit_chain(x, y, zeros, "finite-difference", st.gtol)
    analytic = fit_chain(x, y, zeros, "analytic", st.gtol)
    starts = start_design(depth, st.points, st.box, st.seed)
    ms = multistart(x, y, starts, st.gtol, st.screen_rows, st.polish_gtol)
    best = ms.best
    vs = None
    if published is not None and envelope is not None:
        bound = stopping_bound(x, y, repro.weights, st.gtol)
        vs = compare_to_published(repro, published, envelope, bound)
    return DepthFit(
        depth=depth,
        n=int(x.size),
        published=published,
        vs_published=vs,
        published_reproduction=repro,
        analytic_from_zeros=analytic,
        design=Design(
            kind="zeros + scrambled Sobol",
            points=st.points,
            box=st.box,
            seed=st.seed,
            starts=len(starts),
        ),
        multistart=ms,
        best_limits=list(limits(best.weights)),
        zeros_limits=list(limits(repro.weights)),
    )


@dataclass(frozen=True)
class OneLayerFromStarts(Record):
    """What BFGS reaches for the 1-layer net from the non-zero starts.

    Made by :func:`one_layer_from_starts`.

    Attributes
    ----------
    starts : int
        Non-zero starts.
    reached_truth : int
        How many of them end at the minimum whose weights are within :data:`TRUTH_WEIGHT_TOL`
        of (1, 1).
    truth_fun, truth_weights
        That minimum on all rows (``None`` if none reached it).
    nearest_start_distance : float or None
        The closest non-zero start's distance from (1, 1): how far BFGS had to travel at least.
    truth_weight_tol, zero_mse : float
        :data:`TRUTH_WEIGHT_TOL` and :data:`ZERO_MSE`.
    reaches_zero : bool
        The truth is reached from some non-zero start with a training error at or below
        ``zero_mse``.
    """

    starts: int
    reached_truth: int
    truth_fun: float | None
    truth_weights: list[float] | None
    nearest_start_distance: float | None
    truth_weight_tol: float
    zero_mse: float
    reaches_zero: bool


def one_layer_from_starts(fit: DepthFit) -> OneLayerFromStarts:
    """Summarise what BFGS reaches for the 1-layer net from the non-zero (space-filling) starts.

    Parameters
    ----------
    fit : DepthFit
        The 1-layer output of :func:`fit_depth`.

    Returns
    -------
    OneLayerFromStarts
    """
    ms = fit.multistart
    truth = np.ones(2)
    nontrivial = [s for s in ms.starts if np.any(s.x0)]
    hit = [
        k
        for k, m in enumerate(ms.minima)
        if np.all(np.abs(np.asarray(m.weights) - truth) <= TRUTH_WEIGHT_TOL)
    ]
    reached = [s for s in nontrivial if s.minimum in hit]
    m_truth = min((ms.minima[k] for k in hit), key=lambda m: m.fun, default=None)
    return OneLayerFromStarts(
        starts=len(nontrivial),
        reached_truth=len(reached),
        truth_fun=None if m_truth is None else m_truth.fun,
        truth_weights=None if m_truth is None else m_truth.weights,
        nearest_start_distance=float(
            min(np.linalg.norm(np.asarray(s.x0) - truth) for s in nontrivial)
        )
        if nontrivial
        else None,
        truth_weight_tol=TRUTH_WEIGHT_TOL,
        zero_mse=ZERO_MSE,
        reaches_zero=bool(reached) and m_truth is not None and m_truth.fun <= ZERO_MSE,
    )


@dataclass(frozen=True)
class DepthRow(Record):
    """One depth of :func:`compare_depths`.

    ``best_fun`` and ``best_weights`` (the best minimum over all starts), ``zeros_fun`` (the
    published recipe from zeros), ``zeros_above_best`` (that fit stopped at another minimum than
    the best one, by :func:`hw6lib.problem1.fit.group_end_points`), ``n_minima`` (distinct minima)
    and the limits of the best fit (``limit_minus_inf``, ``limit_plus_inf``).
    """

    depth: int
    best_fun: float
    best_weights: list[float]
    zeros_fun: float
    zeros_above_best: bool
    n_minima: int
    limit_minus_inf: float
    limit_plus_inf: float


@dataclass(frozen=True)
class DepthComparison(Record):
    """The numbers behind "why does the extra layer raise the training error?".

    ``rows``: per depth, ascending. With depth 1: ``one_layer_contains_truth`` (the best weights
    are (1, 1) within :data:`TRUTH_WEIGHT_TOL`) and ``one_layer_from_starts``. With depths 1 and
    2: ``two_layer_best_fun``, ``one_layer_best_fun`` and ``two_over_one_zeros`` (the ratio of
    the 2-layer to the 1-layer MSE of the fits from zeros). Absent otherwise (``None``, and not
    in the file).
    """

    rows: list[DepthRow]
    one_layer_contains_truth: bool | None = field(default=None, metadata=OPTIONAL)
    one_layer_from_starts: OneLayerFromStarts | None = field(default=None, metadata=OPTIONAL)
    two_layer_best_fun: float | None = field(default=None, metadata=OPTIONAL)
    one_layer_best_fun: float | None = field(default=None, metadata=OPTIONAL)
    two_over_one_zeros: float | None = field(default=None, metadata=OPTIONAL)


def compare_depths(results: Sequence[DepthFit]) -> DepthComparison:
    """Collect the numbers behind "why does the extra layer raise the training error?".

    Parameters
    ----------
    results : sequence of DepthFit
        Outputs of :func:`fit_depth`, any order.

    Returns
    -------
    DepthComparison
    """
    rows = []
    for r in sorted(results, key=lambda r: r.depth):
        best, repro = r.multistart.best, r.published_reproduction
        rows.append(
            DepthRow(
                depth=r.depth,
                best_fun=best.fun,
                best_weights=best.weights,
                zeros_fun=repro.fun,
                # the fit from zeros stopped in another minimum than the best one
                zeros_above_best=group_end_points([best.weights, repro.weights]) == [0, 1],
                n_minima=len(r.multistart.minima),
                limit_minus_inf=r.best_limits[0],
                limit_plus_inf=r.best_limits[1],
            )
        )
    by_depth = {r.depth: r for r in rows}
    out: dict[str, Any] = {"rows": rows}
    if 1 in by_depth:
        out["one_layer_contains_truth"] = bool(
            np.allclose(by_depth[1].best_weights, [1.0, 1.0], atol=TRUTH_WEIGHT_TOL)
        )
        out["one_layer_from_starts"] = one_layer_from_starts(
            next(r for r in results if r.depth == 1)
        )
    if 1 in by_depth and 2 in by_depth:
        out["two_layer_best_fun"] = by_depth[2].best_fun
        out["one_layer_best_fun"] = by_depth[1].best_fun
        out["two_over_one_zeros"] = by_depth[2].zeros_fun / max(by_depth[1].zeros_fun, 1e-300)
    return DepthComparison(**out)
