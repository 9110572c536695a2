"""The progress bar: redrawn on a terminal, whole lines on a log, tqdm when asked; durations."""

from __future__ import annotations

import io

import pytest

import rlfoundations as rlf
from rlfoundations.progress import ProgressBar, format_duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(0.000_42, "420 µs", id="microseconds"),
        pytest.param(0.3404, "340 ms", id="milliseconds"),
        pytest.param(0.012_34, "12.3 ms", id="milliseconds-3-digits"),
        pytest.param(0.9996, "1.0 s", id="rounds-up-to-a-second"),
        pytest.param(9.18, "9.2 s", id="seconds"),
        pytest.param(59.97, "1 min 00 s", id="rounds-up-to-a-minute"),
        pytest.param(125.2, "2 min 05 s", id="minutes"),
        pytest.param(3725, "1 h 02 min", id="hours"),
        pytest.param(float("nan"), "?", id="nan"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds, expected):
    assert format_duration(seconds) == expected


def test_a_log_gets_whole_lines_and_no_carriage_returns():
    log = io.StringIO()
    bar = ProgressBar("train", stream=log, interval=0.0)
    for done in range(0, 1001, 250):
        bar(done, 1000)
    got = log.getvalue()
    assert "\r" not in got
    assert len(got.splitlines()) == 5
    assert got.splitlines()[-1].startswith("train [" + "#" * 30 + "] 100% 1k/1k steps")


def test_a_log_gets_a_line_every_interval_not_every_call():
    log = io.StringIO()
    bar = ProgressBar("train", stream=log, interval=3600.0)
    for done in range(1, 1001):
        bar(done, 1000)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2  # the first call, then the end
    assert "100%" in lines[-1]


def test_closing_an_interrupted_bar_writes_its_last_state_to_a_log():
    log = io.StringIO()
    bar = ProgressBar("train", stream=log, interval=3600.0)
    bar(10, 1000)
    bar(20, 1000)
    bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert " 20/1k steps" in lines[-1]


def test_a_terminal_gets_one_line_redrawn_in_place():
    terminal = Terminal()
    bar = ProgressBar("train", stream=terminal)
    bar(500, 1000)
    bar(1000, 1000)
    got = terminal.getvalue()
    assert got.count("\r") == 2
    assert got.count("\n") == 1 and got.endswith("\n")


def test_tqdm_draws_the_bar_when_asked(capsys):
    pytest.importorskip("tqdm")
    bar = ProgressBar("train", use_tqdm=True)
    bar(500, 1000)
    bar(1000, 1000)
    err = capsys.readouterr().err
    assert "train" in err and "100%" in err


def test_tqdm_is_not_used_for_an_explicit_stream():
    log = io.StringIO()
    bar = ProgressBar("train", stream=log)
    bar(1000, 1000)
    assert log.getvalue().startswith("train [")


def test_tqdm_asked_for_but_missing_names_the_install(monkeypatch):
    import rlfoundations.progress as progress

    monkeypatch.setattr(progress, "_tqdm_class", lambda: None)
    with pytest.raises(ImportError, match="pip install tqdm"):
        ProgressBar(use_tqdm=True)(1, 2)


def test_a_learner_accepts_the_bar_and_a_plain_callable():
    mdp = rlf.from_env("FrozenLake-v1")
    log = io.StringIO()
    calls = []
    rlf.q_learning(mdp, gamma=0.9, n_steps=2_000, seed=0, progress=ProgressBar(stream=log))
    rlf.q_learning(mdp, gamma=0.9, n_steps=2_000, seed=0, progress=lambda d, t: calls.append(d))
    assert "100% 2k/2k steps" in log.getvalue()
    assert calls[-1] == 2_000
