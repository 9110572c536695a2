"""The compare and explain subcommands: tables and plots from the command line."""

from __future__ import annotations

import pytest

from rlfoundations.cli import main

pytest.importorskip("matplotlib")


def test_compare_prints_a_row_per_learner_and_writes_the_plot(tmp_path, capsys):
    plot = tmp_path / "compare.png"
    code = main(
        ["compare", "CliffWalking-v1", "--algo", "q-learning,sarsa", "--seeds", "4",
         "--steps", "2000", "--gamma", "0.9", "--plot", str(plot)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "q-learning" in out and "sarsa" in out
    assert plot.stat().st_size > 0


def test_compare_rejects_an_unknown_learner(capsys):
    code = main(["compare", "CliffWalking-v1", "--algo", "q-learning,ppo", "--no-plot"])
    assert code == 2
    assert "ppo" in capsys.readouterr().err


def test_explain_prints_the_backup_of_the_state(capsys):
    code = main(["explain", "rlfoundations/Rick-v0", "--state", "489"])
    out = capsys.readouterr().out
    assert code == 0
    assert "action 0 (Up): Q = 15.2715  <- chosen" in out


def test_explain_rejects_a_state_out_of_range(capsys):
    code = main(["explain", "FrozenLake-v1", "--state", "16"])
    assert code == 2
    assert "--state" in capsys.readouterr().err
