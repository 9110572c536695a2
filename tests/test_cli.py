"""The command line, in process and as subprocesses: solve, train, play, animate, bench."""

from __future__ import annotations

import signal
import subprocess
import sys

import numpy as np
import pytest

import rlfoundations as rlf
from rlfoundations import batch, cli
from rlfoundations.cli import main


def run_module(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rlfoundations", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- solve -----------------------------------------------------------------------------------
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


def test_solve_saves_a_policy_that_loads_for_the_same_env(tmp_path, capsys):
    assert main(["solve", "rlfoundations/Rick-v0", "--out", str(tmp_path / "rick")]) == 0
    assert f"to {tmp_path / 'rick.npz'}" in capsys.readouterr().out
    policy = rlf.load(tmp_path / "rick.npz", env_id="rlfoundations/Rick-v0")
    expected = rlf.solve("rlfoundations/Rick-v0")
    assert np.array_equal(policy.actions, expected.actions)


# -- train -----------------------------------------------------------------------------------
def test_train_prints_the_gap_to_optimal_over_seeds(capsys):
    argv = ["train", "Taxi-v3", "--steps", "1_000_000", "--seeds", "3", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "1,000,000 steps in each of 3 runs" in out
    assert "Optimal mean return over the start distribution: 6.3275" in out
    assert "Gap to optimal of the greedy policies learned: best 0.0000" in out
    assert "Optimal from every start state:" in out


@pytest.mark.parametrize("algo", list(cli.ALGORITHMS))
def test_train_runs_every_algorithm(capsys, algo):
    assert main(["train", "FrozenLake-v1", "--algo", algo, "--steps", "2000", "--quiet"]) == 0
    assert f"{algo} on TabularMDP(n_states=16" in capsys.readouterr().out


def test_train_draws_a_progress_bar_on_stderr(capsys):
    assert main(["train", "FrozenLake-v1", "--steps", "5000"]) == 0
    assert "100% 5k/5k steps" in capsys.readouterr().err


def test_train_saves_the_best_run(tmp_path, capsys):
    out = tmp_path / "q.npz"
    argv = ["train", "CliffWalking-v1", "--steps", "20000", "--seeds", "2", "--quiet"]
    assert main([*argv, "--gamma", "0.9", "--out", str(out)]) == 0
    assert "Saved the run of seed" in capsys.readouterr().out
    result = rlf.load(out, env_id="CliffWalking-v1")
    assert isinstance(result, rlf.LearningResult)
    assert result.total_steps == 20_000
    assert "gap" in rlf.load_metadata(out)["metadata"]


def test_interrupted_training_keeps_what_it_learned(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_STEPS", 10_000)

    class InterruptingBar:
        def __init__(self, label):
            pass

        def __call__(self, done, total):
            if done >= 20_000:
                raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(cli, "ProgressBar", InterruptingBar)
    out = tmp_path / "q.npz"
    assert main(["train", "Taxi-v3", "--steps", "100000", "--out", str(out)]) == 0
    assert "Interrupted: keeping what was learned in 20,000 steps." in capsys.readouterr().out
    assert rlf.load(out).total_steps == 20_000


def test_ctrl_c_interrupts_a_long_training_between_chunks():
    process = subprocess.Popen(
        [sys.executable, "-m", "rlfoundations", "train", "Taxi-v3", "--steps", "10_000_000_000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while "%" not in process.stderr.read(1):  # the progress bar is drawing: training runs
            assert process.poll() is None
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Interrupted: keeping what was learned in" in out
    assert "Gap to optimal of the greedy policy learned" in out


# -- play ------------------------------------------------------------------------------------
def test_play_runs_a_saved_policy_as_text_frames(tmp_path, capsys):
    path = rlf.save(tmp_path / "rick", rlf.solve("rlfoundations/Rick-v0"))
    assert main(["play", "rlfoundations/Rick-v0", "--policy", str(path), "--episodes", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("Episode 1 ended after") == 1
    assert "Mean return over 2 episodes" in out
    assert "|" in out
    assert "\x1b[2J" not in out  # not a terminal: frames follow each other, no screen clears


def test_play_without_a_policy_solves_first(capsys):
    assert main(["play", "FrozenLake-v1", "--seed", "1"]) == 0
    assert "Episode 1 ended after" in capsys.readouterr().out


def test_play_accepts_a_q_table(tmp_path, capsys):
    result = rlf.q_learning(rlf.from_env("CliffWalking-v1"), gamma=1.0, n_steps=20_000, seed=0)
    path = rlf.save(tmp_path / "q", result.q_values, env_id="CliffWalking-v1")
    assert main(["play", "CliffWalking-v1", "--policy", str(path)]) == 0
    assert "Episode 1 ended after 13 steps with return -13." in capsys.readouterr().out


def test_play_records_a_gif_of_rick(tmp_path, capsys):
    pytest.importorskip("PIL")
    from PIL import Image

    gif = tmp_path / "rick.gif"
    assert main(["play", "rlfoundations/Rick-v0", "--gif", str(gif), "--seed", "4"]) == 0
    frames = int(capsys.readouterr().out.split("Recorded ")[1].split()[0])
    with Image.open(gif) as image:
        # Pillow merges identical consecutive frames (the portal shot leaves the state as is).
        assert 2 <= image.n_frames <= frames
        assert image.size == (240, 240)


# -- animate ---------------------------------------------------------------------------------
def test_animate_writes_the_value_iteration_gif(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from PIL import Image

    gif = tmp_path / "rick.gif"
    argv = ["animate", "rlfoundations/Rick-v0", "--out", str(gif), "--slice", "signal=1"]
    assert main([*argv, "--slice", "morty=4", "--scale", "relative"]) == 0
    assert f"to {gif}" in capsys.readouterr().out
    with Image.open(gif) as image:
        assert image.n_frames > 2


def test_animate_names_a_bad_slice(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    argv = ["animate", "Taxi-v3", "--out", str(tmp_path / "t.gif"), "--slice", "morty=4"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "morty" in err and err.count("\n") == 1


# -- bench -----------------------------------------------------------------------------------
def test_bench_runs_the_quick_benchmark_scripts(tmp_path, monkeypatch, capfd):
    for name in ("bench_planning.py", "bench_learning.py"):
        (tmp_path / name).write_text("import sys\nprint('ran', sys.argv[1:])\n")
    monkeypatch.setattr(cli, "BENCHMARKS", tmp_path)
    assert main(["bench"]) == 0
    assert capfd.readouterr().out.count("ran ['--quick']") == 2


def test_bench_outside_a_checkout_says_where_the_scripts_are(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "BENCHMARKS", tmp_path / "missing")
    assert main(["bench"]) == 2
    assert "benchmark scripts live in the source repository" in capsys.readouterr().err


# -- user mistakes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["solve", "Taxo-v3"], "unknown env id 'Taxo-v3'; did you mean", id="typo"),
        pytest.param(["solve", "CartPole-v1"], "observation_space is Box", id="not-discrete"),
        pytest.param(["solve", "Taxi-v3", "--gamma", "2"], "must be in [0, 1]", id="gamma"),
        pytest.param(["solve", "Taxi-v3", "--gamma", "x"], "not a number: 'x'", id="gamma-text"),
        pytest.param(["solve", "Taxi-v3", "--method", "x"], "invalid choice: 'x'", id="method"),
        pytest.param(["train", "Taxi-v3", "--steps", "0"], "must be > 0", id="steps"),
        pytest.param(["train", "Taxi-v3", "--algo", "dqn"], "invalid choice: 'dqn'", id="algo"),
        pytest.param(["train", "Taxi-v3", "--alpha", "2"], "alpha must lie in", id="alpha"),
        pytest.param(["train", "Taxi-v3", "--decay", "0"], "--decay must be in", id="decay"),
        pytest.param(["play", "Taxi-v3", "--policy", "nowhere.npz"], "No such file", id="file"),
        pytest.param(["animate", "Taxi-v3"], "--out", id="animate-out"),
        pytest.param(
            ["animate", "Taxi-v3", "--out", "x.gif", "--slice", "3"], "NAME=INT", id="slice"
        ),
        pytest.param(["fly"], "invalid choice: 'fly'", id="command"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_policy_of_another_env_is_refused(tmp_path, capsys):
    path = rlf.save(tmp_path / "taxi", rlf.solve("Taxi-v3"))
    assert main(["play", "rlfoundations/Rick-v0", "--policy", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Taxi" in err and "rlfoundations/Rick-v0" in err
    assert err.count("\n") == 1


def test_module_runs_as_a_subprocess():
    done = run_module("solve", "FrozenLake-v1")
    assert done.returncode == 0, done.stderr
    assert "Optimal mean return" in done.stdout


def test_module_reports_a_mistake_with_exit_code_2():
    done = run_module("train", "CartPole-v1")
    assert done.returncode == 2
    assert done.stderr.startswith("rlfoundations: error: observation_space is Box")
    assert "Traceback" not in done.stderr
