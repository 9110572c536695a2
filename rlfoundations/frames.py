"""Results as labelled data: pandas DataFrames, xarray Datasets, and HTML tables for notebooks.

The result classes' ``to_pandas()``, ``to_xarray()``, ``episodes()`` and ``_repr_html_`` call
the functions here. pandas and xarray are the optional extra ``data``:
``pip install 'rlfoundations[data]'``; they are imported when a table is built, not when this
module is. The HTML tables need neither.

Every number here is read or derived from the result's own arrays; the exact values of a
greedy policy and its gap to optimal need the model (``mdp=``), which a result does not hold.
"""

from __future__ import annotations

import html
from importlib import import_module
from typing import TYPE_CHECKING, Any

import numpy as np

from rlfoundations._validate import check_mdp
from rlfoundations.errors import InvalidValueError

if TYPE_CHECKING:
    import pandas
    import xarray

    from rlfoundations.mdp import TabularMDP
    from rlfoundations.results import LearningResult, PlanningResult, SweepResult

__all__ = [
    "episodes_frame",
    "final_values",
    "optimal_value",
    "planning_frame",
    "sweep_dataset",
    "sweep_frame",
]

INSTALL_HINT = "pip install 'rlfoundations[data]'"


def _require(module: str):
    """Import pandas or xarray, or say how to install them."""
    try:
        return import_module(module)
    except ImportError as error:
        raise ImportError(
            f"this needs {module}, an optional dependency; install it with {INSTALL_HINT}"
        ) from error


# -- values derived with the model ------------------------------------------------------------
def _check_model_fits(mdp: TabularMDP, n_states: int, n_actions: int) -> TabularMDP:
    mdp = check_mdp(mdp)
    if (mdp.n_states, mdp.n_actions) != (n_states, n_actions):
        raise InvalidValueError(
            f"mdp has {mdp.n_states} states and {mdp.n_actions} actions, but the result has "
            f"{n_states} and {n_actions}: pass the model the result was computed on"
        )
    return mdp


def optimal_value(mdp: TabularMDP, gamma: float | None) -> float:
    """Optimal expected return from ``mdp.initial``, ``initial @ V*``, by value iteration.

    Epsilon 1e-10: within 1e-10 of the exact value for ``gamma < 1``. With ``gamma`` None
    (the average-reward learners), the optimal gain instead.
    """
    from rlfoundations.planning import value_iteration

    if gamma is None:
        from rlfoundations.average import average_reward_policy_iteration, relative_value_iteration
        from rlfoundations.errors import InvalidValueError

        try:
            return float(relative_value_iteration(mdp).gain)
        except InvalidValueError:  # several closed classes: a gain per state
            return float(average_reward_policy_iteration(mdp).gain)
    return float(mdp.initial @ value_iteration(mdp, gamma, epsilon=1e-10).values)


def final_values(result: SweepResult, mdp: TabularMDP) -> np.ndarray:
    """Exact state values of every run's final greedy policy, shape (runs, S).

    The last learning-curve row when the curve was recorded at ``total_steps``; otherwise
    each final policy is evaluated exactly. NaN rows where, with ``gamma = 1``, the policy
    never ends the episode.
    """
    from rlfoundations.batch import AVERAGE_REWARD, greedy_gains, greedy_values

    if result.curve_values is not None and int(result.curve_steps[-1]) == result.total_steps:  # type: ignore[index]
        return np.asarray(result.curve_values[:, -1, :])
    if result.algorithm in AVERAGE_REWARD:
        return np.stack([greedy_gains(mdp, result.policy[run]) for run in range(result.n_runs)])
    return np.stack(
        [
            greedy_values(mdp, result.policy[run], float(result.params[run]["gamma"]))
            for run in range(result.n_runs)
        ]
    )


def _checkpoints(result: SweepResult, mdp: TabularMDP | None):
    """Steps and per-run state values (or None) at every checkpoint.

    The checkpoints are the learning curve's evaluations, or the end of the runs when no curve was
    recorded.
    """
    if result.curve_steps is not None:
        return np.asarray(result.curve_steps), result.curve_values
    steps = np.array([result.total_steps])
    if mdp is None:
        return steps, None
    return steps, final_values(result, mdp)[:, None, :]


def _episode_stats(result: SweepResult, run: int, steps: np.ndarray):
    """Episodes finished by each checkpoint, and the mean return of those newly finished.

    The mean return is over the episodes finished since the previous checkpoint (NaN where none
    finished).
    """
    n = int(result.n_episodes[run])
    ends = np.cumsum(result.episode_lengths[run, :n])
    done = np.searchsorted(ends, steps, side="right")
    returns = result.episode_returns[run, :n]
    means = np.full(steps.shape[0], np.nan)
    start = 0
    for index, stop in enumerate(done):
        if stop > start:
            means[index] = returns[start:stop].mean()
        start = stop
    return done, means


# -- DataFrames --------------------------------------------------------------------------------
def sweep_frame(result: SweepResult, mdp: TabularMDP | None = None) -> pandas.DataFrame:
    """One row per run and checkpoint; see :meth:`rlfoundations.SweepResult.to_pandas`."""
    pd = _require("pandas")
    _, n_states, n_actions = result.q_values.shape
    if mdp is not None:
        mdp = _check_model_fits(mdp, n_states, n_actions)
    steps, values = _checkpoints(result, mdp)
    optimum = {}
    columns: dict[str, list] = {"algorithm": [], "run": []}
    names = list(result.params[0])
    for name in names:
        columns[name] = []
    # Episodes may not have been recorded (a learner's record_episodes=False): no columns then.
    has_episodes = getattr(result, "episode_lengths", None) is not None
    columns["steps"] = []
    if has_episodes:
        columns |= {"episodes": [], "mean_return": []}
    if mdp is not None:
        columns |= {"value": [], "gap": []}
    for run in range(result.n_runs):
        params = result.params[run]
        if has_episodes:
            done, means = _episode_stats(result, run, steps)
        for index, step in enumerate(steps):
            columns["algorithm"].append(result.algorithm)
            columns["run"].append(run)
            for name in names:
                columns[name].append(params[name])
            columns["steps"].append(int(step))
            if has_episodes:
                columns["episodes"].append(int(done[index]))
                columns["mean_return"].append(float(means[index]))
            if mdp is not None:
                gamma = float(params["gamma"]) if "gamma" in params else None
                if gamma not in optimum:
                    optimum[gamma] = optimal_value(mdp, gamma)
                value = float(mdp.initial @ values[run, index])
                columns["value"].append(value)
                columns["gap"].append(optimum[gamma] - value)
    frame = pd.DataFrame(columns)
    frame["seed"] = frame["seed"].astype("uint64")
    return frame


def episodes_frame(result: LearningResult) -> pandas.DataFrame:
    """One row per finished episode; see :meth:`rlfoundations.LearningResult.episodes`."""
    pd = _require("pandas")
    if getattr(result, "episode_lengths", None) is None:
        raise InvalidValueError("this run recorded no episodes; learn with record_episodes=True")
    lengths = np.asarray(result.episode_lengths)
    return pd.DataFrame(
        {
            "episode": np.arange(lengths.shape[0]),
            "return": np.asarray(result.episode_returns),
            "length": lengths,
            "end_step": np.cumsum(lengths),
        }
    )


def planning_frame(result: PlanningResult, mdp: TabularMDP | None = None) -> pandas.DataFrame:
    """One row per state; see :meth:`rlfoundations.PlanningResult.to_pandas`."""
    pd = _require("pandas")
    n_states, n_actions = result.q_values.shape
    columns: dict[str, np.ndarray] = {}
    if mdp is not None:
        mdp = _check_model_fits(mdp, n_states, n_actions)
        if mdp.factors is not None:
            sizes = tuple(size for _, size in mdp.factors)
            decoded = np.unravel_index(np.arange(n_states), sizes)
            for (name, _), value in zip(mdp.factors, decoded, strict=True):
                columns[name] = value
    columns["value"] = np.asarray(result.values)
    columns["action"] = np.asarray(result.policy)
    for action in range(n_actions):
        columns[f"q_{action}"] = np.asarray(result.q_values[:, action])
    sorted_q = np.sort(result.q_values, axis=1)
    columns["action_gap"] = (
        sorted_q[:, -1] - sorted_q[:, -2] if n_actions > 1 else np.full(n_states, np.nan)
    )
    if result.non_terminating is not None:
        columns["non_terminating"] = np.asarray(result.non_terminating)
    frame = pd.DataFrame(columns)
    frame.index.name = "state"
    return frame


# -- xarray ------------------------------------------------------------------------------------
def _grid_axes(result: SweepResult) -> tuple[list[str], list[list]]:
    """The swept parameters and their values, checked to form the full grid in run order."""
    names = [name for name in result.params[0] if name != "seed"]
    axes = []
    for name in [*names, "seed"]:
        values = []
        for params in result.params:
            if params[name] not in values:
                values.append(params[name])
        axes.append(values)
    points = list(np.ndindex(*(len(values) for values in axes)))
    if len(points) != result.n_runs:
        raise InvalidValueError(
            f"the {result.n_runs} runs do not form a full grid of {len(points)} points; "
            "use to_pandas() for such a result"
        )
    for run, (point, params) in enumerate(zip(points, result.params, strict=True)):
        wanted = {name: axes[i][point[i]] for i, name in enumerate([*names, "seed"])}
        if wanted != params:
            raise InvalidValueError(
                f"the runs do not form a grid in run order (run {run} has {params}, a grid "
                f"would have {wanted}); use to_pandas() for such a result"
            )
    return names, axes


def sweep_dataset(result: SweepResult, mdp: TabularMDP | None = None) -> xarray.Dataset:
    """Dims: the swept parameters x seed x checkpoint [x state].

    See :meth:`rlfoundations.SweepResult.to_xarray`.
    """
    xr = _require("xarray")
    _, n_states, n_actions = result.q_values.shape
    if mdp is not None:
        mdp = _check_model_fits(mdp, n_states, n_actions)
    names, axes = _grid_axes(result)
    dims = [*names, "seed"]
    shape = tuple(len(values) for values in axes)
    steps, values = _checkpoints(result, mdp)
    coords: dict[str, Any] = {
        name: np.asarray(values_) for name, values_ in zip(dims, axes, strict=True)
    }
    coords["seed"] = coords["seed"].astype(np.uint64)
    coords["steps"] = ("checkpoint", steps)
    variables = {}
    if getattr(result, "n_episodes", None) is not None:
        variables["n_episodes"] = (dims, np.asarray(result.n_episodes).reshape(shape))
    variables |= {
        "policy": ([*dims, "state"], np.asarray(result.policy).reshape(*shape, n_states)),
        "q_values": (
            [*dims, "state", "action"],
            np.asarray(result.q_values).reshape(*shape, n_states, n_actions),
        ),
    }
    if values is not None:
        variables["state_value"] = (
            [*dims, "checkpoint", "state"],
            np.asarray(values).reshape(*shape, steps.shape[0], n_states),
        )
    if mdp is not None:
        value = values @ mdp.initial
        optimum = np.array(
            [optimal_value(mdp, float(p["gamma"]) if "gamma" in p else None) for p in result.params]
        )
        variables["value"] = ([*dims, "checkpoint"], value.reshape(*shape, steps.shape[0]))
        variables["gap"] = (
            [*dims, "checkpoint"],
            (optimum[:, None] - value).reshape(*shape, steps.shape[0]),
        )
    return xr.Dataset(variables, coords=coords, attrs={"algorithm": result.algorithm})


# -- HTML for notebooks -----------------------------------------------------------------------
def _cell(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return html.escape(str(value))


def html_table(title: str, rows: list[tuple[str, object]], header=None, body=None) -> str:
    """A small two-part HTML table: ``rows`` of (name, value), then an optional grid."""
    parts = [f"<div><strong>{html.escape(title)}</strong>", "<table>"]
    parts += [f"<tr><th>{html.escape(name)}</th><td>{_cell(v)}</td></tr>" for name, v in rows]
    parts.append("</table>")
    if header is not None:
        parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
        parts.append("</tr>")
        for line in body:
            parts.append("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in line) + "</tr>")
        parts.append("</table>")
    parts.append("</div>")
    return "\n".join(parts)


def planning_html(result: PlanningResult, max_rows: int = 10) -> str:
    """The summary and the first states' values, actions and Q-values."""
    n_states, n_actions = result.q_values.shape
    rows = [
        ("method", result.method),
        ("gamma", result.gamma),
        ("states", n_states),
        ("actions", n_actions),
        ("iterations", result.iterations),
        ("converged", result.converged),
    ]
    header = ["state", "value", "action", *(f"Q(s, {a})" for a in range(n_actions))]
    body = [
        [s, result.values[s], int(result.policy[s]), *result.q_values[s]]
        for s in range(min(n_states, max_rows))
    ]
    if n_states > max_rows:
        body.append(["...", "", "", *([""] * n_actions)])
    return html_table("PlanningResult", rows, header, body)


def sweep_html(result: SweepResult) -> str:
    """The summary, the grid's axes, and the episodes of every run."""
    _, n_states, n_actions = result.q_values.shape
    axes: dict[str, list] = {}
    for params in result.params:
        for name, value in params.items():
            axes.setdefault(name, [])
            if value not in axes[name]:
                axes[name].append(value)
    rows = [
        ("algorithm", result.algorithm),
        ("runs", result.n_runs),
        ("states x actions", f"{n_states} x {n_actions}"),
        ("steps per run", result.total_steps),
        (
            "episodes per run",
            "not recorded"
            if getattr(result, "n_episodes", None) is None
            else f"{int(result.n_episodes.min())} to {int(result.n_episodes.max())}",
        ),
        ("evaluations", 0 if result.curve_steps is None else len(result.curve_steps)),
        ("interrupted", result.interrupted),
    ]
    header = ["parameter", "values"]
    body = [
        [name, ", ".join(map(str, values[:8])) + (", ..." if len(values) > 8 else "")]
        for name, values in axes.items()
    ]
    return html_table("SweepResult", rows, header, body)


def model_check_html(check) -> str:
    """A :class:`rlfoundations.ModelCheck` as a table, with its first mismatches."""
    rows = [
        ("ok", check.ok),
        ("transitions sampled", check.n_samples),
        ("impossible transitions seen", len(check.mismatches)),
        ("max frequency error", check.max_frequency_error),
        ("tolerance", check.tolerance),
        ("pairs compared / visited", f"{check.compared_pairs} / {check.visited_pairs}"),
    ]
    if not check.mismatches:
        return html_table("ModelCheck", rows)
    header = ["mismatch"]
    body = [[repr(mismatch)] for mismatch in check.mismatches[:10]]
    return html_table("ModelCheck", rows, header, body)
