"""The command line: solve an env, show an episode, fail on user mistakes in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rlfoundations.__main__ import main


def test_solve_prints_the_optimal_mean_return(capsys):
    assert main(["solve", "Taxi-v3", "--method", "gs"]) == 0
    out = capsys.readouterr().out
    assert "Solved by Gauss-Seidel value iteration with gamma=0.99" in out
    assert "Optimal mean return over the start distribution: 6.3275" in out


@pytest.mark.parametrize("method", ["vi", "gs", "pi", "mpi"])
def test_every_method_gives_the_same_optimum(capsys, method):
    assert main(["solve", "CliffWalking-v1", "--gamma", "1", "--method", method]) == 0
    assert "Optimal mean return over the start distribution: -13.0000 (undiscounted)" in (
        capsys.readouterr().out
    )


def test_show_episode_plays_to_the_end(capsys):
    assert main(["solve", "FrozenLake-v1", "--gamma", "1", "--show-episode", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "One greedy episode (seed 3)" in out
    assert "Episode terminated after" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["solve", "Taxo-v3"], "unknown env id 'Taxo-v3'; did you mean", id="typo"),
        pytest.param(["solve", "CartPole-v1"], "observation_space is Box", id="not-discrete"),
        pytest.param(["solve", "Taxi-v3", "--gamma", "2"], "gamma must be in [0, 1]", id="gamma"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_module_runs_as_a_subprocess():
    done = subprocess.run(
        [sys.executable, "-m", "rlfoundations", "solve", "FrozenLake-v1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Optimal mean return" in done.stdout
