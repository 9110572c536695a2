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
