"""Hypothesis strategies shared by the tests (valid random TabularMDPs, discount factors, ...) and
:func:`examples`, the count of examples a property test runs in the loaded profile."""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from rlfoundations import TabularMDP

# -- how many examples -------------------------------------------------------------------------
#: A test's examples in the thorough profile when its decorator names none (conftest.py).
THOROUGH_EXAMPLES = 60
#: The fewest examples a property test runs in any profile (when its decorator names more).
MIN_EXAMPLES = 5


def examples(count: int, **options) -> settings:
    """Hypothesis settings for a property test that runs ``count`` examples in the thorough
    profile (CI's complete run); the loaded profile scales it by its own share of
    :data:`THOROUGH_EXAMPLES` (a quarter in the default ``dev`` profile), to no fewer than
    :data:`MIN_EXAMPLES`. ``options`` are other hypothesis settings, passed on."""
    share = settings.default.max_examples / THOROUGH_EXAMPLES
    scaled = max(min(count, MIN_EXAMPLES), round(count * share))
    return settings(max_examples=scaled, **options)


@st.composite
def tabular_mdps(
    draw,
    max_states: int = 40,
    max_actions: int = 6,
    max_outcomes: int = 4,
    terminal_rate: float | None = None,
) -> TabularMDP:
    """A valid random model: 1..max_states states, 1..max_actions actions, 1..max_outcomes slots.

    Some outcomes terminate, some slots are zero-probability padding, rewards are small
    integers or halves (so ties between actions happen), and the initial distribution may
    put mass on a few states only.
    """
    n_states = draw(st.integers(1, max_states), label="n_states")
    n_actions = draw(st.integers(1, max_actions), label="n_actions")
    n_outcomes = draw(st.integers(1, max_outcomes), label="n_outcomes")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    if terminal_rate is None:
        terminal_rate = draw(st.sampled_from([0.0, 0.1, 0.5]), label="terminal_rate")
    rng = np.random.default_rng(seed)
    shape = (n_states, n_actions, n_outcomes)

    next_state = rng.integers(0, n_states, size=shape)
    # Each (s, a) uses 1..K slots; unused slots are zero-probability padding.
    used = (
        np.arange(n_outcomes)[None, None, :]
        < rng.integers(1, n_outcomes + 1, shape[:2])[:, :, None]
    )
    weights = np.where(used, rng.integers(1, 5, size=shape), 0).astype(float)
    prob = weights / weights.sum(axis=2, keepdims=True)
    reward = rng.integers(-4, 5, size=shape) / 2.0
    terminated = (rng.random(shape) < terminal_rate) & used
    initial = rng.random(n_states) * (rng.random(n_states) < 0.5)
    if initial.sum() == 0:
        initial[0] = 1.0
    initial /= initial.sum()
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=initial,
        max_episode_steps=draw(st.sampled_from([None, 5, 50]), label="max_episode_steps"),
    )


@st.composite
def masked_mdps(draw, max_states: int = 20, max_actions: int = 4) -> TabularMDP:
    """A random model of :func:`tabular_mdps` (two actions or more) with a random
    ``action_mask``: each pair masked with probability 1/2, one allowed action kept per state.
    """
    mdp = draw(tabular_mdps(max_states=max_states, max_actions=max_actions), label="mdp")
    if mdp.n_actions == 1:
        mdp = TabularMDP(
            next_state=np.repeat(mdp.next_state, 2, axis=1),
            prob=np.repeat(mdp.prob, 2, axis=1),
            reward=np.concatenate([mdp.reward, mdp.reward + 1.0], axis=1),
            terminated=np.repeat(mdp.terminated, 2, axis=1),
            initial=mdp.initial,
        )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="mask_seed"))
    mask = rng.random((mdp.n_states, mdp.n_actions)) < 0.5
    mask[np.arange(mdp.n_states), rng.integers(0, mdp.n_actions, mdp.n_states)] = True
    return mdp.with_action_mask(mask)


@st.composite
def skewed_mdps(draw, max_states: int = 40, max_actions: int = 4, max_outcomes: int = 24):
    """A random model whose outcome counts are skewed: most pairs have one or two outcomes,
    a few (``heavy_rate``) up to ``max_outcomes``, at random slots among zero-probability
    padding; some outcomes terminate, and half the models carry a random ``action_mask``
    (one allowed action kept per state). Most of these choose the ragged layout."""
    n_states = draw(st.integers(1, max_states), label="n_states")
    n_actions = draw(st.integers(1, max_actions), label="n_actions")
    n_outcomes = draw(st.integers(2, max_outcomes), label="n_outcomes")
    heavy_rate = draw(st.sampled_from([0.0, 0.02, 0.1, 0.5]), label="heavy_rate")
    terminal_rate = draw(st.sampled_from([0.0, 0.1, 0.5]), label="terminal_rate")
    masked = draw(st.booleans(), label="masked")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    shape = (n_states, n_actions, n_outcomes)
    counts = np.where(
        rng.random(shape[:2]) < heavy_rate,
        rng.integers(1, n_outcomes + 1, shape[:2]),
        rng.integers(1, 3, shape[:2]),
    )
    # ``counts`` random slots of each pair: those whose rank in a random order is below it.
    used = np.argsort(rng.random(shape), axis=2) < counts[:, :, None]
    weights = np.where(used, rng.integers(1, 5, size=shape), 0).astype(float)
    mdp = TabularMDP(
        next_state=rng.integers(0, n_states, size=shape),
        prob=weights / weights.sum(axis=2, keepdims=True),
        reward=rng.integers(-4, 5, size=shape) / 2.0,
        terminated=(rng.random(shape) < terminal_rate) & used,
        initial=np.full(n_states, 1.0 / n_states),
    )
    if masked and n_actions > 1:
        mask = rng.random(shape[:2]) < 0.5
        mask[np.arange(n_states), rng.integers(0, n_actions, n_states)] = True
        mdp = mdp.with_action_mask(mask)
    return mdp


def discounts(max_gamma: float = 0.999) -> st.SearchStrategy[float]:
    """Discount factors in [0, max_gamma], including the edges."""
    return st.one_of(
        st.sampled_from([0.0, 0.5, 0.9, max_gamma]),
        st.floats(0.0, max_gamma, allow_nan=False),
    )


@st.composite
def communicating_mdps(
    draw, max_states: int = 5, max_actions: int = 3, end_rate: float | None = None
) -> TabularMDP:
    """A model in which every action reaches every state with positive probability (so
    every policy's chain is irreducible and aperiodic: unichain, one optimal gain).

    With ``end_rate`` > 0 some outcomes end the episode instead (restarting from
    ``initial`` in the average-reward criterion), with a full-support ``initial``.
    """
    n_states = draw(st.integers(1, max_states), label="n_states")
    n_actions = draw(st.integers(1, max_actions), label="n_actions")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    if end_rate is None:
        end_rate = draw(st.sampled_from([0.0, 0.3]), label="end_rate")
    rng = np.random.default_rng(seed)
    # One slot per next state, plus one terminating slot.
    shape = (n_states, n_actions, n_states + 1)
    next_state = np.broadcast_to(np.append(np.arange(n_states), 0), shape).copy()
    weights = rng.integers(1, 5, size=shape).astype(float)
    weights[:, :, -1] = np.where(rng.random(shape[:2]) < end_rate, weights[:, :, -1], 0.0)
    prob = weights / weights.sum(axis=2, keepdims=True)
    reward = rng.integers(-4, 5, size=shape) / 2.0
    terminated = np.zeros(shape, dtype=bool)
    terminated[:, :, -1] = True
    initial = rng.integers(1, 4, size=n_states).astype(float)
    return TabularMDP(
        next_state=next_state,
        prob=prob,
        reward=reward,
        terminated=terminated,
        initial=initial / initial.sum(),
    )


@st.composite
def problem_instances(draw) -> tuple[str, dict]:
    """A problem of ``rlfoundations.problems`` and small random parameters for it:
    ``(name, params)``, built with ``get_problem(name)(**params)``."""
    probability = st.floats(0.05, 0.95, allow_nan=False)
    choices = {
        "gamblers_problem": st.fixed_dictionaries(
            {"p_heads": probability, "goal": st.integers(2, 30)}
        ),
        "random_walk": st.fixed_dictionaries({"n_states": st.sampled_from([1, 3, 5, 9])}),
        "river_swim": st.fixed_dictionaries({"n_states": st.integers(2, 12)}),
        "chain": st.fixed_dictionaries(
            {"n_states": st.integers(2, 8), "slip": st.floats(0.0, 0.5, allow_nan=False)}
        ),
        "deep_sea": st.fixed_dictionaries(
            {
                "size": st.integers(2, 6),
                "deterministic": st.booleans(),
                "mapping_seed": st.integers(0, 100),
            }
        ),
        "forest": st.fixed_dictionaries({"S": st.integers(2, 8), "p": probability}),
        "inventory": st.fixed_dictionaries(
            {"capacity": st.integers(1, 6), "horizon": st.sampled_from([None, 1, 3])}
        ),
        "queue_admission": st.fixed_dictionaries({"capacity": st.integers(1, 8)}),
        "garnet": st.integers(2, 10).flatmap(
            lambda n: st.fixed_dictionaries(
                {
                    "n_states": st.just(n),
                    "n_actions": st.integers(1, 3),
                    "branching": st.integers(1, n),
                    "seed": st.integers(0, 2**16),
                }
            )
        ),
    }
    name = draw(st.sampled_from(sorted(choices)), label="problem")
    return name, draw(choices[name], label="params")


def gap_samples(max_runs: int = 30) -> st.SearchStrategy[np.ndarray]:
    """Runs' gaps to optimal: non-negative, with ties (several runs at exactly 0 or alike)."""
    gaps = st.one_of(st.just(0.0), st.sampled_from([0.5, 1.0]), st.floats(0.0, 100.0))
    return st.lists(gaps, min_size=1, max_size=max_runs).map(np.array)


# -- bad input (tests/test_inputs.py) ------------------------------------------------------------
#: Values that are wrong for almost every argument: other types, bools where ints are meant,
#: NaN and infinities, ints past 64 bits, a NumPy Generator where an int seed is meant. The
#: ints are all >= 2**63 in size, so an argument that wrongly accepts one cannot run for long
#: before failing: a run of 2**40 steps would be valid input, and a hang.
GENERIC_BAD_VALUES = (
    None,
    True,
    False,
    -1,
    0,
    2**63,
    2**64,
    2**70,
    -(2**70),
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.5,
    1.5,
    1e308,
    complex(1.0, 1.0),
    "x",
    "",
    b"bytes",
    [1, 2],
    {"a": 1},
    object(),
    np.float64("nan"),
    np.int64(-1),
    np.bool_(True),
    np.array([]),
    np.zeros((0, 0)),
    np.array(["a", "b"]),
    np.array([None, 1], dtype=object),
)


def generator_seeds() -> st.SearchStrategy[np.random.Generator]:
    """``numpy.random.Generator`` objects, where an int seed is meant."""
    return st.integers(0, 2**32 - 1).map(np.random.default_rng)


def _read_only(array: np.ndarray) -> np.ndarray:
    copy = array.copy()
    copy.flags.writeable = False
    return copy


def _non_contiguous(array: np.ndarray) -> np.ndarray:
    """The same values, every other element of a twice-as-wide buffer."""
    if array.ndim == 0:
        return array
    return np.repeat(array[..., None], 2, axis=-1)[..., 0]


def _filled(value):
    def fill(array: np.ndarray) -> np.ndarray:
        return np.full(array.shape, value, dtype=np.float64)

    return fill


#: Ways to spoil a valid array argument (the first two keep it valid: they must work).
ARRAY_VARIANTS = (
    _read_only,
    _non_contiguous,
    _filled(np.nan),
    _filled(np.inf),
    _filled(-np.inf),
    _filled(1e308),
    lambda array: array.astype(np.float32),
    lambda array: array.astype(np.int64) if array.dtype.kind == "f" else array + 0.5,
    lambda array: array.astype(bool),
    lambda array: array.astype(complex),
    lambda array: array.astype(object),
    lambda array: array.reshape(-1),
    lambda array: array[None],
    lambda array: array[:0],
    lambda array: np.concatenate([array, array]) if array.ndim else array[None],
    lambda array: np.full(array.shape, -1, dtype=np.int64),
    lambda array: np.full(array.shape, 2**62, dtype=np.int64),
    lambda array: array.tolist(),
)


def array_variants(valid: np.ndarray) -> st.SearchStrategy:
    """Arrays near a valid one: read-only, non-contiguous (both must work), NaN, inf, huge,
    empty, another shape, another dtype, a list."""
    return st.sampled_from(ARRAY_VARIANTS).map(lambda variant: variant(valid))


def bad_values(valid) -> st.SearchStrategy:
    """Bad (or oddly shaped but valid) values for an argument whose good value is ``valid``."""
    choices = [st.sampled_from(GENERIC_BAD_VALUES), generator_seeds()]
    if isinstance(valid, np.ndarray):
        choices.append(array_variants(valid))
    return st.one_of(*choices)


@st.composite
def prediction_policies(draw, mdp: TabularMDP) -> np.ndarray:
    """A policy of ``mdp`` to evaluate: deterministic (S,) ints or stochastic (S, A) rows,
    some of them deterministic (a single action with probability 1)."""
    seed = draw(st.integers(0, 2**32 - 1), label="policy_seed")
    rng = np.random.default_rng(seed)
    if draw(st.booleans(), label="deterministic"):
        return rng.integers(0, mdp.n_actions, size=mdp.n_states)
    weights = rng.integers(0, 4, size=(mdp.n_states, mdp.n_actions)).astype(float)
    weights[weights.sum(axis=1) == 0, 0] = 1.0
    return weights / weights.sum(axis=1, keepdims=True)
