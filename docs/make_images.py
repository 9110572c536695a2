"""Regenerate the pictures in docs/img/: ``python docs/make_images.py`` (needs the extra plot).

- rick_values.png: Rick's optimal values and greedy policy on two slices of the state, Morty
  waiting at the Citadel and Morty aboard, the portal signal at Blips and Chitz.
- taxi_value_iteration.gif: the talk's animation, Taxi's value function sweep by sweep, on the
  absolute and the relative (per-sweep rescaled) colour scale.
- learning_curves.png: Q-learning on Rick, two learning rates, eight seeds each: smoothed
  episode returns and the exact gap to optimal of the greedy policy.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import rlfoundations as rlf
from rlfoundations import plot

IMAGES = Path(__file__).resolve().parent / "img"
RICK = "rlfoundations/Rick-v0"


def rick_values(path: Path) -> None:
    mdp = rlf.from_env(RICK)
    result = rlf.value_iteration(mdp, gamma=0.99)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2), layout="constrained")
    for ax, morty in zip(axes, (2, 4), strict=True):
        plot.plot_values(mdp, result.values, result.policy, ax=ax, signal=1, morty=morty)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def taxi_value_iteration(path: Path) -> None:
    plot.animate_value_iteration("Taxi-v3", path, gamma=0.99, scale="both", fps=3)


def learning_curves(path: Path) -> None:
    mdp = rlf.from_env(RICK)
    sweep = rlf.sweep(
        mdp,
        gamma=0.99,
        n_steps=60_000,
        seeds=range(8),
        alpha=[0.1, 0.5],
        epsilon=0.1,
        eval_every=1_000,
    )
    fig = plot.plot_learning_curves(sweep, mdp, smooth=50)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for name, draw in (
        ("rick_values.png", rick_values),
        ("taxi_value_iteration.gif", taxi_value_iteration),
        ("learning_curves.png", learning_curves),
    ):
        path = IMAGES / name
        draw(path)
        print(f"{path.relative_to(IMAGES.parent.parent)}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
