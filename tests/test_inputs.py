"""Bad input at every public callable of ``rlfoundations.__all__``: only ValueError or TypeError.

For every public function and class (and the methods that take a caller's input), one valid
call is written down; hypothesis then replaces one argument at a time by a bad value (wrong
types, shapes and dtypes, NaN and infinities, empty arrays, ints past 64 bits, bools for ints,
``numpy.random.Generator`` seeds, read-only and non-contiguous arrays) and checks that the call
either works or raises ``ValueError`` / ``TypeError`` (the library's ``InvalidValueError`` /
``InvalidTypeError`` are both), never ``OverflowError``, ``KeyError``, ``IndexError``,
``ZeroDivisionError``, ``MemoryError`` or a numpy reduction error, and never hangs.

A name added to ``__all__`` without a valid call here fails
:func:`test_every_public_name_has_a_valid_call_here`, naming it. Crashes whose fix belongs to
another module's owner are listed in :data:`KNOWN_CRASHES`, each a strict xfail: the fuzzing
steers around exactly those inputs, and lifting the xfail once fixed is a one-line change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rlfoundations as rlf
from rlfoundations import envs
from strategies import bad_values

#: Seconds one call may take before it counts as a hang.
HANG_SECONDS = 60
#: Examples per callable: enough to meet every bad value of every argument now and then (set
#: RLFOUNDATIONS_INPUT_EXAMPLES higher for a longer hunt).
EXAMPLES = int(os.environ.get("RLFOUNDATIONS_INPUT_EXAMPLES", "40"))

# A small model that ends: 3 states, 2 actions, state 2 terminal.
P = np.array(
    [
        [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]],
        [[1.0, 0.0, 0.0], [0.0, 0.2, 0.8]],
        [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]],
    ]
)
R = np.array([[0.0, 1.0], [-1.0, 2.0], [0.0, 0.0]])
TERMINAL = np.array([False, False, True])
MDP = rlf.TabularMDP.from_dense(P, R, terminal=TERMINAL, initial=[1.0, 0.0, 0.0], name="tiny")
SOLVED = rlf.value_iteration(MDP, 0.9)
POLICY = rlf.GreedyPolicy(actions=SOLVED.policy, result=SOLVED, mdp=MDP)
FROZEN_LAKE = rlf.from_env("FrozenLake-v1")
LAKE = gymnasium.make("FrozenLake-v1", is_slippery=False)
LAKE.reset(seed=0)
COMPILED = rlf.solve(LAKE, state_key=lambda env: int(env.unwrapped.s))  # a CompiledPolicy
SCRATCH = Path(tempfile.mkdtemp(prefix="rlfoundations-inputs-"))
SAVED = rlf.save(SCRATCH / "q", np.zeros((3, 2)), env_id="tiny")


def _runs():
    return rlf.sweep(MDP, gamma=0.9, n_steps=100, seeds=range(2), eval_every=50)


def _learned():
    return rlf.q_learning(MDP, gamma=0.9, n_steps=100, seed=0, eval_every=50)


RUNS = {
    algorithm: rlf.sweep(MDP, algorithm, gamma=0.9, n_steps=100, seeds=range(3), eval_every=50)
    for algorithm in ("q_learning", "sarsa")
}


def _flip(capital, action):
    """The gambler's problem with a goal of 3 (Sutton & Barto, example 4.3)."""
    stake = min(action + 1, capital, 3 - capital)
    win, lose = capital + stake, capital - stake
    return [(0.4, win, float(win == 3), win == 3), (0.6, lose, 0.0, lose == 0)]


def _lake():
    env = gymnasium.make("FrozenLake-v1", is_slippery=False, map_name="4x4")
    env.reset(seed=0)
    return env


def _lake_key(env):
    return int(env.unwrapped.s)


def _compile(env_name, state_key, max_states):
    """compile_env of a fresh env (``env_name`` 'lake'; anything else is passed as the env)."""
    env = _lake() if env_name == "lake" else env_name
    return rlf.compile_env(env, state_key=state_key, max_states=max_states)


LAKE_COPY = _lake()
COMPILED_MODEL = rlf.compile_env(_lake(), state_key=_lake_key)
QUANTECON_DDP = type(
    "DiscreteDP",
    (),
    {
        "R": np.array([[5.0, 10.0], [-1.0, 2.0]]),
        "Q": np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.8, 0.2], [0.1, 0.9]]]),
        "beta": 0.9,
        "_sa_pair": False,
    },
)()


@dataclasses.dataclass(frozen=True)
class Call:
    """``function(**valid)`` works; each argument of ``valid`` is attacked in turn."""

    function: Callable
    valid: dict
    # Arguments not attacked, with the reason (say why: the fuzzing must stay honest).
    spared: tuple[str, ...] = ()


LEARNER_ARGS = {
    "mdp": MDP,
    "gamma": 0.9,
    "n_steps": 200,
    "seed": 0,
    "alpha": 0.5,
    "epsilon": 0.1,
    "exploration": "epsilon_greedy",
    "temperature": 1.0,
    "eval_every": 100,
    "progress": None,
    "on_interrupt": "raise",
}

# An ergodic model for the average-reward solvers: Puterman's two-state example 3.1.1.
ERGODIC = rlf.problems.puterman_two_state()

#: Small instances of every problem builder (each argument attacked in turn).
PROBLEM_CALLS = {
    "blocking_maze": {"changed": False},
    "chain": {"n_states": 4, "slip": 0.2, "small_reward": 2.0, "large_reward": 10.0},
    "deep_sea": {
        "size": 4,
        "deterministic": True,
        "unscaled_move_cost": 0.01,
        "randomize_actions": True,
        "mapping_seed": 0,
    },
    "dyna_maze": {},
    "env_id": {"name": "chain"},
    "forest": {"S": 3, "r1": 4.0, "r2": 2.0, "p": 0.1},
    "gamblers_problem": {"p_heads": 0.4, "goal": 10},
    "garnet": {
        "n_states": 5,
        "n_actions": 2,
        "branching": 2,
        "seed": 0,
        "terminal_prob": 0.1,
        "name": "g",
    },
    "get_problem": {"name": "chain"},
    "inventory": {
        "capacity": 3,
        "demand": 1.0,
        "holding_cost": 1.0,
        "order_cost": 2.0,
        "price": 8.0,
        "fixed_cost": 4.0,
        "horizon": None,
        "initial_stock": 0,
    },
    "jacks_car_rental": {
        "max_cars": 3,
        "max_move": 1,
        "request_means": (3.0, 4.0),
        "return_means": (3.0, 2.0),
        "rental_reward": 10.0,
        "move_cost": 2.0,
        "free_shuttle": False,
        "parking_limit": 2,
        "parking_cost": 0.0,
        "poisson_cutoff": 6,
    },
    "machine_replacement": {
        "n_conditions": 4,
        "deterioration": (0.5, 0.3, 0.2),
        "operating_cost": 1.0,
        "replacement_cost": 10.0,
    },
    "maximization_bias": {"n_actions": 3, "mean": -0.1, "std": 1.0, "n_reward_points": 4},
    "puterman_two_state": {},
    "queue_admission": {
        "capacity": 4,
        "arrival_rate": 1.0,
        "service_rate": 1.25,
        "reward": 10.0,
        "holding_cost": 1.0,
    },
    "random_walk": {"n_states": 5},
    "river_swim": {"n_states": 4, "small_reward": 5.0, "large_reward": 100.0},
    "shortcut_maze": {"changed": False},
    "six_arms": {},
    "windy_gridworld": {"king_moves": False, "stochastic_wind": False, "stay_action": False},
}

CALLS: dict[str, Call] = {
    # -- models --------------------------------------------------------------------------------
    "TabularMDP": Call(
        rlf.TabularMDP,
        {
            "next_state": MDP.next_state,
            "prob": MDP.prob,
            "reward": MDP.reward,
            "terminated": MDP.terminated,
            "initial": MDP.initial,
            "max_episode_steps": 10,
            "name": "tiny",
        },
    ),
    "TabularMDP.from_dense": Call(
        rlf.TabularMDP.from_dense,
        {"P": P, "R": R, "terminal": TERMINAL, "initial": np.array([1.0, 0.0, 0.0])},
    ),
    "from_env": Call(rlf.from_env, {"env_or_id": "FrozenLake-v1"}),
    "make": Call(rlf.make, {"env_id": "FrozenLake-v1"}),
    "estimate_model": Call(
        rlf.estimate_model, {"env": "FrozenLake-v1", "n_samples": 200, "seed": 0}
    ),
    "check_model": Call(
        rlf.check_model,
        {
            "env": "FrozenLake-v1",
            "mdp": FROZEN_LAKE,
            "n_samples": 200,
            "seed": 0,
            "min_count": 5,
            "tolerance": 0.2,
        },
    ),
    "to_graph": Call(rlf.to_graph, {"mdp": MDP}),
    "from_mdptoolbox": Call(
        rlf.from_mdptoolbox,
        {
            "P": np.ascontiguousarray(P.transpose(1, 0, 2)),
            "R": R,
            "initial": np.array([1.0, 0.0, 0.0]),
            "name": "tiny",
        },
    ),
    "from_quantecon": Call(
        rlf.from_quantecon, {"ddp": QUANTECON_DDP, "initial": np.array([0.5, 0.5]), "name": "q"}
    ),
    "from_transitions": Call(
        rlf.from_transitions,
        {
            "states": np.array([0, 0, 0, 1]),
            "actions": np.array([0, 0, 0, 1]),
            "rewards": np.array([0.0, 0.0, 1.0, 0.0]),
            "next_states": np.array([0, 1, 1, 1]),
            "terminated": np.array([False, False, True, True]),
            "n_states": 2,
            "n_actions": 2,
            "initial": np.array([1.0, 0.0]),
            "name": "logged",
        },
    ),
    "from_simulator": Call(
        rlf.from_simulator,
        {"transitions": _flip, "initial": 1, "n_actions": 2, "max_states": 10, "name": "flip"},
    ),
    "compile_env": Call(_compile, {"env_name": "lake", "state_key": _lake_key, "max_states": 100}),
    "StateIndex": Call(
        rlf.StateIndex, {"env": LAKE_COPY, "mdp": COMPILED_MODEL, "state_key": _lake_key}
    ),
    "IndexObservation": Call(
        rlf.IndexObservation, {"env": gymnasium.make("Blackjack-v1"), "names": None}
    ),
    "envs.RickEnv": Call(
        envs.RickEnv, {"render_mode": None, "reward_scheme": "shaped", "drunk": 0.1}
    ),
    # -- planning ------------------------------------------------------------------------------
    "value_iteration": Call(
        rlf.value_iteration,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "epsilon": 1e-6,
            "max_iter": 200,
            "gauss_seidel": False,
            "record": False,
            "initial_values": np.zeros(3),
            "extrapolate": True,
        },
    ),
    "policy_iteration": Call(
        rlf.policy_iteration,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "evaluation": "auto",
            "epsilon": 1e-8,
            "max_iter": 50,
            "tie_tolerance": 1e-10,
            "initial_policy": np.zeros(3, dtype=np.int64),
        },
    ),
    "modified_policy_iteration": Call(
        rlf.modified_policy_iteration,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "n_evaluations": 3,
            "epsilon": 1e-6,
            "max_iter": 200,
            "initial_values": np.zeros(3),
        },
    ),
    "policy_evaluation": Call(
        rlf.policy_evaluation,
        {
            "mdp": MDP,
            "policy": np.zeros(3, dtype=np.int64),
            "gamma": 0.9,
            "method": "auto",
            "epsilon": 1e-8,
            "max_iter": 200,
            "initial_values": np.zeros(3),
        },
    ),
    "backward_induction": Call(
        rlf.backward_induction,
        {"mdp": MDP, "horizon": 5, "gamma": 0.9, "terminal_values": np.zeros(3)},
    ),
    "soft_value_iteration": Call(
        rlf.soft_value_iteration,
        {"mdp": MDP, "gamma": 0.9, "temperature": 0.5, "epsilon": 1e-6, "max_iter": 200},
    ),
    "linear_programming": Call(
        rlf.linear_programming,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "initial": np.array([1.0, 0.0, 0.0]),
            "costs": np.ones((2, 3, 2)),
            "budget": np.array([20.0, 30.0]),
        },
    ),
    "model_structure": Call(rlf.model_structure, {"mdp": MDP}),
    "average_reward_policy_iteration": Call(
        rlf.average_reward_policy_iteration,
        {
            "mdp": ERGODIC,
            "max_iter": 50,
            "tie_tolerance": 1e-10,
            "initial_policy": np.zeros(2, dtype=np.int64),
        },
    ),
    "relative_value_iteration": Call(
        rlf.relative_value_iteration,
        {"mdp": ERGODIC, "epsilon": 1e-6, "max_iter": 500, "tau": 0.5, "reference_state": 0},
    ),
    # -- learning ------------------------------------------------------------------------------
    "q_learning": Call(rlf.q_learning, LEARNER_ARGS),
    "sarsa": Call(rlf.sarsa, LEARNER_ARGS),
    "expected_sarsa": Call(rlf.expected_sarsa, LEARNER_ARGS),
    "double_q_learning": Call(rlf.double_q_learning, LEARNER_ARGS),
    "dyna_q": Call(rlf.dyna_q, {**LEARNER_ARGS, "planning_steps": 2}),
    "sarsa_lambda": Call(rlf.sarsa_lambda, {**LEARNER_ARGS, "lam": 0.5, "trace": "dutch"}),
    "watkins_q_lambda": Call(rlf.watkins_q_lambda, {**LEARNER_ARGS, "lam": 0.5}),
    "n_step_sarsa": Call(rlf.n_step_sarsa, {**LEARNER_ARGS, "n": 3}),
    "n_step_tree_backup": Call(
        rlf.n_step_tree_backup, {**LEARNER_ARGS, "n": 3, "target_policy": "behaviour"}
    ),
    "q_sigma": Call(rlf.q_sigma, {**LEARNER_ARGS, "n": 3, "sigma": 0.25}),
    "prioritized_sweeping": Call(
        rlf.prioritized_sweeping, {**LEARNER_ARGS, "planning_steps": 2, "theta": 0.01}
    ),
    "differential_q_learning": Call(
        rlf.differential_q_learning,
        {**{k: v for k, v in LEARNER_ARGS.items() if k != "gamma"}, "eta": 0.5},
    ),
    "differential_sarsa": Call(
        rlf.differential_sarsa,
        {**{k: v for k, v in LEARNER_ARGS.items() if k != "gamma"}, "eta": 0.5},
    ),
    "reinforce": Call(
        rlf.reinforce,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "n_steps": 200,
            "seed": 0,
            "alpha": 0.1,
            "baseline_alpha": 0.1,
            "baseline": True,
            "eval_every": 100,
            "progress": None,
            "on_interrupt": "raise",
        },
    ),
    "acting_states": Call(rlf.acting_states, {"mdp": MDP}),
    "td_prediction": Call(
        rlf.td_prediction,
        {
            "mdp": MDP,
            "policy": [0, 0, 0],
            "gamma": 0.9,
            "n_steps": 200,
            "n": 2,
            "lam": None,
            "lam_method": "true_online",
            "alpha": 0.5,
            "seed": 0,
            "eval_every": 100,
            "record_episodes": True,
            "progress": None,
            "on_interrupt": "raise",
        },
    ),
    "monte_carlo_prediction": Call(
        rlf.monte_carlo_prediction,
        {
            "mdp": MDP,
            "policy": np.full((3, MDP.n_actions), 1.0 / MDP.n_actions),
            "gamma": 0.9,
            "n_steps": 200,
            "first_visit": True,
            "behaviour": np.full((3, MDP.n_actions), 1.0 / MDP.n_actions),
            "importance": "weighted",
            "seed": 0,
            "eval_every": 100,
        },
    ),
    "prediction_sweep": Call(
        rlf.prediction_sweep,
        {
            "mdp": MDP,
            "policy": [0, 0, 0],
            "algorithm": "td_prediction",
            "gamma": 0.9,
            "n_steps": 200,
            "seeds": range(2),
            "n": [1, 2],
            "alpha": 0.5,
            "eval_every": 100,
        },
    ),
    "monte_carlo_control": Call(
        rlf.monte_carlo_control,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "n_steps": 200,
            "method": "on_policy",
            "epsilon": 0.1,
            "seed": 0,
            "eval_every": 100,
        },
    ),
    "monte_carlo_control_sweep": Call(
        rlf.monte_carlo_control_sweep,
        {
            "mdp": MDP,
            "gamma": 0.9,
            "n_steps": 200,
            "seeds": range(2),
            "method": "off_policy",
            "epsilon": [0.1, 0.5],
            "eval_every": 100,
        },
    ),
    "sweep": Call(
        rlf.sweep,
        {
            "mdp": MDP,
            "algorithm": "q_learning",
            "gamma": 0.9,
            "n_steps": 200,
            "seeds": range(2),
            "alpha": [0.1, 0.5],
            "epsilon": 0.1,
            "exploration": "epsilon_greedy",
            "temperature": 1.0,
            "planning_steps": 2,
            "baseline_alpha": 0.1,
            "baseline": True,
            "eval_every": 100,
            "n_threads": None,
            "executor": None,
            "chunk_runs": None,
            "retries": 2,
            "progress": None,
            "on_interrupt": "raise",
        },
    ),
    "sweep.td_prediction": Call(
        rlf.sweep,
        {
            "mdp": MDP,
            "algorithm": "td_prediction",
            "policy": [0, 0, 0],
            "gamma": 0.9,
            "n_steps": 200,
            "seeds": range(2),
            "alpha": [0.1, 0.5],
            "n": 2,
            "eval_every": 100,
            "record_episodes": False,
        },
    ),
    "sweep.monte_carlo_prediction": Call(
        rlf.sweep,
        {
            "mdp": MDP,
            "algorithm": "monte_carlo_prediction",
            "policy": np.full((3, MDP.n_actions), 1.0 / MDP.n_actions),
            "gamma": [0.9, 1.0],
            "n_steps": 200,
            "seeds": range(2),
            "first_visit": False,
            "behaviour": np.full((3, MDP.n_actions), 1.0 / MDP.n_actions),
            "importance": "ordinary",
        },
    ),
    "sweep.monte_carlo_control": Call(
        rlf.sweep,
        {
            "mdp": MDP,
            "algorithm": "monte_carlo_control",
            "gamma": 0.9,
            "n_steps": 200,
            "seeds": range(2),
            "epsilon": [0.1, 0.5],
            "method": "on_policy",
            "eval_every": 100,
        },
    ),
    "sweep.ucb_q_learning": Call(
        rlf.sweep,
        {
            "mdp": MDP,
            "algorithm": "ucb_q_learning",
            "horizon": 4,
            "n_episodes": 3,
            "seeds": range(2),
            "epsilon": 0.1,
            "bonus": ["hoeffding", "bernstein"],
            "bonus_scale": 0.5,
            "delta": 0.1,
            "record_episodes": False,
        },
    ),
    "sweep.psrl": Call(
        rlf.sweep,
        {
            "mdp": MDP,
            "algorithm": "psrl",
            "horizon": 4,
            "n_episodes": 3,
            "seeds": [0, 1],
            "transition_prior": [0.5, 1.0],
            "reward_prior_mean": 0.0,
            "reward_prior_variance": 1.0,
            "reward_noise_variance": 1.0,
        },
    ),
    "RegretSweepResult.run": Call(
        lambda index: rlf.sweep(MDP, "rmax", horizon=4, n_episodes=3, seeds=range(2)).run(index),
        {"index": 1},
    ),
    "Schedule.constant": Call(rlf.Schedule.constant, {"value": 0.5}),
    "Schedule.linear": Call(rlf.Schedule.linear, {"start": 1.0, "end": 0.1, "steps": 100}),
    "Schedule.exponential": Call(
        rlf.Schedule.exponential, {"start": 1.0, "end": 0.1, "steps": 100.0}
    ),
    "Schedule.visit_count": Call(rlf.Schedule.visit_count, {"omega": 0.8}),
    "Schedule.value": Call(
        lambda kind, t, count: rlf.Schedule(kind, 1.0, 0.1, 100.0, 1.0).value(t, count),
        {"kind": "linear", "t": 10, "count": 1},
    ),
    # -- policies, scores, files ---------------------------------------------------------------
    "solve": Call(rlf.solve, {"env_or_id": MDP, "gamma": 0.9}),
    "GreedyPolicy": Call(
        rlf.GreedyPolicy, {"actions": SOLVED.policy, "result": SOLVED, "mdp": MDP}
    ),
    "GreedyPolicy.__call__": Call(POLICY, {"obs": 1}),
    "CompiledPolicy.on": Call(COMPILED.on, {"env": LAKE}),
    "CompiledPolicy.__call__": Call(COMPILED, {"obs": 0}),
    "StochasticPolicy": Call(
        rlf.StochasticPolicy,
        {"probabilities": np.full((MDP.n_states, MDP.n_actions), 1.0 / MDP.n_actions), "seed": 0},
    ),
    "StochasticPolicy.__call__": Call(
        rlf.StochasticPolicy(np.full((MDP.n_states, MDP.n_actions), 1.0 / MDP.n_actions)),
        {"obs": 1},
    ),
    "StochasticPolicy.reseed": Call(
        rlf.StochasticPolicy(np.full((MDP.n_states, MDP.n_actions), 1.0 / MDP.n_actions)).reseed,
        {"seed": 3},
    ),
    "evaluate": Call(
        rlf.evaluate,
        {
            "env": "FrozenLake-v1",
            "policy": lambda state: 0,
            "episodes": 2,
            "seed": 0,
            "max_steps": 20,
        },
    ),
    "save": Call(rlf.save, {"path": SCRATCH / "saved", "obj": np.zeros((3, 2)), "env_id": "tiny"}),
    "load": Call(rlf.load, {"path": SAVED, "env_id": "tiny"}),
    "load_metadata": Call(rlf.load_metadata, {"path": SAVED}),
    "compare": Call(
        rlf.compare,
        {
            "results": RUNS,
            "by": "algorithm",
            "mdp": MDP,
            "metric": "final_gap",
            "confidence": 0.9,
            "reps": 50,
            "seed": 0,
            "thresholds": np.array([0.0, 0.5, 1.0]),
        },
    ),
    "explain": Call(
        rlf.explain, {"mdp": MDP, "result": SOLVED, "state": 1, "action_names": ["a", "b"]}
    ),
    # -- problems ------------------------------------------------------------------------------
    **{
        f"problems.{name}": Call(getattr(rlf.problems, name), kwargs)
        for name, kwargs in PROBLEM_CALLS.items()
    },
    # -- methods of results that take a caller's input -----------------------------------------
    "PlanningResult.mean_return": Call(SOLVED.mean_return, {"initial": MDP.initial}),
    "LearningResult.curve": Call(
        lambda initial: _learned().curve(initial), {"initial": MDP.initial}
    ),
    "SweepResult.curve": Call(lambda initial: _runs().curve(initial), {"initial": MDP.initial}),
    "SweepResult.run": Call(lambda index: _runs().run(index), {"index": 1}, spared=("index",)),
    # -- learners with regret guarantees (episodic) ---------------------------------------------
    "ucbvi": Call(
        rlf.ucbvi,
        {
            "mdp": MDP,
            "horizon": 4,
            "n_episodes": 3,
            "seed": 0,
            "bonus_scale": 0.5,
            "delta": 0.1,
            "record_episodes": False,
        },
    ),
    "psrl": Call(
        rlf.psrl,
        {
            "mdp": MDP,
            "horizon": 4,
            "n_episodes": 3,
            "seed": 0,
            "transition_prior": 0.5,
            "reward_prior_mean": 0.0,
            "reward_prior_variance": 1.0,
            "reward_noise_variance": 1.0,
        },
    ),
    "ucb_q_learning": Call(
        rlf.ucb_q_learning,
        {
            "mdp": MDP,
            "horizon": 4,
            "n_episodes": 3,
            "seed": 0,
            "bonus": "bernstein",
            "bonus_scale": 0.5,
            "delta": 0.1,
            "epsilon": 0.1,
            "on_interrupt": "raise",
        },
    ),
    "rmax": Call(
        rlf.rmax, {"mdp": MDP, "horizon": 4, "n_episodes": 3, "seed": 0, "known_visits": 2}
    ),
    "exploration_sweep": Call(
        rlf.exploration_sweep,
        {
            "algorithm": "rmax",
            "mdp": MDP,
            "horizon": 4,
            "n_episodes": 3,
            "seeds": [0, 1],
            "known_visits": 2,
        },
    ),
}

#: Public names that take no input of their own, with the reason.
NOT_CALLED = {
    "__version__": "a string",
    "envs": "a module: its RickEnv is called above",
    "ConvergenceWarning": "a warning class",
    "NonTerminationWarning": "a warning class",
    "UserError": "an exception class",
    "InvalidValueError": "an exception class",
    "InvalidTypeError": "an exception class",
    # Results are built by the library from validated input; their input-taking methods are
    # called above (mean_return, curve, run).
    "PlanningResult": "a result the solvers build",
    "LearningResult": "a result the learners build",
    "SweepResult": "a result sweep builds",
    "PredictionResult": "a result the prediction learners build",
    "PredictionSweepResult": "a result prediction_sweep builds",
    "EvaluationResult": "a result evaluate builds",
    "ModelCheck": "a result check_model builds",
    "ModelEstimate": "a result estimate_model builds",
    "Schedule": "a frozen record: its constructors and value are called above",
    "problems": "a module: its builders are called above",
    "AverageRewardResult": "a result the average-reward solvers build",
    "FiniteHorizonResult": "a result backward_induction builds",
    "LinearProgrammingResult": "a result linear_programming builds",
    "SoftResult": "a result soft_value_iteration builds",
    "Comparison": "a result compare builds",
    "Explanation": "a result explain builds",
}

LEARNERS = ("q_learning", "sarsa", "expected_sarsa", "double_q_learning", "dyna_q", "reinforce")


def _is_huge(value) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | np.integer)
        and abs(int(value)) >= 2**63
    )


def _any(value) -> bool:
    return True


def _not_a_bool(value) -> bool:
    return not isinstance(value, bool | np.bool_)


#: Inputs that crash today, in modules other engineers own: (callables, argument, which values,
#: the case run as a strict xfail, the reason). The fuzzing skips exactly these inputs; once a
#: fix lands, its xfail fails as XPASS and the entry is deleted.
KNOWN_CRASHES: list = []

#: ValueErrors that are numpy's or Numba's, not a message about the caller's argument.
INTERNAL_MESSAGES = re.compile(
    r"zero-size array to reduction|operands could not be broadcast|Failed in nopython mode"
)


def _known(name: str, argument: str, value) -> bool:
    return any(
        name in names and argument == known_argument and matches(value)
        for names, known_argument, matches, _, _ in KNOWN_CRASHES
    )


@contextlib.contextmanager
def _no_hang(what: str, seconds: int = HANG_SECONDS):
    """Fail a call that takes longer than ``seconds`` (checked between bytecodes: a kernel
    call that never returns still blocks, but every run here is bounded in steps)."""

    def hung(signum, frame):
        raise TimeoutError(f"{what} took more than {seconds} s")

    if not hasattr(signal, "SIGALRM"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, hung)
    # Repeated: an alarm that lands in a gc callback is swallowed there, the next one is not.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Errors other than ValueError / TypeError that an argument may raise, with the reason.
ALSO_ALLOWED = {
    # A missing file is FileNotFoundError, as for open(): documented in load and save.
    ("load", "path"): FileNotFoundError,
    ("load_metadata", "path"): FileNotFoundError,
    ("save", "path"): FileNotFoundError,
}


def call_with(name: str, argument: str, value) -> None:
    """Call ``name`` with ``argument=value``: it works, or raises ValueError / TypeError."""
    spec = CALLS[name]
    kwargs = {**spec.valid, argument: value}
    with warnings.catch_warnings(), _no_hang(f"{name}({argument}={value!r:.60})"):
        warnings.simplefilter("ignore")
        try:
            result = spec.function(**kwargs)
        except ALSO_ALLOWED.get((name, argument), ()):
            return
        except (ValueError, TypeError) as error:
            assert not INTERNAL_MESSAGES.search(str(error)), f"not a clear error: {error!r}"
            return
    if isinstance(result, gymnasium.Env):
        result.close()


# -- the tests ---------------------------------------------------------------------------------
@pytest.fixture(autouse=True, scope="module")
def in_scratch_directory():
    """Relative paths the fuzzing saves to ('x' is x.npz) land in a scratch directory."""
    here = os.getcwd()
    os.chdir(SCRATCH)
    yield
    os.chdir(here)


def test_every_public_name_has_a_valid_call_here():
    covered = {name.split(".")[0] for name in CALLS} | set(NOT_CALLED)
    missing = sorted(set(rlf.__all__) - covered)
    assert not missing, f"add a valid call to tests/test_inputs.py CALLS for: {missing}"


@pytest.mark.parametrize("name", list(CALLS))
def test_the_valid_call_works(name):
    spec = CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.function(**spec.valid)


@pytest.mark.parametrize("name", list(CALLS))
@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bad_input_raises_only_value_or_type_errors(name, data):
    spec = CALLS[name]
    arguments = [key for key in spec.valid if key not in spec.spared]
    if not arguments:
        pytest.skip("takes no argument, or every argument is spared")
    argument = data.draw(st.sampled_from(arguments), label="argument")
    value = data.draw(bad_values(spec.valid[argument]), label="value")
    assume(not _known(name, argument, value))
    call_with(name, argument, value)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=reason.split(": ", 1)[1][:60],
            marks=pytest.mark.xfail(strict=True, reason=reason),
        )
        for _, _, _, case, reason in KNOWN_CRASHES
    ],
)
def test_known_crash_raises_a_value_or_type_error(case):
    with warnings.catch_warnings(), _no_hang("the known case", seconds=3):
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, TypeError)):
            case()


ARRAY_ARGUMENTS = [
    pytest.param(name, argument, id=f"{name}-{argument}")
    for name, spec in CALLS.items()
    for argument, valid in spec.valid.items()
    if isinstance(valid, np.ndarray) and valid.ndim
]


@pytest.mark.parametrize(("name", "argument"), ARRAY_ARGUMENTS)
@pytest.mark.parametrize("layout", ["read-only", "non-contiguous"])
def test_read_only_and_non_contiguous_arrays_are_accepted(name, argument, layout):
    spec = CALLS[name]
    valid = spec.valid[argument]
    if layout == "read-only":
        given = valid.copy()
        given.flags.writeable = False
    else:
        given = np.repeat(valid[..., None], 2, axis=-1)[..., 0]
        assert not given.flags.c_contiguous
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.function(**{**spec.valid, argument: given})


# -- cases worth naming on their own -----------------------------------------------------------
def test_from_dense_refuses_an_empty_model():
    with pytest.raises(rlf.InvalidValueError, match="at least one state"):
        rlf.TabularMDP.from_dense(np.zeros((0, 1, 0)), np.zeros((0, 1)))


def test_from_dense_refuses_a_model_without_actions():
    with pytest.raises(rlf.InvalidValueError, match="at least one action"):
        rlf.TabularMDP.from_dense(np.zeros((2, 0, 2)), np.zeros((2, 0)))


def test_from_dense_refuses_text_for_terminal():
    with pytest.raises(rlf.InvalidTypeError, match="terminal"):
        rlf.TabularMDP.from_dense(P, R, terminal=["no", "no", "yes"])


def test_a_greedy_policy_refuses_a_bool_state():
    with pytest.raises(TypeError, match="obs"):
        POLICY(True)


def test_evaluate_refuses_a_generator_seed():
    with pytest.raises(TypeError, match="seed"):
        rlf.evaluate("FrozenLake-v1", POLICY, episodes=1, seed=np.random.default_rng(0))


def test_estimate_model_refuses_more_samples_than_it_could_draw():
    with pytest.raises(rlf.InvalidValueError, match=r"n_samples must be <= 2\*\*62"):
        rlf.estimate_model("FrozenLake-v1", n_samples=2**63, seed=0)


def test_a_model_refuses_a_time_limit_past_2_to_the_62():
    with pytest.raises(rlf.InvalidValueError, match="max_episode_steps"):
        rlf.TabularMDP(
            next_state=MDP.next_state,
            prob=MDP.prob,
            reward=MDP.reward,
            terminated=MDP.terminated,
            initial=MDP.initial,
            max_episode_steps=2**70,
        )


def test_rewards_whose_values_overflow_are_not_reported_as_converged():
    huge = rlf.TabularMDP.from_dense(P, np.full_like(R, 1e308), terminal=TERMINAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = rlf.value_iteration(huge, 0.99)
        except (ValueError, TypeError):
            return
    assert not (result.converged and not np.all(np.isfinite(result.values)))
