"""The shared argument checks: one wording, the caller's mistakes as InvalidValueError/TypeError."""

from __future__ import annotations

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations._validate import (
    check_actions,
    check_choice,
    check_count,
    check_fraction,
    check_policy,
    check_values,
)


def two_state_mdp() -> rlf.TabularMDP:
    return rlf.TabularMDP.from_dense(
        np.array([[[1.0, 0.0]] * 3, [[0.0, 1.0]] * 3]), np.ones((2, 3))
    )


@pytest.mark.parametrize("value", [0, 0.25, 1, np.float32(0.5)])
def test_check_fraction_accepts_numbers_in_the_unit_interval(value):
    assert check_fraction("tolerance", value) == float(value)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(1.5, rlf.InvalidValueError, id="above-one"),
        pytest.param(-0.1, rlf.InvalidValueError, id="negative"),
        pytest.param(float("nan"), rlf.InvalidValueError, id="nan"),
        pytest.param(True, rlf.InvalidTypeError, id="bool"),
        pytest.param("0.1", rlf.InvalidTypeError, id="str"),
    ],
)
def test_check_fraction_names_the_argument_and_the_value(value, error):
    with pytest.raises(error, match=f"tolerance must be .*got {value!r}"):
        check_fraction("tolerance", value)


def test_check_choice_lists_the_choices():
    with pytest.raises(rlf.InvalidValueError, match="method must be 'a', 'b' or 'c', got 'd'"):
        check_choice("method", "d", ("a", "b", "c"))


def test_check_choice_refuses_a_non_string():
    with pytest.raises(rlf.InvalidValueError, match="got 1"):
        check_choice("method", 1, ("a", "b"))


def test_check_policy_returns_a_new_int64_array():
    policy = np.array([2, 0], dtype=np.int8)
    got = check_policy(two_state_mdp(), policy)
    assert got.dtype == np.int64
    assert got is not policy
    np.testing.assert_array_equal(got, [2, 0])


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        pytest.param([0, 3], rlf.InvalidValueError, r"start\[1\] = 3 is not an action", id="range"),
        pytest.param([0], rlf.InvalidValueError, r"start must have shape \(2,\)", id="shape"),
        pytest.param([0.0, 1.0], rlf.InvalidTypeError, "start must hold integer", id="floats"),
    ],
)
def test_check_policy_names_the_argument(policy, error, message):
    with pytest.raises(error, match=message):
        check_policy(two_state_mdp(), policy, name="start")


def test_check_values_defaults_to_zeros():
    np.testing.assert_array_equal(check_values(two_state_mdp(), None), [0.0, 0.0])


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        pytest.param([0.0, np.inf], rlf.InvalidValueError, r"\[1\] = inf is not finite", id="inf"),
        pytest.param([0.0], rlf.InvalidValueError, r"shape \(2,\)", id="shape"),
        pytest.param(["a", "b"], rlf.InvalidTypeError, "array of numbers", id="strings"),
    ],
)
def test_check_values_names_the_argument(values, error, message):
    with pytest.raises(error, match=message):
        check_values(two_state_mdp(), values)


def test_check_count_refuses_a_count_past_2_to_the_62():
    with pytest.raises(
        rlf.InvalidValueError, match=r"n_samples must be <= 2\*\*62, got 9223372036854775808"
    ):
        check_count("n_samples", 2**63)


def test_check_count_accepts_2_to_the_62():
    assert check_count("n_samples", 2**62) == 2**62


def test_check_count_names_its_own_maximum():
    with pytest.raises(rlf.InvalidValueError, match="reps must be <= 10, got 11"):
        check_count("reps", 11, maximum=10)


def test_check_count_refuses_a_bool():
    with pytest.raises(rlf.InvalidTypeError, match="n_states must be an int"):
        check_count("n_states", True)


def test_check_actions_names_the_state_of_an_unknown_action():
    with pytest.raises(
        rlf.InvalidValueError, match=r"policy\[1\] = 3 is not an action in \[0, 3\)"
    ):
        check_actions("policy", [0, 3], n_states=2, n_actions=3)


def test_check_policy_and_check_actions_agree():
    mdp = two_state_mdp()
    got = check_policy(mdp, [2, 1])
    expected = check_actions("policy", [2, 1], mdp.n_states, mdp.n_actions)
    np.testing.assert_array_equal(got, expected)


# -- one check of probabilities: one tolerance, every entry point, once per input ---------------
def ending_mdp(initial=(1.0, 0.0)) -> rlf.TabularMDP:
    """Two states, two actions; both actions end the episode from state 0."""
    P = np.array([[[0.0, 1.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    R = np.array([[1.0, 0.0], [0.0, 0.0]])
    return rlf.TabularMDP.from_dense(P, R, terminal=[False, True], initial=list(initial))


def policy_off_by(delta: float) -> np.ndarray:
    """A (2, 2) policy whose row 1 sums to 1 + delta."""
    return np.array([[0.5, 0.5], [0.25, 0.75 + delta]])


def from_simulator_off_by(delta: float) -> rlf.TabularMDP:
    """A simulated model whose outcomes of (state 0, action 1) sum to 1 + delta."""

    def transitions(state, action):
        if state == "end":
            return [(1.0, "end", 0.0, True)]
        return [(0.5, "end", 1.0, True), (0.5 + delta * action, state, 0.0, False)]

    return rlf.from_simulator(transitions, "start", 2)


#: Each entry point of a probability distribution, given the distribution off 1 by ``delta``.
ENTRY_POINTS = {
    "StochasticPolicy": lambda d: rlf.StochasticPolicy(policy_off_by(d)),
    "check_action_probabilities": lambda d: rlf.policy.check_action_probabilities(policy_off_by(d)),
    "evaluate": lambda d: rlf.evaluate(ending_mdp().to_env(), policy_off_by(d), episodes=1),
    "policy_evaluation": lambda d: rlf.policy_evaluation(ending_mdp(), policy_off_by(d), 0.5),
    "td_prediction": lambda d: rlf.td_prediction(ending_mdp(), policy_off_by(d), 1.0, 10),
    "monte_carlo_prediction (behaviour)": lambda d: rlf.monte_carlo_prediction(
        ending_mdp(), policy_off_by(0.0), 1.0, 10, behaviour=policy_off_by(d)
    ),
    "TabularMDP initial": lambda d: ending_mdp(initial=(0.5, 0.5 + d)),
    "linear_programming initial": lambda d: rlf.linear_programming(
        ending_mdp(), 0.5, initial=[0.5, 0.5 + d]
    ),
    "from_simulator initial": lambda d: rlf.from_simulator(
        lambda s, a: [(1.0, s, 0.0, True)], {"a": 0.5, "b": 0.5 + d}, 2
    ),
    "from_simulator outcomes": from_simulator_off_by,
}


@pytest.mark.parametrize("delta", [2e-8, -2e-8])
@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS)
def test_every_entry_point_refuses_probabilities_summing_to_1_plus_or_minus_2e_8(entry, delta):
    with pytest.raises(rlf.InvalidValueError, match=r"sums? to (1\.00000001|0\.99999998)"):
        entry(delta)


@pytest.mark.parametrize("delta", [1e-10, -1e-10, 5e-9, -5e-9])
@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS)
def test_every_entry_point_accepts_probabilities_within_the_one_tolerance(entry, delta):
    entry(delta)


def test_the_one_tolerance_is_public_where_it_was():
    from rlfoundations import _validate

    assert rlf.mdp.PROB_TOLERANCE is _validate.PROB_TOLERANCE == 1e-8
    assert "PROB_TOLERANCE" in rlf.mdp.__all__


def test_a_row_off_by_more_than_the_tolerance_names_the_argument_the_state_and_the_sum():
    with pytest.raises(
        rlf.InvalidValueError, match=r"behaviour\[1\] sums to 1\.0000000199+ \(state=1\)"
    ):
        rlf.monte_carlo_prediction(
            ending_mdp(), policy_off_by(0.0), 1.0, 10, behaviour=policy_off_by(2e-8)
        )


@pytest.fixture
def row_checks(monkeypatch) -> list[str]:
    """The names of the probability matrices the one row check sees, call by call."""
    from rlfoundations import _validate

    seen: list[str] = []
    check = _validate.check_distribution_rows

    def counted(array, name):
        seen.append(name)
        return check(array, name)

    monkeypatch.setattr(_validate, "check_distribution_rows", counted)
    return seen


#: An entry point taking (S, A) probabilities, and the matrices it is given, in order.
ONCE_EACH = {
    "StochasticPolicy": (lambda p: rlf.StochasticPolicy(p), ["probabilities"]),
    "evaluate": (lambda p: rlf.evaluate(ending_mdp().to_env(), p, episodes=2), ["policy"]),
    "evaluate a StochasticPolicy": (
        lambda p: rlf.evaluate(ending_mdp().to_env(), rlf.StochasticPolicy(p), episodes=2),
        ["probabilities"],
    ),
    "policy_evaluation": (lambda p: rlf.policy_evaluation(ending_mdp(), p, 0.5), ["policy"]),
    "td_prediction with curves": (
        lambda p: rlf.td_prediction(ending_mdp(), p, 1.0, 20, eval_every=5),
        ["policy"],
    ),
    "prediction_sweep with curves": (
        lambda p: rlf.prediction_sweep(
            ending_mdp(), p, gamma=[0.5, 1.0], n_steps=20, seeds=[0, 1], eval_every=5
        ),
        ["policy"],
    ),
    "monte_carlo_prediction": (
        lambda p: rlf.monte_carlo_prediction(ending_mdp(), p, 1.0, 20, behaviour=p, eval_every=5),
        ["policy", "behaviour"],
    ),
}


@pytest.mark.parametrize(("entry", "expected"), ONCE_EACH.values(), ids=ONCE_EACH)
def test_each_probability_matrix_is_checked_once(row_checks, entry, expected):
    entry(policy_off_by(0.0))
    assert row_checks == expected


def test_a_model_checks_its_initial_distribution_once(monkeypatch):
    from rlfoundations import _validate

    seen: list[str] = []
    check = _validate.check_distribution
    monkeypatch.setattr(
        rlf.mdp, "check_distribution", lambda array, name: seen.append(name) or check(array, name)
    )
    ending_mdp()
    assert seen == ["initial"]
