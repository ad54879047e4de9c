"""What the report says about Problem 1.

The gradient check, the fits against the published numbers, and why the extra layer raises the
training error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from hw6lib.report.htmltext import format_number, tex, weights

if TYPE_CHECKING:  # the records' types only
    from hw6lib.problem1.depths import DepthComparison, DepthFit, DepthRow
    from hw6lib.problem1.gradcheck import GradientClaims


def gradcheck_sentences(claims: GradientClaims) -> list[Markup]:
    """Say what the gradient check shows, against autograd and against finite differences.

    Parameters
    ----------
    claims : hw6lib.problem1.gradcheck.GradientClaims
        ``claims`` of :func:`hw6lib.problem1.gradcheck.check_gradients`.

    Returns
    -------
    list of Markup
        Two sentences: autograd, finite differences.
    """
    c = claims
    bound = tex("2 n u S_k")
    usk = tex("u S_k")
    if c.autograd_within_rounding:
        autograd = Markup(
            "Every difference from autograd lies within the worst-case rounding bound of two "
            "float64 sums of {} terms, {} ({} = {}, {} the mean absolute term of the gradient "
            "sum);\nthe largest is {} {} ({} relative), so the recursion agrees with autograd up "
            "to rounding."
        ).format(
            tex("n"),
            bound,
            tex("u"),
            format_number(c.unit_roundoff, 2, "e"),
            tex("S_k"),
            format_number(c.autograd_max_units, 2),
            usk,
            format_number(c.autograd_max_rel, 2, "e"),
        )
    else:
        autograd = Markup(
            "Some differences from autograd exceed the worst-case rounding bound of the two "
            "float64 sums, {} (largest {} {}, {} relative): the backpropagated gradient does not "
            "match autograd."
        ).format(
            bound,
            format_number(c.autograd_max_units, 2),
            usk,
            format_number(c.autograd_max_rel, 2, "e"),
        )
    if c.fd_within_bound:
        fd = Markup(
            "The differences from central finite differences (largest {}, {} relative) lie "
            "within the error bound of differencing with step {} itself, truncation {} plus "
            "rounding of the loss divided by {} (at most {} of it)."
        ).format(
            format_number(c.fd_max_abs, 2, "e"),
            format_number(c.fd_max_rel, 2, "e"),
            tex("h"),
            tex("h^2 |\\partial^3_k \\mathrm{MSE}|/6"),
            tex("h"),
            format_number(c.fd_max_bound_ratio, 2, "e"),
        )
    else:
        fd = Markup(
            "Some differences from central finite differences (largest {}) exceed the error "
            "bound of differencing itself ({} times it): the gradient is wrong."
        ).format(format_number(c.fd_max_abs, 2, "e"), format_number(c.fd_max_bound_ratio, 3))
    return [autograd, fd]


def converged(success: bool, message: str | None = None) -> str:
    """Fill a fit's "converged" cell: "yes", or "no" with the optimiser's message if any."""
    if success:
        return "yes"
    return "no" if message is None else f"no: {message}"


@dataclass(frozen=True)
class FitRows:
    """One depth's rows of the table of every fit (:func:`fit_rows`).

    ``zeros``: the two fits from zeros (finite differences, analytic gradient), each with
    ``label``, ``fun``, ``weights``, ``nit``, ``nfev``, ``njev``, ``converged`` (text);
    ``best_converged``: the same cell for the best of the multi-start.
    """

    zeros: list[dict[str, Any]]
    best_converged: str


def fit_rows(fit: DepthFit) -> FitRows:
    """Build the rows of one depth for the table of every fit, with their "converged" cells.

    Parameters
    ----------
    fit : hw6lib.problem1.depths.DepthFit
        :func:`hw6lib.problem1.depths.fit_depth`.

    Returns
    -------
    FitRows
    """
    rows = []
    for label, key in (
        ("zeros, finite diff.", "published_reproduction"),
        ("zeros, analytic", "analytic_from_zeros"),
    ):
        r = getattr(fit, key)
        rows.append(
            {
                "label": label,
                **{k: getattr(r, k) for k in ("fun", "weights", "nit", "nfev", "njev")},
                "converged": converged(r.success, r.message),
            }
        )
    return FitRows(zeros=rows, best_converged=converged(fit.multistart.best.converged))


def _vs_published_sentence(f: DepthFit) -> Markup:
    v = f.vs_published
    e = v.envelope
    bd = v.bound
    rep = f.published_reproduction
    depth = f.depth
    m = v.minimum
    if bd.fun_rel is None:
        gaps = Markup("{} and {} above it (absolute), within {}").format(
            format_number(v.fun_above_minimum, 2, "e"),
            format_number(v.published_fun_above_minimum, 2, "e"),
            format_number(bd.fun_abs, 1, "e"),
        )
    else:
        gaps = Markup("{} and {} above it (relative), within {}").format(
            format_number(v.fun_above_minimum, 2, "e"),
            format_number(v.published_fun_above_minimum, 2, "e"),
            format_number(bd.fun_rel, 1, "e"),
        )
    inside = "both inside" if v.fun_in_envelope and v.weights_in_envelope else "not both inside"
    out = Markup(
        "The {}-layer reproduction’s training error differs from the published one by\n{} "
        "and its weights by at most {} relative.\n"
        "Both stopped near the same minimum, training error {} at {}: BFGS stops once its "
        "gradient is below gtol = {}, which by the Hessian there allows the training error up "
        "to {} above the minimum’s and the weights up to {} away from it.\n"
        "The reproduction and the published fit lie {}: {} that bound.\n"
    ).format(
        depth,
        format_number(v.fun_rel_diff, 2, "e") + " (relative)"
        if bd.fun_rel is not None
        else format_number(v.fun_abs_diff, 2, "e") + " (absolute)",
        format_number(v.weights_max_rel_diff, 2, "e"),
        format_number(m.fun, 10),
        weights(m.weights, 5),
        format_number(bd.gtol, 1, "e"),
        format_number(bd.fun_rel, 1, "e") + " (relative)"
        if bd.fun_rel is not None
        else format_number(bd.fun_abs, 1, "e"),
        weights(bd.weights_abs, 2),
        gaps,
        inside,
    )
    seen = "nit {}–{}, nfev {}–{}, njev {}–{}".format(*e["nit"], *e["nfev"], *e["njev"])
    if v.counts_verdict == "equal":
        counts = (
            f"Its counts nit {rep.nit}, nfev {rep.nfev} and njev {rep.njev} equal the "
            "published ones."
        )
    elif v.counts_verdict == "within_envelope":
        p = f.published
        counts = (
            f"Its counts nit {rep.nit}, nfev {rep.nfev}, njev {rep.njev} differ from the "
            f"published {p['nit']}, {p['nfev']}, {p['njev']}, within the spread seen across "
            f"CPUs ({seen})."
        )
    else:
        counts = (
            f"Its counts nit {rep.nit}, nfev {rep.nfev}, njev {rep.njev} lie outside "
            f"the spread seen across CPUs so far ({seen}): this CPU’s kernels took another path."
        )
    recipe = v.recipe
    start = "started at zeros" if recipe["x0_zeros"] else "not started at zeros"
    if recipe["finite_differences"]:
        grad = (
            f"nfev = {depth + 2} × njev, as when every gradient costs {depth + 1} "
            "forward-difference evaluations besides the loss (an analytic gradient gives "
            "nfev = njev)"
        )
    else:
        grad = (
            f"nfev ≠ {depth + 2} × njev, so the gradients were not the published finite differences"
        )
    return out + Markup("{}\nThe recipe itself: {}, and {}.").format(counts, start, grad)


def published_note(fits: Sequence[DepthFit]) -> list[Markup]:
    """Write the note on the published numbers: how each reproduction compares, or why not.

    Parameters
    ----------
    fits : sequence of hw6lib.problem1.depths.DepthFit
        :func:`hw6lib.problem1.depths.fit_depth` records; ``vs_published``
        (:func:`hw6lib.problem1.depths.compare_to_published`) is set when the data are the
        published.

    Returns
    -------
    list of Markup
        The note's sentences.
    """
    with_pub = [f for f in fits if f.vs_published]
    if not with_pub:
        return [
            Markup(
                "The published numbers apply only to its data set (n = 1,000,000, seed 3); this "
                "run used other data, so they are not shown."
            )
        ]
    return [
        Markup("Against the published numbers."),
        *(_vs_published_sentence(f) for f in with_pub),
        Markup(
            "The same recipe takes another path on other CPUs: the BFGS path over a sum of a "
            "million terms depends on the BLAS kernels and the SIMD width, so the counts and the "
            "point where it stops move, while the minimum is the same and the stop stays within "
            "the bound its stopping rule allows (wide along the minimum’s flat direction)."
        ),
    ]


def one_layer_sentence(compare: DepthComparison) -> Markup:
    """Whether BFGS reaches the truth (1, 1) of the 1-layer net from the Sobol starts.

    Parameters
    ----------
    compare : hw6lib.problem1.depths.DepthComparison
        :func:`hw6lib.problem1.depths.compare_depths`: ``one_layer_from_starts`` and the depth-1
        row.

    Returns
    -------
    Markup
    """
    o = compare.one_layer_from_starts
    if o.reaches_zero:
        return Markup(
            "BFGS gets there from starts that are not the answer: from {} of the {} Sobol starts "
            "(the closest {} away from (1, 1)) it ends at {}, training MSE {}, below {}."
        ).format(
            o.reached_truth,
            o.starts,
            format_number(o.nearest_start_distance, 3),
            weights(o.truth_weights, 6),
            format_number(o.truth_fun, 3, "e"),
            format_number(o.zero_mse, 1, "e"),
        )
    if o.reached_truth:
        return Markup(
            "From {} of the {} Sobol starts (the closest {} away from (1, 1)) BFGS ends within {} "
            "of (1, 1), but its training error stays at {}, above {}."
        ).format(
            o.reached_truth,
            o.starts,
            format_number(o.nearest_start_distance, 3),
            format_number(o.truth_weight_tol, 1, "e"),
            format_number(o.truth_fun, 3, "e"),
            format_number(o.zero_mse, 1, "e"),
        )
    r1 = _row(compare, 1)
    return Markup(
        "None of the {} Sobol starts leads BFGS to (1, 1); the best 1-layer fit found has MSE {} "
        "at {}."
    ).format(o.starts, format_number(r1.best_fun, 3, "e"), weights(r1.best_weights))


def zeros_sentence(compare: DepthComparison) -> Markup:
    """Whether the published 2-layer fit from zeros reaches the best minimum found.

    Parameters
    ----------
    compare : hw6lib.problem1.depths.DepthComparison
        :func:`hw6lib.problem1.depths.compare_depths` (its depth-2 row: ``zeros_above_best``,
        ``zeros_fun``, ``n_minima``).

    Returns
    -------
    Markup
    """
    r2 = _row(compare, 2)
    if r2.zeros_above_best:
        return Markup(
            "The published fit from zeros is worse still, {}: BFGS from {} stops in a poorer "
            "local minimum\n(the multi-start found {} distinct minima for the 2-layer net), so "
            "part of its gap is bad optimisation, not only the architecture."
        ).format(format_number(r2.zeros_fun, 4, "e"), tex("w = 0"), r2.n_minima)
    return Markup(
        "The published fit from zeros, {}, reaches the best minimum found (of {} distinct "
        "minima), so the whole gap is the architecture’s."
    ).format(format_number(r2.zeros_fun, 4, "e"), r2.n_minima)


def by_depth(records: Sequence[Any], depth: int) -> Any:
    """Pick the record of ``depth`` among per-depth records."""
    return next(r for r in records if r.depth == depth)


def _row(compare: DepthComparison, depth: int) -> DepthRow:
    return by_depth(compare.rows, depth)


@dataclass(frozen=True)
class Problem1Narrative:
    """Everything the Problem 1 section says that depends on a result (:func:`problem1_narrative`).

    ``gradcheck`` (sentences), ``fit_rows`` (per fit, :func:`fit_rows`), ``published_note``,
    ``nfev_analytic``/``nfev_fd`` (loss evaluations from zeros over all depths), ``one``/``two``
    (the comparison rows of depth 1 and 2), ``one_layer`` and ``zeros`` (sentences).
    """

    gradcheck: list[Markup]
    fit_rows: list[FitRows]
    published_note: list[Markup]
    nfev_analytic: int
    nfev_fd: int
    one: DepthRow
    two: DepthRow
    one_layer: Markup
    zeros: Markup


def problem1_narrative(p1: Mapping[str, Any]) -> Problem1Narrative:
    """Everything the Problem 1 section says that depends on a result.

    Parameters
    ----------
    p1 : mapping
        ``fits`` (:class:`hw6lib.problem1.depths.DepthFit`, per depth), ``compare``
        (:class:`hw6lib.problem1.depths.DepthComparison`), ``gradcheck``
        (:func:`hw6lib.problem1.gradcheck.check_gradients`).

    Returns
    -------
    Problem1Narrative
    """
    fits = p1["fits"]
    compare = p1["compare"]
    return Problem1Narrative(
        gradcheck=gradcheck_sentences(p1["gradcheck"].claims),
        fit_rows=[fit_rows(f) for f in fits],
        published_note=published_note(fits),
        nfev_analytic=sum(f.analytic_from_zeros.nfev for f in fits),
        nfev_fd=sum(f.published_reproduction.nfev for f in fits),
        one=_row(compare, 1),
        two=_row(compare, 2),
        one_layer=one_layer_sentence(compare),
        zeros=zeros_sentence(compare),
    )
