"""compile_env on MiniGrid: shortest paths checked by a breadth-first search of our own."""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import pytest

import rlfoundations as rlf

minigrid = pytest.importorskip("minigrid", reason="pip install 'rlfoundations[test-envs]'")

DIRECTIONS = ((1, 0), (0, 1), (-1, 0), (0, -1))  # MiniGrid's east, south, west, north


def shortest_path_length(base) -> int:
    """Fewest actions from the agent's start to the goal, by BFS over (position, direction,
    holding the key, door open), read from the grid's objects, not from MiniGrid's step."""
    cells = {
        (x, y): base.grid.get(x, y) for x in range(base.grid.width) for y in range(base.grid.height)
    }
    kind = {pos: (cell.type if cell is not None else "empty") for pos, cell in cells.items()}
    start = (tuple(int(v) for v in base.agent_pos), int(base.agent_dir), False, False)
    seen, queue = {start: 0}, deque([start])
    while queue:
        state = queue.popleft()
        (x, y), direction, has_key, door_open = state
        ahead = (x + DIRECTIONS[direction][0], y + DIRECTIONS[direction][1])
        what = kind[ahead]
        if what == "key" and has_key:
            what = "empty"  # picked up
        moves = [
            ((x, y), (direction - 1) % 4, has_key, door_open),
            ((x, y), (direction + 1) % 4, has_key, door_open),
        ]
        if what in ("empty", "goal") or (what == "door" and door_open):
            if what == "goal":
                return seen[state] + 1
            moves.append((ahead, direction, has_key, door_open))
        if what == "key":
            moves.append(((x, y), direction, True, door_open))
        if what == "door" and has_key and not door_open:
            moves.append(((x, y), direction, has_key, True))
        for move in moves:
            if move not in seen:
                seen[move] = seen[state] + 1
                queue.append(move)
    raise AssertionError("the goal is unreachable")


def binary_goal(env: gym.Env) -> gym.Env:
    """MiniGrid's goal reward falls with the step count; 1 for reaching it is the state's."""
    return gym.wrappers.TransformReward(env, lambda reward: float(reward > 0))


@pytest.mark.parametrize("env_id", ["MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-5x5-v0"])
def test_the_compiled_policy_reaches_the_goal_in_the_fewest_steps_in_the_live_env(env_id):
    env = binary_goal(gym.make(env_id))
    env.reset(seed=0)
    mdp = rlf.compile_env(env)
    policy = rlf.solve(mdp, gamma=0.99)
    live = rlf.StateIndex(gym.make(env_id), mdp)
    score = rlf.evaluate(live, policy, episodes=1, seed=0)
    expected = shortest_path_length(env.unwrapped)
    assert score.win_rate == 1.0 and score.mean_length == expected


def test_a_reward_that_depends_on_the_step_count_is_refused_saying_so():
    env = gym.make("MiniGrid-Empty-5x5-v0")
    env.reset(seed=0)
    with pytest.raises(rlf.InvalidValueError, match="step_count"):
        rlf.compile_env(env)


class Noisy(gym.Env):
    """A state key that misses the randomness: the reward is a fresh draw every step."""

    observation_space = gym.spaces.Discrete(6)
    action_space = gym.spaces.Discrete(1)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, float(self.np_random.random()), True, False, {}


def test_a_non_deterministic_env_is_refused():
    env = Noisy()
    env.reset(seed=0)
    with pytest.raises(rlf.InvalidValueError, match="not deterministic"):
        rlf.compile_env(env, state_key=lambda env: 0)
