"""The command line, in process and as subprocesses: solve, train, play, animate, bench."""

from __future__ import annotations

import os
import re
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
        def __init__(self, label, stream=None):
            pass

        def __call__(self, done, total):
            if done >= 20_000:
                raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(cli, "ProgressBar", InterruptingBar)
    out = tmp_path / "q.npz"
    assert main(["train", "Taxi-v3", "--steps", "100000", "--out", str(out)]) == 130
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
    assert process.returncode == 130
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


@pytest.mark.parametrize("env", ["Taxi-v3", "FrozenLake-v1"])
def test_play_records_a_gif_of_a_toy_text_env_with_the_plot_extra(env, tmp_path, capsys):
    pytest.importorskip("PIL")
    pytest.importorskip("pygame")  # gymnasium[toy-text], in the plot extra
    gif = tmp_path / "episode.gif"
    assert main(["play", env, "--gif", str(gif), "--seed", "1"]) == 0
    assert f"to {gif}" in capsys.readouterr().out
    assert gif.stat().st_size > 0


def test_play_gif_without_pygame_names_the_extra(tmp_path, capsys, monkeypatch):
    pytest.importorskip("PIL")
    monkeypatch.setitem(sys.modules, "pygame", None)  # import pygame now fails
    assert main(["play", "Taxi-v3", "--gif", str(tmp_path / "taxi.gif")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'rlfoundations[plot]'" in err and err.count("\n") == 1


def test_gif_must_end_in_gif(tmp_path, capsys, no_work):
    assert main(["play", "Taxi-v3", "--gif", str(tmp_path / "taxi.png")]) == 2
    assert "must end in .gif" in capsys.readouterr().err


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


def test_animate_takes_env_kwargs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    gif = tmp_path / "lake.gif"
    argv = ["animate", "FrozenLake-v1", "--out", str(gif), "--env-kwarg", "is_slippery=false"]
    assert main(argv) == 0
    assert gif.stat().st_size > 0


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
    err = capsys.readouterr().err
    assert "benchmark scripts of a source checkout" in err
    assert err.count("\n") == 1


def test_bench_is_not_offered_outside_a_checkout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "BENCHMARKS", tmp_path / "missing")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "bench" not in capsys.readouterr().out


# -- user mistakes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["solve", "Taxo-v3"], "unknown env id 'Taxo-v3'; did you mean", id="typo"),
        pytest.param(["solve", "CartPole-v1"], "observation_space is Box", id="not-discrete"),
        pytest.param(["solve", "Taxi-v3", "--gamma", "2"], "must be in [0, 1]", id="gamma"),
        pytest.param(["solve", "Taxi-v3", "--gamma", "x"], "not a number: 'x'", id="gamma-text"),
        pytest.param(["solve", "Taxi-v3", "--method", "x"], "invalid choice: 'x'", id="method"),
        pytest.param(["train", "Taxi-v3", "--steps", "0"], "--steps: must be in [1,", id="steps"),
        pytest.param(
            ["train", "Taxi-v3", "--steps", str(2**63)], "--steps: must be in", id="steps-huge"
        ),
        pytest.param(["train", "Taxi-v3", "--seed", "-1"], "--seed: must be in", id="seed"),
        pytest.param(["train", "Taxi-v3", "--algo", "dqn"], "invalid choice: 'dqn'", id="algo"),
        pytest.param(
            ["train", "Taxi-v3", "--alpha", "2"], "--alpha: must be in (0, 1]", id="alpha"
        ),
        pytest.param(
            ["train", "Taxi-v3", "--alpha", "0"], "--alpha: must be in (0, 1]", id="alpha-0"
        ),
        pytest.param(["train", "Taxi-v3", "--epsilon", "2"], "--epsilon: must be in", id="epsilon"),
        pytest.param(["train", "Taxi-v3", "--decay", "0"], "--decay: must be in", id="decay"),
        pytest.param(
            ["train", "Taxi-v3", "--planning-steps", "-1"], "--planning-steps", id="planning"
        ),
        pytest.param(["play", "Taxi-v3", "--policy", "nowhere.npz"], "no such file", id="file"),
        pytest.param(
            ["solve", "FrozenLake-v1", "--env-kwarg", "bogus=1"],
            "--env-kwarg bogus=1: FrozenLakeEnv.__init__() got an unexpected keyword",
            id="env-kwarg-unknown",
        ),
        pytest.param(
            ["solve", "FrozenLake-v1", "--env-kwarg", "is_slippery"], "KEY=VALUE", id="env-kwarg"
        ),
        pytest.param(
            ["solve", "FrozenLake-v1", "--env-kwarg", "a=1", "--env-kwarg", "a=2"],
            "--env-kwarg a is given twice",
            id="env-kwarg-twice",
        ),
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
    assert "Schedule(" not in err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        pytest.param(["solve", "Taxi-v3", "--seed", "3"], "--seed", id="solve-seed"),
        pytest.param(
            ["train", "Taxi-v3", "--planning-steps", "5"], "--planning-steps", id="planning"
        ),
        pytest.param(
            ["train", "Taxi-v3", "--baseline-alpha", "0.2"], "--baseline-alpha", id="baseline"
        ),
        pytest.param(
            ["train", "Taxi-v3", "--algo", "reinforce", "--epsilon", "0.1"], "--epsilon", id="eps"
        ),
        pytest.param(
            ["train", "Taxi-v3", "--epsilon", "0.1", "--decay", "0.5"], "--decay", id="decay"
        ),
        pytest.param(
            ["play", "Taxi-v3", "--policy", "p.npz", "--gamma", "0.9"], "--gamma", id="play-gamma"
        ),
        pytest.param(
            ["play", "Taxi-v3", "--gif", "p.gif", "--episodes", "3"],
            "--episodes",
            id="gif-episodes",
        ),
    ],
)
def test_a_flag_that_would_be_ignored_is_refused(capsys, argv, flag):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{flag} does nothing" in err
    assert err.count("\n") == 1


@pytest.fixture
def no_work(monkeypatch):
    """Any model extraction fails the test: the command must have stopped before it."""

    def work_started(*args, **kwargs):
        raise AssertionError("the command started its work before checking --out")

    monkeypatch.setattr(cli, "from_env", work_started)


def out_paths(tmp_path):
    (tmp_path / "existing").mkdir()
    return {
        "missing-directory": (str(tmp_path / "missing" / "q.npz"), "does not exist"),
        "existing-directory": (str(tmp_path / "existing"), "is a directory"),
        "existing-directory-npz": (str(tmp_path / "existing.npz"), None),
        "trailing-slash": (str(tmp_path / "new") + "/", "is a directory"),
        "empty": ("", "--out is empty"),
        "blank": ("  ", "--out is empty"),
    }


@pytest.mark.parametrize("command", ["solve", "train"])
@pytest.mark.parametrize(
    "case",
    ["missing-directory", "existing-directory", "trailing-slash", "empty", "blank"],
)
def test_a_bad_out_path_is_one_line_before_any_work(command, case, tmp_path, capsys, no_work):
    path, message = out_paths(tmp_path)[case]
    assert main([command, "Taxi-v3", "--out", path]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert path.strip() == "" or repr(path) in err or path in err


def test_out_of_an_existing_directory_never_writes_beside_it(tmp_path, capsys, no_work):
    directory = tmp_path / "runs"
    directory.mkdir()
    assert main(["solve", "Taxi-v3", "--out", str(directory)]) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs"]  # no runs.npz


def test_out_of_a_directory_that_turns_into_one_with_npz_is_refused(tmp_path, capsys, no_work):
    (tmp_path / "q.npz").mkdir()
    assert main(["solve", "Taxi-v3", "--out", str(tmp_path / "q")]) == 2
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_out_in_a_read_only_directory_is_one_line(tmp_path, capsys, no_work):
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        assert main(["train", "Taxi-v3", "--out", str(directory / "q.npz")]) == 2
    finally:
        directory.chmod(0o755)
    assert "cannot write in the directory" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_out_in_a_directory_nobody_can_write_is_one_line(capsys, no_work):
    # /proc refuses new files even to root: the read-only directory a root CI can test.
    assert main(["train", "Taxi-v3", "--out", "/proc/q.npz"]) == 2
    err = capsys.readouterr().err
    assert "cannot write in the directory '/proc'" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        pytest.param(lambda tmp: tmp, "is a directory", id="directory"),
        pytest.param(lambda tmp: tmp / "missing.npz", "no such file", id="missing"),
        pytest.param(lambda tmp: tmp / "notes.txt", "not a valid .npz file", id="text-file"),
        pytest.param(lambda tmp: tmp / "empty.npz", "not a valid .npz file", id="empty-file"),
    ],
)
def test_play_of_a_policy_that_is_not_a_saved_file_is_one_line(
    make_path, message, tmp_path, capsys
):
    (tmp_path / "notes.txt").write_text("not a policy\n")
    (tmp_path / "empty.npz").write_bytes(b"")
    assert main(["play", "FrozenLake-v1", "--policy", str(make_path(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert "allow_pickle" not in err


def test_version_prints_the_library_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"rlfoundations {rlf.__version__}\n"


# -- env kwargs ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("is_slippery=false", ("is_slippery", False), id="json-bool"),
        pytest.param("is_slippery=False", ("is_slippery", False), id="python-bool"),
        pytest.param("map_name=8x8", ("map_name", "8x8"), id="bare-string"),
        pytest.param('map_name="4x4"', ("map_name", "4x4"), id="quoted-string"),
        pytest.param("drunk=0.1", ("drunk", 0.1), id="float"),
        pytest.param("size=3", ("size", 3), id="int"),
        pytest.param('desc=["SF", "FG"]', ("desc", ["SF", "FG"]), id="list"),
        pytest.param("max=None", ("max", None), id="none"),
    ],
)
def test_env_kwarg_values_are_read_as_literals(text, expected):
    assert cli._env_kwarg(text) == expected


def test_env_kwargs_reach_the_env(capsys):
    argv = [
        "solve",
        "FrozenLake-v1",
        "--env-kwarg",
        "map_name=8x8",
        "--env-kwarg",
        "is_slippery=false",
    ]
    assert main([*argv, "--gamma", "1"]) == 0
    out = capsys.readouterr().out
    assert "n_states=64" in out and "max_outcomes=1" in out  # 8x8, deterministic


def test_env_kwargs_are_recorded_in_the_saved_file(tmp_path, capsys):
    out = tmp_path / "fl.npz"
    argv = ["train", "FrozenLake-v1", "--steps", "2000", "--quiet", "--out", str(out)]
    assert main([*argv, "--env-kwarg", "is_slippery=false"]) == 0
    assert rlf.load_metadata(out)["metadata"]["env_kwargs"] == {"is_slippery": False}


def test_play_refuses_a_policy_saved_for_other_env_kwargs(tmp_path, capsys):
    out = tmp_path / "fl.npz"
    assert (
        main(["solve", "FrozenLake-v1", "--env-kwarg", "is_slippery=false", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    assert main(["play", "FrozenLake-v1", "--policy", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--env-kwarg is_slippery=false" in err and err.count("\n") == 1


def test_play_runs_a_policy_with_the_env_kwargs_it_was_saved_for(tmp_path, capsys):
    out = tmp_path / "fl.npz"
    kwarg = ["--env-kwarg", "is_slippery=false"]
    assert main(["solve", "FrozenLake-v1", *kwarg, "--gamma", "0.9", "--out", str(out)]) == 0
    assert main(["play", "FrozenLake-v1", *kwarg, "--policy", str(out)]) == 0
    assert "Episode 1 ended after 6 steps with return 1." in capsys.readouterr().out


def played_episodes(out: str) -> list[tuple[int, float]]:
    """(steps, return) of every episode ``play`` reported."""
    found = re.findall(r"Episode \d+ (?:ended|was cut by the time limit) after (\d+) steps "
                       r"with return (\S+)\.", out)  # fmt: skip
    return [(int(steps), float(total)) for steps, total in found]


@pytest.mark.parametrize(
    "saved",
    [
        pytest.param(lambda soft: rlf.StochasticPolicy(soft.policy, seed=123), id="policy"),
        pytest.param(lambda soft: soft, id="soft-result"),
    ],
)
def test_play_draws_a_saved_stochastic_policys_actions_seeded_by_seed(saved, tmp_path, capsys):
    soft = rlf.soft_value_iteration(rlf.from_env("FrozenLake-v1"), 0.9, 0.5)
    path = rlf.save(tmp_path / "soft", saved(soft), env_id="FrozenLake-v1")
    argv = ["play", "FrozenLake-v1", "--policy", str(path), "--episodes", "6", "--seed", "4"]
    assert main(argv) == 0
    got = played_episodes(capsys.readouterr().out)
    expected = rlf.evaluate("FrozenLake-v1", soft.policy, episodes=6, seed=4)
    assert got == list(zip(expected.lengths.tolist(), expected.returns.tolist(), strict=True))


def test_play_refuses_a_finite_horizon_policy_saying_it_depends_on_the_step(tmp_path, capsys):
    result = rlf.backward_induction(rlf.from_env("FrozenLake-v1"), 5)
    path = rlf.save(tmp_path / "horizon", result, env_id="FrozenLake-v1")
    assert main(["play", "FrozenLake-v1", "--policy", str(path)]) == 2
    err = capsys.readouterr().err
    assert "depends on the step" in err and err.count("\n") == 1


def test_play_refuses_a_stochastic_policy_of_another_size(tmp_path, capsys):
    policy = rlf.StochasticPolicy(np.full((16, 2), 0.5))
    path = rlf.save(tmp_path / "small", policy, env_id="FrozenLake-v1")
    assert main(["play", "FrozenLake-v1", "--policy", str(path)]) == 2
    assert "shape (16, 2)" in capsys.readouterr().err


# -- user errors and bugs --------------------------------------------------------------------
def test_a_bug_in_the_library_is_a_traceback_not_a_user_error(monkeypatch):
    def broken(mdp, gamma):
        raise ValueError("an internal invariant broke")

    monkeypatch.setitem(cli.METHODS, "vi", ("value iteration", broken))
    with pytest.raises(ValueError, match="internal invariant"):
        main(["solve", "FrozenLake-v1"])


def test_the_traceback_variable_shows_user_errors_in_full(monkeypatch, capsys):
    monkeypatch.setenv("RLFOUNDATIONS_TRACEBACK", "1")
    assert main(["train", "Taxi-v3", "--alpha", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("must be in (0, 1], got 0 (see rlfoundations train --help)")


# -- time ------------------------------------------------------------------------------------
def test_the_compile_note_appears_only_when_kernels_were_compiled():
    assert "compiling" in cli._timing(9.2, [object()])
    assert cli._timing(9.2, []) == "9.2 s"


def test_a_second_solve_in_one_process_compiles_nothing(capsys):
    assert main(["solve", "FrozenLake-v1"]) == 0
    assert main(["solve", "FrozenLake-v1"]) == 0
    second = capsys.readouterr().out.split("Solved by")[-1].splitlines()[0]
    assert "compiling" not in second
    assert "e+" not in second


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
    assert done.stderr.startswith(
        "rlfoundations: error: env 'CartPole-v1': observation_space is Box"
    )
    assert "Traceback" not in done.stderr


# -- solve --criterion (issue 13) ------------------------------------------------------------
def test_solve_finite_horizon_uses_the_envs_time_limit(capsys):
    assert main(["solve", "FrozenLake-v1", "--criterion", "finite"]) == 0
    out = capsys.readouterr().out
    mdp = rlf.from_env("FrozenLake-v1")
    expected = rlf.backward_induction(mdp, 100).mean_return(mdp.initial)
    assert "backward induction over 100 steps" in out
    assert f"over the start distribution: {expected:.4f} (gamma=1.0)" in out


def test_solve_finite_horizon_takes_a_horizon(capsys):
    assert main(["solve", "CliffWalking-v1", "--criterion", "finite", "--horizon", "5"]) == 0
    # Five steps cannot reach the goal (13 away): the best is to avoid the cliff, -5.
    assert "within 5 steps over the start distribution: -5.0000" in capsys.readouterr().out


def test_solve_average_reward_prints_a_proven_gain(capsys):
    assert main(["solve", "Taxi-v3", "--criterion", "average"]) == 0
    out = capsys.readouterr().out
    expected = rlf.relative_value_iteration(rlf.from_env("Taxi-v3"))
    assert f"Optimal reward per step: {expected.gain:.6f}" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--horizon", "3"], "--horizon goes with --criterion finite", id="horizon"),
        pytest.param(["--criterion", "average", "--gamma", "0.9"], "no --gamma", id="gamma"),
        pytest.param(["--criterion", "finite", "--horizon", "0"], "must be in [1,", id="zero"),
        pytest.param(["--criterion", "finite", "--show-episode"], "stationary", id="episode"),
        pytest.param(["--criterion", "average", "--out", "x.npz"], "--out", id="out"),
        pytest.param(["--criterion", "mean"], "invalid choice: 'mean'", id="criterion"),
    ],
)
def test_solve_criterion_mistakes_are_one_line_errors(capsys, argv, message):
    assert main(["solve", "FrozenLake-v1", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_train_passes_lam_and_trace_to_a_trace_learner(capsys):
    argv = ["train", "FrozenLake-v1", "--algo", "watkins-q-lambda", "--steps", "3000"]
    assert main([*argv, "--lam", "0.5", "--trace", "dutch", "--quiet"]) == 0
    assert "watkins-q-lambda on TabularMDP(n_states=16" in capsys.readouterr().out


def test_train_refuses_lam_for_a_learner_without_traces(capsys):
    assert main(["train", "FrozenLake-v1", "--lam", "0.5", "--quiet"]) == 2
    assert "--lam does nothing with --algo q-learning" in capsys.readouterr().err


def test_train_refuses_kappa_for_a_learner_without_a_model(capsys):
    assert main(["train", "FrozenLake-v1", "--kappa", "0.01", "--quiet"]) == 2
    assert "--kappa does nothing with --algo q-learning" in capsys.readouterr().err


def test_train_runs_dyna_q_plus(capsys):
    argv = ["train", "FrozenLake-v1", "--algo", "dyna-q", "--kappa", "0.01", "--steps", "2000"]
    assert main([*argv, "--quiet"]) == 0
    assert "dyna-q on TabularMDP(n_states=16" in capsys.readouterr().out


# -- train --algo td-prediction / monte-carlo-prediction -----------------------------------------
def test_train_td_prediction_prints_the_rms_error_against_the_exact_values(capsys):
    argv = ["train", "random_walk", "--algo", "td-prediction", "--gamma", "1", "--n", "2"]
    assert main([*argv, "--steps", "20000", "--seeds", "3", "--alpha", "0.05", "--quiet"]) == 0
    out = capsys.readouterr().out
    walk = rlf.problems.random_walk()
    result = rlf.sweep(walk, "td_prediction", policy=[0] * 7, gamma=1.0, n_steps=20_000,
                       seeds=range(3), n=2, alpha=0.05)  # fmt: skip
    errors = np.sqrt(np.mean((result.values[:, 1:6] - np.arange(1, 6) / 6) ** 2, axis=1))
    assert "Values of the optimal policy (value iteration, gamma 1)" in out
    assert f"over the 5 states an episode acts in: best {errors.min():.4g}" in out
    # Sutton and Barto's example 6.2: the centre of the walk is worth 1/2.
    assert "Exact value of the start distribution: 0.5000" in out


def test_train_monte_carlo_prediction_learns_the_values_of_a_solved_policy(tmp_path, capsys):
    assert main(["solve", "FrozenLake-v1", "--out", str(tmp_path / "lake")]) == 0
    argv = ["train", "FrozenLake-v1", "--algo", "monte-carlo-prediction", "--every-visit"]
    code = main([*argv, "--policy", str(tmp_path / "lake.npz"), "--steps", "30000", "--quiet"])
    out = capsys.readouterr().out
    lake = rlf.from_env("FrozenLake-v1")
    policy = rlf.value_iteration(lake, 0.99).policy
    result = rlf.monte_carlo_prediction(lake, policy, 0.99, 30_000, first_visit=False)
    exact = rlf.policy_evaluation(lake, policy, 0.99).values
    acting = rlf.acting_states(lake)
    error = np.sqrt(np.mean((result.values[acting] - exact[acting]) ** 2))
    assert code == 0
    assert f"Values of the policy of {tmp_path / 'lake.npz'}" in out
    assert f"acts in: {error:.4g}" in out


def test_train_prediction_of_the_uniform_policy(capsys):
    argv = ["train", "FrozenLake-v1", "--algo", "td-prediction", "--policy", "random"]
    assert main([*argv, "--lam", "0.8", "--steps", "5000", "--quiet"]) == 0
    assert "Values of the uniform policy" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--algo", "td-prediction", "--epsilon", "0.1"],
            "--epsilon does nothing with --algo td-prediction",
            id="epsilon",
        ),
        pytest.param(
            ["--algo", "monte-carlo-prediction", "--alpha", "0.1"],
            "--alpha does nothing with --algo monte-carlo-prediction",
            id="alpha-for-mc",
        ),
        pytest.param(
            ["--algo", "td-prediction", "--lam", "0.5", "--n", "3"],
            "--n does nothing with --lam",
            id="n-with-lam",
        ),
        pytest.param(
            ["--algo", "td-prediction", "--every-visit"],
            "--every-visit does nothing with --algo td-prediction",
            id="every-visit-for-td",
        ),
        pytest.param(
            ["--algo", "td-prediction", "--out", "values.npz"],
            "--out does nothing with --algo td-prediction",
            id="out",
        ),
        pytest.param(
            ["--policy", "random"], "--policy does nothing with --algo q-learning", id="policy"
        ),
        pytest.param(
            ["--algo", "td-prediction", "--policy", "missing.npz"], "--policy", id="no-file"
        ),
    ],
)
def test_train_prediction_refuses_flags_it_would_ignore(capsys, argv, message):
    assert main(["train", "FrozenLake-v1", *argv, "--steps", "100", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(["--algo", "q-sigma", "--sigma", "0.25", "--n", "3"], id="q-sigma"),
        pytest.param(
            ["--algo", "n-step-tree-backup", "--target-policy", "behaviour", "--n", "2"],
            id="tree-backup",
        ),
    ],
)
def test_train_passes_the_n_step_settings(capsys, flags):
    assert main(["train", "FrozenLake-v1", *flags, "--steps", "3000", "--quiet"]) == 0
    assert f"{flags[1]} on TabularMDP(n_states=16" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--algo", "n-step-sarsa", "--sigma", "0.5"], "--sigma does nothing with --algo n-step"),
        (["--algo", "q-sigma", "--target-policy", "greedy"], "--target-policy does nothing"),
        (["--n", "3"], "--n does nothing with --algo q-learning"),
    ],
)
def test_train_refuses_n_step_settings_a_learner_does_not_read(capsys, flags, message):
    assert main(["train", "FrozenLake-v1", *flags, "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_train_runs_prioritized_sweeping_with_its_planning_steps_and_theta(capsys):
    argv = ["train", "FrozenLake-v1", "--algo", "prioritized-sweeping", "--steps", "2000"]
    assert main([*argv, "--planning-steps", "3", "--theta", "0.001", "--quiet"]) == 0
    assert "prioritized-sweeping on TabularMDP(n_states=16" in capsys.readouterr().out


def test_train_refuses_theta_for_a_learner_without_a_queue(capsys):
    assert main(["train", "FrozenLake-v1", "--algo", "dyna-q", "--theta", "0.1", "--quiet"]) == 2
    assert "--theta does nothing with --algo dyna-q" in capsys.readouterr().err


def test_train_refuses_prioritized_sweeping_without_planning_steps(capsys):
    argv = ["train", "FrozenLake-v1", "--algo", "prioritized-sweeping", "--planning-steps", "0"]
    assert main([*argv, "--quiet"]) == 2
    assert "planning_steps >= 1" in capsys.readouterr().err


def test_train_a_differential_learner_reports_gains_against_the_optimal_gain(tmp_path, capsys):
    out = tmp_path / "differential.npz"
    argv = ["train", "queue_admission", "--algo", "differential-q-learning", "--quiet"]
    assert main([*argv, "--steps", "20000", "--eta", "0.5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    optimal = rlf.relative_value_iteration(rlf.problems.queue_admission()).gain
    assert f"Optimal average reward per step (relative value iteration): {optimal:.4f}" in printed
    assert "Learned average reward (R-bar): " in printed
    assert "Exact average reward of the greedy policy learned: " in printed
    result = rlf.load(out)
    assert isinstance(result, rlf.LearningResult)
    assert result.algorithm == "differential_q_learning" and result.gain is not None
    assert rlf.load_metadata(out)["metadata"]["optimal_gain"] == pytest.approx(optimal)


def test_train_refuses_gamma_for_a_differential_learner_and_eta_for_the_others(capsys):
    argv = ["train", "FrozenLake-v1", "--steps", "100", "--quiet"]
    assert main([*argv, "--algo", "differential-sarsa", "--gamma", "0.9"]) == 2
    assert "--gamma does nothing with --algo differential-sarsa" in capsys.readouterr().err
    assert main([*argv, "--eta", "0.5"]) == 2
    assert "--eta does nothing with --algo q-learning" in capsys.readouterr().err
