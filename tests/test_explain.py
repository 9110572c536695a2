"""explain: one state's backup, outcome by outcome, equal to the solver's own numbers."""

from __future__ import annotations

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations.envs.rick import ACTION_NAMES
from rlfoundations.errors import InvalidTypeError, InvalidValueError


@pytest.fixture(scope="module")
def slippery():
    return rlf.from_env("FrozenLake-v1")


@pytest.fixture(scope="module")
def solved(slippery):
    return rlf.value_iteration(slippery, gamma=0.95)


@pytest.mark.parametrize("state", [0, 6, 14])
def test_explained_q_values_equal_the_results_q_values(slippery, solved, state):
    got = rlf.explain(slippery, solved, state).q_values
    expected = solved.q_values[state]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_outcome_contributions_add_up_to_the_q_value(slippery, solved):
    why = rlf.explain(slippery, solved, 14)
    for backup in why.actions:
        assert sum(o.contribution for o in backup.outcomes) == pytest.approx(backup.q_value)


def test_slippery_actions_have_three_outcomes_of_a_third(slippery, solved):
    # FrozenLake's docs: on ice the agent moves in the intended direction or either
    # perpendicular one, each with probability 1/3.
    why = rlf.explain(slippery, solved, 0)
    assert [len(backup.outcomes) for backup in why.actions] == [2, 3, 3, 2]  # walls merge slots
    assert sum(o.prob for o in why.actions[1].outcomes) == pytest.approx(1.0)


def test_chosen_action_is_the_policy_and_the_gap_is_to_the_runner_up(slippery, solved):
    why = rlf.explain(slippery, solved, 6)
    q = solved.q_values[6]
    assert why.chosen == solved.policy[6]
    assert why.action_gap == pytest.approx(q.max() - np.sort(q)[-2])


def test_a_win_ends_the_episode_without_a_next_value():
    mdp = rlf.from_env("rlfoundations/Rick-v0")
    result = rlf.value_iteration(mdp, gamma=0.99)
    # Rick's talk: with Morty aboard at the signal, the portal gun wins (+20) and ends it.
    state = next(
        s for s in range(mdp.n_states) if mdp.terminated[s, 5].any() and mdp.reward[s, 5, 0] > 0
    )
    why = rlf.explain(mdp, result, state, action_names=ACTION_NAMES)
    portal = why.actions[5]
    assert portal.outcomes[0].terminated
    assert portal.q_value == pytest.approx(portal.outcomes[0].reward)
    assert "Portal gun" in str(why)


def test_explain_text_lists_every_action(slippery, solved):
    text = str(rlf.explain(slippery, solved, 0))
    assert all(f"  action {a}: Q = " in text for a in range(4))
    assert "chosen" in text


def test_explain_of_a_learner_reports_its_bellman_error(slippery):
    learned = rlf.q_learning(slippery, gamma=0.95, n_steps=2_000, seed=0)
    why = rlf.explain(slippery, learned, 0)
    assert why.source == "learning"
    assert "Bellman error" in str(why)


def test_explain_decodes_factors_when_the_model_has_them():
    taxi = rlf.from_env("Taxi-v3").with_factors(
        (("row", 5), ("col", 5), ("passenger", 5), ("destination", 4))
    )
    why = rlf.explain(taxi, rlf.value_iteration(taxi, 0.99), 328)
    assert why.factors == {"row": 3, "col": 1, "passenger": 2, "destination": 0}


def test_explain_refuses_a_state_out_of_range(slippery, solved):
    with pytest.raises(InvalidValueError, match="16"):
        rlf.explain(slippery, solved, 16)


def test_explain_refuses_something_that_is_not_a_result(slippery):
    with pytest.raises(InvalidTypeError, match="PlanningResult"):
        rlf.explain(slippery, np.zeros(16), 0)


def test_explain_accepts_the_greedy_policy_solve_returns():
    policy = rlf.solve("FrozenLake-v1", gamma=0.95)
    got = rlf.explain(policy.mdp, policy, 0).q_values
    np.testing.assert_allclose(got, policy.result.q_values[0], atol=1e-12)
