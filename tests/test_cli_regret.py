"""The regret subcommand: the learners with guarantees from the command line."""

from __future__ import annotations

import numpy as np

import rlfoundations as rlf
from rlfoundations.cli import main

RIVER = ["river_swim", "--env-kwarg", "small_reward=0.005", "--env-kwarg", "large_reward=1"]


def test_regret_prints_the_regret_of_both_halves(capsys):
    code = main(["regret", *RIVER, "--algo", "rmax", "--known-visits", "5", "--horizon", "20",
                 "--episodes", "400", "--seeds", "3", "--quiet"])  # fmt: skip
    out = capsys.readouterr().out
    mdp = rlf.problems.river_swim(small_reward=0.005, large_reward=1.0)
    runs = rlf.exploration_sweep("rmax", mdp, 20, 400, seeds=[0, 1, 2], known_visits=5)
    first = np.array([run.regret[199] for run in runs])
    assert code == 0
    assert f"Regret in the first half: mean {first.mean():.6g}" in out
    assert "Regret in the second half" in out


def test_regret_draws_a_progress_bar_on_stderr(capsys):
    code = main(["regret", *RIVER, "--algo", "psrl", "--horizon", "5", "--episodes", "130"])
    assert code == 0
    assert "psrl on river_swim" in capsys.readouterr().err


def test_regret_refuses_an_option_of_another_learner(capsys):
    code = main(["regret", "river_swim", "--algo", "psrl", "--horizon", "5", "--epsilon", "0.1"])
    assert code == 2
    assert "--epsilon is an option of ucb-q-learning only" in capsys.readouterr().err
