"""Comparing learners with the statistics of Agarwal et al. (2021), on exact scores.

Every greedy policy here is evaluated exactly (:func:`rlfoundations.policy_evaluation` on the
model), so a run's score, its gap to the optimal expected return, carries no evaluation noise:
what varies between runs is the seed alone. :func:`compare` summarises that variation as
rliable does: per group the interquartile mean (IQM, the 25% trimmed mean) and the median
with stratified percentile-bootstrap confidence intervals, the probability of improvement
between every two groups, and performance profiles (the fraction of runs whose gap is at most
``tau``, for every ``tau``). With ``adaptive=True`` it runs the sweeps itself and adds seeds,
a batch at a time, until the ordering of the groups is decided at the stated confidence.

Scores are gaps: lower is better. The statistics' definitions follow rliable's
(``rliable/metrics.py``), written here in NumPy; its own test values are in the tests.

References
----------
R. Agarwal, M. Schwarzer, P. S. Castro, A. Courville, M. G. Bellemare, "Deep Reinforcement
Learning at the Edge of the Statistical Precipice", NeurIPS 2021.
T. Mathieu, R. Della Vecchia, A. Shilova, M. Centa de Medeiros, H. Kohler, O.-A. Maillard,
P. Preux, "AdaStop: adaptive statistical testing for sound comparisons of Deep RL agents", 2023.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from rlfoundations._validate import (
    check_bool,
    check_count,
    check_mdp,
    check_seed,
    is_number,
)
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.results import SweepResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Comparison",
    "bootstrap_ci",
    "compare",
    "iqm",
    "performance_profile",
    "probability_of_improvement",
]

#: Gaps closer than this (relative to the optimum, when above 1) are ties, and gaps this close
#: to 0 are 0: two optimal policies evaluated apart differ by rounding.
TIE_TOLERANCE = 1e-9


# -- the statistics ------------------------------------------------------------------------------
def iqm(scores: npt.ArrayLike, axis: int | None = None) -> np.ndarray | float:
    """Interquartile mean: the mean of the scores left after cutting a quarter from each end.

    ``int(n / 4)`` are cut from each end of the sorted scores (scipy's ``trim_mean(scores, 0.25)``,
    rliable's IQM).

    Examples
    --------
    >>> from rlfoundations.compare import iqm
    >>> iqm([1, 1, 2, 2, 3, 3])  # cut one from each end: mean of [1, 2, 2, 3]
    2.0
    """
    scores = np.asarray(scores, dtype=float)
    if axis is None:
        scores, axis = scores.ravel(), 0
    scores = np.sort(np.moveaxis(scores, axis, -1), axis=-1)
    n = scores.shape[-1]
    cut = int(0.25 * n)
    middle = scores[..., cut : n - cut].mean(axis=-1)
    return float(middle) if np.ndim(middle) == 0 else middle


def probability_of_improvement(
    gaps_x: npt.ArrayLike, gaps_y: npt.ArrayLike, tolerance: float = TIE_TOLERANCE
) -> float:
    """``P(X better than Y)``: the chance that a run of X has a lower gap than a run of Y.

    Ties count one half (the Mann-Whitney statistic over ``n * m``, as rliable).

    Examples
    --------
    >>> from rlfoundations.compare import probability_of_improvement
    >>> probability_of_improvement([0.0, 1.0], [1.0, 2.0])  # 3 wins and a tie, of 4 pairs
    0.875
    """
    x, y = np.asarray(gaps_x, float)[None], np.asarray(gaps_y, float)[None]
    return float(_poi(x, y, tolerance)[0])


def _poi(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Probability of improvement of every row of ``x`` over the same row of ``y``.

    A block of rows at a time (the pairwise differences of all rows at once could take gigabytes).
    """
    out = np.empty(x.shape[0])
    rows = max(1, _PAIRS_PER_BLOCK // (x.shape[1] * y.shape[1]))
    for start in range(0, x.shape[0], rows):
        stop = start + rows
        difference = y[start:stop, None, :] - x[start:stop, :, None]
        wins = (difference > tolerance).sum(axis=(1, 2))
        ties = (np.abs(difference) <= tolerance).sum(axis=(1, 2))
        out[start:stop] = (wins + 0.5 * ties) / (x.shape[1] * y.shape[1])
    return out


#: Pairwise differences held at once by :func:`_poi` (8 MB of floats).
_PAIRS_PER_BLOCK = 1_000_000


def performance_profile(gaps: npt.ArrayLike, thresholds: npt.ArrayLike) -> np.ndarray:
    """The fraction of runs whose gap is at most each threshold ``tau``.

    rliable's run-score distribution, for a score where lower is better.

    Examples
    --------
    >>> from rlfoundations.compare import performance_profile
    >>> performance_profile([0.0, 0.5, 2.0, 4.0], [0.0, 1.0, 4.0]).tolist()
    [0.25, 0.5, 1.0]
    """
    gaps = np.asarray(gaps, dtype=float)
    thresholds = np.asarray(thresholds, dtype=float)
    return (gaps[..., None, :] <= thresholds[:, None] + TIE_TOLERANCE).mean(axis=-1)


def _resample(scores: np.ndarray, strata: np.ndarray, reps: int, rng) -> np.ndarray:
    """``reps`` stratified bootstrap samples, shape (reps, n).

    Within every stratum, its runs drawn with replacement, as many as it has (rliable's
    StratifiedBootstrap, strata here being the settings pooled in one group).
    """
    samples = np.empty((reps, scores.shape[0]))
    start = 0
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        picks = rng.integers(0, members.shape[0], size=(reps, members.shape[0]))
        samples[:, start : start + members.shape[0]] = scores[members][picks]
        start += members.shape[0]
    return samples


def bootstrap_ci(
    scores: npt.ArrayLike,
    statistic: Callable[..., Any],
    *,
    strata: npt.ArrayLike | None = None,
    confidence: float = 0.95,
    reps: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``statistic(samples, axis=1)``.

    Parameters
    ----------
    scores : array_like, shape (n,)
    statistic : callable
        ``statistic(samples, axis=1)`` of a (reps, n) array, as ``np.median`` or :func:`iqm`.
    strata : array_like, shape (n,), optional
        Labels: runs are resampled within their stratum (default: one stratum).
    confidence : float
        Coverage of the interval, in (0, 1).
    reps : int
        Bootstrap samples.
    seed : int
        Seed of the resampling (same seed, same interval).

    Examples
    --------
    >>> import numpy as np
    >>> from rlfoundations.compare import bootstrap_ci, iqm
    >>> low, high = bootstrap_ci(np.arange(20.0), iqm, confidence=0.9)
    >>> bool(low < 9.5 < high)
    True
    """
    scores = np.asarray(scores, dtype=float)
    strata = np.zeros(scores.shape[0]) if strata is None else np.asarray(strata)
    confidence = _check_confidence(confidence)
    samples = _resample(scores, strata, check_count("reps", reps), np.random.default_rng(seed))
    values = statistic(samples, axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def _check_thresholds(thresholds) -> np.ndarray | None:
    """None, or the profile's gap thresholds as a new 1-d array of finite floats."""
    if thresholds is None:
        return None
    try:
        array = np.array(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"thresholds must be numbers or None, got {thresholds!r}") from None
    if np.asarray(thresholds).dtype.kind not in "iuf" or array.ndim != 1 or array.size == 0:
        raise InvalidValueError(
            f"thresholds must be a non-empty 1-d array of numbers, got {thresholds!r}"
        )
    if not np.isfinite(array).all():
        raise InvalidValueError(f"thresholds must be finite, got {thresholds!r}")
    return array


def _check_confidence(confidence) -> float:
    if not is_number(confidence):
        raise InvalidTypeError(f"confidence must be a number in (0, 1), got {confidence!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise InvalidValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(confidence)


# -- scores of sweeps --------------------------------------------------------------------------
def _run_scores(result: SweepResult, mdp: TabularMDP, metric: str) -> np.ndarray:
    """Every run's final gap, or its mean gap over the learning curve.

    The mean gap is the area under the gap curve divided by the steps it spans.
    """
    from rlfoundations.frames import final_values, optimal_value

    gammas = np.array([float(p["gamma"]) for p in result.params])
    optimum = {gamma: optimal_value(mdp, gamma) for gamma in np.unique(gammas)}
    best = np.array([optimum[gamma] for gamma in gammas])
    if metric == "final_gap":
        return _clean(best - final_values(result, mdp) @ mdp.initial, best)
    if result.curve_values is None or len(result.curve_steps) < 2:  # type: ignore[arg-type]
        raise InvalidValueError(
            "metric='auc' needs learning curves of at least two evaluations: pass eval_every "
            "to the sweep, or use metric='final_gap'"
        )
    gaps = best[:, None] - result.curve_values @ mdp.initial
    steps = np.asarray(result.curve_steps, dtype=float)
    widths = np.diff(steps)
    area = ((gaps[:, 1:] + gaps[:, :-1]) / 2.0 * widths).sum(axis=1)
    return _clean(area / (steps[-1] - steps[0]), best)


def _clean(gaps: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Gaps within rounding of 0 as 0.

    The optimum (value iteration to 1e-10) and a policy's exact value are two computations of one
    number when the policy is optimal.
    """
    return np.where(np.abs(gaps) <= TIE_TOLERANCE * np.maximum(1.0, np.abs(best)), 0.0, gaps)


def _groups(results: Mapping[str, SweepResult], by: str, mdp, metric):
    """Group label -> (scores, strata): by algorithm or by a parameter.

    By algorithm, one group per sweep; by a parameter, one per value of it (within each sweep when
    there are several).
    """
    groups: dict[str, tuple[list, list]] = {}
    for name, result in results.items():
        scores = _run_scores(result, mdp, metric)
        for run, params in enumerate(result.params):
            setting = tuple((k, v) for k, v in params.items() if k != "seed")
            if by == "algorithm":
                label = name
            else:
                if by not in params:
                    raise InvalidValueError(
                        f"by must be 'algorithm' or a parameter of the runs "
                        f"({sorted(k for k in params if k != 'seed')}), got {by!r}"
                    )
                label = f"{by}={params[by]}"
                if len(results) > 1:
                    label = f"{name}, {label}"
            groups.setdefault(label, ([], []))
            groups[label][0].append(scores[run])
            groups[label][1].append(hash(setting) if by == "algorithm" else hash((name, setting)))
    return {label: (np.array(s), np.array(t)) for label, (s, t) in groups.items()}


# -- the comparison ----------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    groups : tuple of str
        Group labels, best IQM (lowest gap) first.
    metric : str
        ``"final_gap"`` or ``"auc"`` (the mean gap over the learning curve).
    scores : dict of str to ndarray
        Every run's score, per group (lower is better).
    iqm, median : dict of str to float
    iqm_ci, median_ci : dict of str to (float, float)
        Stratified percentile-bootstrap intervals at ``confidence``.
    probability_of_improvement : ndarray, shape (G, G)
        ``[i, j]``: P(a run of ``groups[i]`` has a lower gap than one of ``groups[j]``).
    improvement_ci : ndarray, shape (G, G, 2)
        Its bootstrap intervals.
    thresholds : ndarray, shape (T,)
        The ``tau`` of the performance profiles.
    profiles : dict of str to ndarray, shape (T,)
        Fraction of the group's runs with gap ``<= tau``.
    confidence : float
    n_seeds : dict of str to int
        Runs per group (with ``adaptive``: how many it took).
    decided : bool or None
        With ``adaptive``: whether every neighbouring pair of the ordering was decided
        (its improvement interval, Bonferroni-corrected over pairs and looks, above 1/2)
        before ``max_seeds``; None otherwise.
    """

    groups: tuple
    metric: str
    scores: dict
    iqm: dict
    iqm_ci: dict
    median: dict
    median_ci: dict
    probability_of_improvement: np.ndarray
    improvement_ci: np.ndarray
    thresholds: np.ndarray
    profiles: dict
    confidence: float
    n_seeds: dict
    decided: bool | None = None

    def rows(self) -> list[dict]:
        """The summary table, one dict per group."""
        return [
            {
                "group": group,
                "runs": self.n_seeds[group],
                "iqm": self.iqm[group],
                "iqm_low": self.iqm_ci[group][0],
                "iqm_high": self.iqm_ci[group][1],
                "median": self.median[group],
                "median_low": self.median_ci[group][0],
                "median_high": self.median_ci[group][1],
                "p_better_than_next": (
                    float(self.probability_of_improvement[i, i + 1])
                    if i + 1 < len(self.groups)
                    else float("nan")
                ),
            }
            for i, group in enumerate(self.groups)
        ]

    def to_pandas(self) -> pd.DataFrame:
        """:meth:`rows` as a DataFrame (needs the extra ``data``)."""
        from rlfoundations.frames import _require

        return _require("pandas").DataFrame(self.rows())

    def __str__(self) -> str:
        level = f"{self.confidence:.0%}"
        what = "final gap" if self.metric == "final_gap" else "mean gap over the curve"
        lines = [
            f"{what} to the optimal expected return (lower is better), {level} intervals",
            f"{'group':<28} {'runs':>5} {'IQM':>10} {'[' + level + ' CI]':>23} "
            f"{'median':>10} {'P(better than next)':>20}",
        ]
        for row in self.rows():
            ci = f"[{row['iqm_low']:.4g}, {row['iqm_high']:.4g}]"
            better = (
                "" if np.isnan(row["p_better_than_next"]) else f"{row['p_better_than_next']:.3f}"
            )
            lines.append(
                f"{row['group']:<28} {row['runs']:>5} {row['iqm']:>10.4g} {ci:>23} "
                f"{row['median']:>10.4g} {better:>20}"
            )
        if self.decided is not None:
            lines.append(
                "ordering decided" if self.decided else "ordering NOT decided at max_seeds"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Comparison(metric={self.metric!r}, groups={list(self.groups)}, "
            f"confidence={self.confidence})"
        )

    def _repr_html_(self) -> str:
        from rlfoundations.frames import html_table

        header = list(self.rows()[0])
        body = [list(row.values()) for row in self.rows()]
        return html_table(f"Comparison ({self.metric})", [], header, body)


def _as_results(results) -> dict[str, SweepResult]:
    if isinstance(results, SweepResult):
        return {results.algorithm: results}
    if isinstance(results, Mapping):
        named = dict(results)
    elif isinstance(results, Sequence) and not isinstance(results, str):
        named = {}
        for result in results:
            if not isinstance(result, SweepResult):
                break
            if result.algorithm in named:
                raise InvalidValueError(
                    f"two sweeps of {result.algorithm!r}: pass a dict name -> SweepResult"
                )
            named[result.algorithm] = result
        else:
            return named
        raise InvalidTypeError(f"results must hold SweepResults, got {type(result).__name__}")
    else:
        raise InvalidTypeError(
            "results must be a SweepResult, a list of them or a dict name -> SweepResult, "
            f"got {type(results).__name__}"
        )
    if not named:
        raise InvalidValueError("results must not be empty")
    for name, result in named.items():
        if not isinstance(result, SweepResult):
            raise InvalidTypeError(
                f"results[{name!r}] must be a SweepResult, got {type(result).__name__}"
            )
    return named


def _summarise(groups, metric, confidence, reps, seed, thresholds, n_seeds, decided):
    rng = np.random.default_rng(seed)
    labels = list(groups)
    tail = (1.0 - confidence) / 2.0
    samples = {
        label: _resample(scores, strata, reps, rng) for label, (scores, strata) in groups.items()
    }
    stats = {label: iqm(scores) for label, (scores, _) in groups.items()}
    order = sorted(labels, key=lambda label: (stats[label], labels.index(label)))

    def interval(values):
        low, high = np.quantile(values, [tail, 1.0 - tail])
        return float(low), float(high)

    size = len(order)
    poi = np.full((size, size), 0.5)
    poi_ci = np.full((size, size, 2), 0.5)
    for i, first in enumerate(order):
        for j, second in enumerate(order):
            if i != j:
                x, y = groups[first][0], groups[second][0]
                poi[i, j] = _poi(x[None], y[None], TIE_TOLERANCE)[0]
                poi_ci[i, j] = interval(_poi(samples[first], samples[second], TIE_TOLERANCE))
    if thresholds is None:
        everything = np.concatenate([scores for scores, _ in groups.values()])
        grid = np.linspace(0.0, max(float(everything.max()), TIE_TOLERANCE), 101)
        thresholds = np.unique(np.concatenate([grid, everything]))  # every step of a profile
    thresholds = np.asarray(thresholds, dtype=float)
    return Comparison(
        groups=tuple(order),
        metric=metric,
        scores={label: groups[label][0] for label in order},
        iqm={label: stats[label] for label in order},
        iqm_ci={label: interval(iqm(samples[label], axis=1)) for label in order},
        median={label: float(np.median(groups[label][0])) for label in order},
        median_ci={label: interval(np.median(samples[label], axis=1)) for label in order},
        probability_of_improvement=poi,
        improvement_ci=poi_ci,
        thresholds=thresholds,
        profiles={label: performance_profile(groups[label][0], thresholds) for label in order},
        confidence=confidence,
        n_seeds={label: int(groups[label][0].shape[0]) for label in order},
        decided=decided,
    )


def compare(
    results: SweepResult
    | Sequence[SweepResult]
    | Mapping[str, SweepResult]
    | Mapping[str, Mapping[str, Any]],
    by: str = "algorithm",
    *,
    mdp: TabularMDP,
    metric: Literal["final_gap", "auc"] = "final_gap",
    confidence: float = 0.95,
    reps: int = 2000,
    seed: int = 0,
    thresholds: npt.ArrayLike | None = None,
    adaptive: bool = False,
    gamma: float | None = None,
    n_steps: int | None = None,
    eval_every: int | None = None,
    seeds_per_batch: int = 5,
    max_seeds: int = 50,
) -> Comparison:
    """Compare learners (or settings of one) by the exact gap of their greedy policies.

    Parameters
    ----------
    results : SweepResult, list of SweepResult, or dict
        What to compare. A sweep result holds one algorithm; several are combined as a list
        (named by their ``algorithm``) or a dict ``name -> SweepResult`` (to compare, say,
        two settings of one learner under names of your choice). With ``adaptive=True``: a
        dict ``name -> dict of sweep arguments`` (``{"q": {"algorithm": "q_learning",
        "alpha": 0.5}}``), run here with ``gamma``, ``n_steps`` and ``eval_every``.
    by : str
        ``"algorithm"``: one group per name. A parameter name (``"alpha"``, ...): one group
        per value of it; the other settings within a group are the strata of the bootstrap.
    mdp : TabularMDP
        The model the runs learned on: it scores every final policy exactly.
    metric : {"final_gap", "auc"}
        A run's score: the gap ``initial @ (V* - V^pi)`` of its final greedy policy, or the
        mean of that gap over the learning curve (the area under it divided by the steps it
        spans; needs ``eval_every``). Lower is better.
    confidence : float
        Coverage of every interval.
    reps : int
        Bootstrap samples.
    seed : int
        Seed of the bootstrap.
    thresholds : array_like, optional
        The ``tau`` of the performance profiles (default: every observed gap, and 101
        evenly spaced from 0 to the largest).
    adaptive : bool
        Run the sweeps here, ``seeds_per_batch`` seeds at a time, until every two groups
        next to each other in the IQM ordering are told apart (the lower bound of the
        better one's probability-of-improvement interval above 1/2, at the level
        ``confidence`` corrected by Bonferroni over the pairs and the batches allowed) or
        every group has ``max_seeds`` seeds; ``decided`` and ``n_seeds`` say which and how
        many. Group ``g`` (in the dict's order) runs seeds ``g * max_seeds`` onwards, so no two
        groups share a random stream.
    gamma, n_steps, eval_every
        With ``adaptive``: passed to :func:`rlfoundations.sweep`.
    seeds_per_batch, max_seeds : int
        With ``adaptive``: seeds added per batch and the most a group gets.

    Returns
    -------
    Comparison
        Groups best first, the table as ``str(comparison)`` or ``comparison.to_pandas()``;
        :func:`rlfoundations.plot.plot_comparison` draws it.

    Notes
    -----
    The scores carry no evaluation noise (each policy is evaluated exactly on the model),
    so the intervals measure the spread over seeds alone. Seeds run in sweeps are
    independent streams, so runs are independent samples and the bootstrap applies.
    The adaptive rule is in the spirit of AdaStop (sequential looks with an error budget
    spent over them), simpler and more conservative: a Bonferroni bound, not its
    permutation tests.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.from_env("CliffWalking-v1")
    >>> runs = {
    ...     name: rlf.sweep(mdp, name, gamma=0.9, n_steps=3_000, seeds=range(8), alpha=0.5)
    ...     for name in ("q_learning", "sarsa")
    ... }
    >>> comparison = rlf.compare(runs, mdp=mdp)
    >>> sorted(comparison.groups), comparison.n_seeds["sarsa"]
    (['q_learning', 'sarsa'], 8)
    """
    mdp = check_mdp(mdp)
    if metric not in ("final_gap", "auc"):
        raise InvalidValueError(f"metric must be 'final_gap' or 'auc', got {metric!r}")
    if not isinstance(by, str):
        raise InvalidTypeError(f"by must be 'algorithm' or a parameter name, got {by!r}")
    confidence = _check_confidence(confidence)
    reps = check_count("reps", reps)
    seed = check_seed(seed)
    thresholds = _check_thresholds(thresholds)
    adaptive = check_bool("adaptive", adaptive)
    if not adaptive:
        if gamma is not None or n_steps is not None or eval_every is not None:
            raise InvalidValueError(
                "gamma, n_steps and eval_every are for adaptive=True, which runs the sweeps"
            )
        named = _as_results(results)
        groups = _groups(named, by, mdp, metric)
        return _summarise(groups, metric, confidence, reps, seed, thresholds, None, None)
    batch = check_count("seeds_per_batch", seeds_per_batch)
    most = check_count("max_seeds", max_seeds)
    return _adaptive(
        results, by, mdp, metric, confidence, reps, seed, thresholds, gamma, n_steps,
        eval_every, batch, most,
    )  # fmt: skip


def _adaptive(
    specs, by, mdp, metric, confidence, reps, seed, thresholds, gamma, n_steps, eval_every,
    batch, max_seeds,
):  # fmt: skip
    from rlfoundations.sweeps import sweep

    if not isinstance(specs, Mapping) or not all(isinstance(v, Mapping) for v in specs.values()):
        raise InvalidTypeError(
            "with adaptive=True, results must be a dict name -> dict of sweep arguments "
            "(finished sweeps cannot be given more seeds)"
        )
    if not specs:
        raise InvalidValueError("results must not be empty")
    if gamma is None or n_steps is None:
        raise InvalidValueError("adaptive=True needs gamma and n_steps to run the sweeps")
    if max_seeds < batch:
        raise InvalidValueError(f"max_seeds must be >= seeds_per_batch ({batch}), got {max_seeds}")
    for name, spec in specs.items():
        clash = {"gamma", "n_steps", "eval_every", "seeds", "mdp"} & set(spec)
        if clash:
            raise InvalidValueError(f"results[{name!r}] must not set {sorted(clash)}")
    looks = -(-max_seeds // batch)
    scores: dict[str, tuple[list, list]] = {}
    n_seeds = 0
    decided = False
    comparison = None
    for look in range(looks):
        seeds = range(n_seeds, min(n_seeds + batch, max_seeds))
        n_seeds = seeds.stop
        # Each group draws its seeds from its own block: runs of different groups never share
        # a random stream, so the groups are independent samples.
        swept = {
            name: sweep(
                mdp, gamma=gamma, n_steps=n_steps, seeds=[group * max_seeds + s for s in seeds],
                eval_every=eval_every, **spec,
            )
            for group, (name, spec) in enumerate(specs.items())
        }  # fmt: skip
        for label, (group_scores, strata) in _groups(swept, by, mdp, metric).items():
            old = scores.setdefault(label, ([], []))
            old[0].extend(group_scores)
            old[1].extend(strata)
        groups = {label: (np.array(s), np.array(t)) for label, (s, t) in scores.items()}
        pairs = max(1, len(groups) - 1)
        level = 1.0 - (1.0 - confidence) / (pairs * looks)
        probe = _summarise(groups, metric, level, reps, seed + look, thresholds, None, None)
        decided = all(probe.improvement_ci[i, i + 1, 0] > 0.5 for i in range(len(groups) - 1))
        if decided or look == looks - 1:
            comparison = _summarise(groups, metric, confidence, reps, seed, thresholds, None, None)
            break
    return Comparison(**{**comparison.__dict__, "decided": decided})
