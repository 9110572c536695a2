"""Golden hashes: the learners' outputs, bit for bit, as they were before the renovation.

The digests below were computed once, on the code before issue 11's renovation of the learner
wing (commit d213847), by this file's own ``digest`` function; any change of arithmetic order,
random draw order or episode bookkeeping in a learner, its reference twin or the batch engine
changes them. Each case runs the kernel path and, for single runs, the pure-Python twin.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations import reference

N_STEPS = 3_000


def digest(result) -> str:
    """SHA-256 of the Q table, the episode returns and lengths (and REINFORCE's baseline)."""
    sha = hashlib.sha256()
    sha.update(np.ascontiguousarray(result.q_values, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_returns, dtype=np.float64).tobytes())
    sha.update(np.ascontiguousarray(result.episode_lengths, dtype=np.int64).tobytes())
    if result.baseline is not None:
        sha.update(np.ascontiguousarray(result.baseline, dtype=np.float64).tobytes())
    return sha.hexdigest()


def model(name: str) -> rlf.TabularMDP:
    if name == "frozenlake":
        return rlf.from_env("FrozenLake-v1")  # slippery: three outcomes, a time limit of 100
    return rlf.from_env("CliffWalking-v1")


SOFTMAX = {"exploration": "softmax", "temperature": rlf.Schedule.exponential(2.0, 0.1, 500.0)}
LINEAR_EPSILON = {"epsilon": rlf.Schedule.linear(1.0, 0.05, 2_000)}
VISITS = {"alpha": rlf.Schedule.visit_count(0.8)}

#: (id, learner, model, settings): one or more short runs of every learner.
RUNS = [
    ("q_learning-eps", "q_learning", "frozenlake", {"seed": 0}),
    ("q_learning-softmax", "q_learning", "cliff", {"seed": 1, **SOFTMAX}),
    ("q_learning-visits", "q_learning", "frozenlake", {"seed": 2, **VISITS, **LINEAR_EPSILON}),
    ("sarsa-eps", "sarsa", "cliff", {"seed": 3, **LINEAR_EPSILON}),
    ("sarsa-softmax", "sarsa", "frozenlake", {"seed": 4, **SOFTMAX}),
    ("expected_sarsa-eps", "expected_sarsa", "frozenlake", {"seed": 5}),
    ("expected_sarsa-softmax", "expected_sarsa", "cliff", {"seed": 6, **SOFTMAX}),
    ("double_q_learning-eps", "double_q_learning", "frozenlake", {"seed": 7, **VISITS}),
    ("double_q_learning-softmax", "double_q_learning", "cliff", {"seed": 8, **SOFTMAX}),
    ("dyna_q-eps", "dyna_q", "cliff", {"seed": 9, "planning_steps": 5}),
    ("dyna_q-visits", "dyna_q", "frozenlake", {"seed": 10, "planning_steps": 3, **VISITS}),
    ("dyna_q-softmax", "dyna_q", "frozenlake", {"seed": 11, "planning_steps": 2, **SOFTMAX}),
    ("reinforce-baseline", "reinforce", "frozenlake", {"seed": 12}),
    ("reinforce-plain", "reinforce", "cliff", {"seed": 13, "baseline": False, "alpha": 0.05}),
    (
        "reinforce-schedules",
        "reinforce",
        "frozenlake",
        {"seed": 14, "alpha": rlf.Schedule.linear(0.5, 0.01, 2_000), "baseline_alpha": 0.3},
    ),
]

#: (id, learner, model, settings): longer kernel runs, past the first episode buffer (4096
#: episodes) and REINFORCE's first path buffer, chunked by a progress callback.
LONG_RUNS = [
    ("q_learning-long", "q_learning", "frozenlake", {"seed": 20, "n_steps": 120_000}),
    (
        "sarsa-long-chunked",
        "sarsa",
        "frozenlake",
        {"seed": 21, "n_steps": 120_000, "progress": print},
    ),
    ("reinforce-long", "reinforce", "cliff", {"seed": 22, "n_steps": 30_000, "alpha": 0.01}),
]

#: (id, learner, model, sweep settings): sweeps of several runs.
SWEEPS = [
    ("sweep-q_learning", "q_learning", "frozenlake", {"seeds": range(3), "alpha": [0.1, 0.5]}),
    (
        "sweep-sarsa-softmax",
        "sarsa",
        "cliff",
        {"seeds": [5, 6], "exploration": "softmax", "temperature": [0.5, 2.0]},
    ),
    ("sweep-dyna_q", "dyna_q", "frozenlake", {"seeds": range(2), "planning_steps": 4}),
    ("sweep-reinforce", "reinforce", "frozenlake", {"seeds": range(2), "baseline_alpha": [0.1]}),
]

GOLDEN = {
    "q_learning-eps": "e6c8745052f6cec7e1cb6cd2053b50c79b083e9fc298d9b4d6d1d9b27f6acfe2",
    "q_learning-softmax": "2370e322ad5060c48868bd65086ac3f4e6021168c2af901f5daa1161c44ece23",
    "q_learning-visits": "345892a6d47581af1073bff1ec1d61b08dfeacaf2090ea1bc1fa165f4134db41",
    "sarsa-eps": "87ed03aa792907c8e7049ec90b2b823c9b884e392411028aa07b0b7b0c299ef6",
    "sarsa-softmax": "bcfd5b6b923cd248b8c4d8ec6c8cc53baabbb818624b8089133f7bcf4969edca",
    "expected_sarsa-eps": "9386cb55667355789b15e94095134af0d855a290caf66fab34de8b61a792e15a",
    "expected_sarsa-softmax": "5f7011f26fb08f4a6371e936068b92f553bb3f0e1f44c3bd2e9d1c00241dd912",
    "double_q_learning-eps": "6af30dba5a9e9de2d69da0acf02439df5cb4b5b7b8d91b30dcd5f57681c62624",
    "double_q_learning-softmax": "8009027f787bfb52646e185538a83d9f031f71d13602a8ca7a03a9d2f6068355",
    "dyna_q-eps": "1aa05453febce42383d7672c1619dcdf0cce9790db65496845d1f9f804d31465",
    "dyna_q-visits": "39ff66e2276fb33873db89bd274bcd04744f35380da0a53cac04c1659b4d89a2",
    "dyna_q-softmax": "b02f375d6133dbcb680aabb4051a2c786fd0572e15e356b8329ffc731de9a8dc",
    "reinforce-baseline": "1eb7e8b40d443d9d7b60a8650747f17d7c2f59a65d634ae25cf942eca136e706",
    "reinforce-plain": "155e437b946ac82ae591ff382b8d19efda9397b2282672dbabd91ec31ce8a651",
    "reinforce-schedules": "7553de804106c42f96b7638eee8b92c376cb4f7ad47ccf08a2fc6cdde85ae5f3",
    "sweep-q_learning": (
        "1f0914af90f7a899b9e697e42d36858ce14f17cfd5cdd0f556df91313962d34a"
        "6cf2c20b4009fff6dbaf4d8da85745912331baef6411b7753dbdb2fde5ac53ea"
    ),
    "sweep-sarsa-softmax": (
        "fabf0caf6ca0cf764ccffa0329f6091dd033a785bff3a91ec56eed745eccd15b"
        "2b1e4f9721dd9fb77118c052bce873afef8f508eb3204091fc3be10f34ec5f54"
    ),
    "sweep-dyna_q": (
        "aa249cf39aa0267b59a878fc3cb922bdff901103230d73935141a2dc064ba843"
        "6e1bb8396e8289c68b22c968f686d7beaeea1bb1d3cf09a737c159edb7e7f8d4"
    ),
    "sweep-reinforce": (
        "03bfb5d44b08e13a3380ef83eaf08651e9b0253fcce7904b7c01b77341d0fedd"
        "cb5a920cd75b76deb77f73f0071cf2bdc86b17d0f1c92c2e2f58b3e8fd92e119"
    ),
    "q_learning-long": "9bd509a6febf083b7db3190ed78ce71ca4457d06338e1a61d40e17c9f78bc60b",
    "sarsa-long-chunked": "5240e1b3541acb0ab507fe4237ff969343e2b3fb0c5b281e51140d249ccf6c5f",
    "reinforce-long": "26ea61d614fcba8c9476f2894a435c489f45dd7126c9bd3a58ff3059885c3ed2",
}


@pytest.mark.parametrize(
    ("learner", "mdp_name", "settings"),
    [pytest.param(learner, name, settings, id=id_) for id_, learner, name, settings in RUNS],
)
def test_learner_output_is_bit_identical_to_the_golden_digest(request, learner, mdp_name, settings):
    got = digest(getattr(rlf, learner)(model(mdp_name), gamma=0.95, n_steps=N_STEPS, **settings))
    expected = GOLDEN[request.node.callspec.id]
    assert got == expected


@pytest.mark.parametrize(
    ("learner", "mdp_name", "settings"),
    [pytest.param(learner, name, settings, id=id_) for id_, learner, name, settings in RUNS],
)
def test_reference_twin_output_is_bit_identical_to_the_golden_digest(
    request, learner, mdp_name, settings
):
    twin = getattr(reference, learner)
    got = digest(twin(model(mdp_name), gamma=0.95, n_steps=N_STEPS, **settings))
    expected = GOLDEN[request.node.callspec.id]
    assert got == expected


@pytest.mark.parametrize(
    ("learner", "mdp_name", "settings"),
    [pytest.param(learner, name, settings, id=id_) for id_, learner, name, settings in LONG_RUNS],
)
def test_long_learner_output_is_bit_identical_to_the_golden_digest(
    request, learner, mdp_name, settings
):
    settings = dict(settings)
    if "progress" in settings:
        settings["progress"] = lambda done, total: None
    got = digest(getattr(rlf, learner)(model(mdp_name), gamma=0.95, **settings))
    expected = GOLDEN[request.node.callspec.id]
    assert got == expected


@pytest.mark.parametrize(
    ("learner", "mdp_name", "settings"),
    [pytest.param(learner, name, settings, id=id_) for id_, learner, name, settings in SWEEPS],
)
def test_sweep_output_is_bit_identical_to_the_golden_digest(request, learner, mdp_name, settings):
    result = rlf.sweep(model(mdp_name), learner, gamma=0.95, n_steps=N_STEPS, **settings)
    got = digest(result) + hashlib.sha256(result.n_episodes.astype(np.int64).tobytes()).hexdigest()
    expected = GOLDEN[request.node.callspec.id]
    assert got == expected
