"""Sutton & Barto's examples: the gambler, Jack's car rental, random walks, windy and Dyna mazes.

Every function returns a :class:`~rlfoundations.TabularMDP` with named state factors; the
tests check each against a number the book states.

References
----------
.. [SB] R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*, 2nd ed.,
   MIT Press, 2018.
"""

from __future__ import annotations

import math

import numpy as np

from rlfoundations._validate import check_bool, check_count, check_positive, is_number
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems._build import dense_model, outcome_model
from rlfoundations.problems._catalog import CATALOG

__all__ = [
    "blocking_maze",
    "dyna_maze",
    "gamblers_problem",
    "jacks_car_rental",
    "maximization_bias",
    "random_walk",
    "shortcut_maze",
    "windy_gridworld",
]


def _check_probability(name: str, value, *, open_interval: bool = True) -> float:
    if not is_number(value):
        raise InvalidTypeError(f"{name} must be a number in (0, 1), got {value!r}")
    value = float(value)
    if not (0.0 < value < 1.0 if open_interval else 0.0 <= value <= 1.0):
        bounds = "(0, 1)" if open_interval else "[0, 1]"
        raise InvalidValueError(f"{name} must be in {bounds}, got {value!r}")
    return value


def _check_real(name: str, value) -> float:
    if not is_number(value) or not math.isfinite(value):
        raise InvalidTypeError(f"{name} must be a finite number, got {value!r}")
    return float(value)


# -- the gambler's problem -----------------------------------------------------------------------
def gamblers_problem(p_heads: float = 0.4, goal: int = 100) -> TabularMDP:
    """The gambler's problem (Sutton & Barto, example 4.3).

    **Description.** A gambler bets on a sequence of coin flips. Heads (probability
    ``p_heads``) wins as many dollars as were staked, tails loses the stake. The game ends
    when the gambler reaches ``goal`` dollars or runs out of money.

    **States.** ``capital`` in ``0 .. goal`` (factor ``("capital", goal + 1)``); 0 and
    ``goal`` end the episode.

    **Actions.** The stake, ``0 .. goal // 2``. A stake above ``min(capital, goal -
    capital)`` is not allowed (masked where models carry an ``action_mask``); it acts as that
    largest allowed stake. Stake 0 changes nothing (it is allowed, as in the book's figure).

    **Rewards.** +1 on reaching ``goal``, 0 otherwise, so the undiscounted value of a state is
    the probability of winning from it.

    **Episode End.** Capital 0 or ``goal``. Starting capital: uniform over ``1 .. goal - 1``.

    **Usual criterion.** Undiscounted (``gamma = 1``). For ``p_heads < 1/2`` bold play
    (stake ``min(capital, goal - capital)``) is optimal; for ``p_heads > 1/2`` timid play
    (stake 1) is, with the gambler's-ruin values ``(1 - (q/p)^s) / (1 - (q/p)^goal)``.
    With stake 0 allowed and ``gamma = 1``, a greedy policy that stakes 0 never ends.

    Parameters
    ----------
    p_heads : float
        Probability of heads, in (0, 1). The book's figure 4.3 uses 0.4.
    goal : int
        The capital that wins, at least 2.

    Returns
    -------
    TabularMDP
        ``goal + 1`` states, ``goal // 2 + 1`` actions.

    References
    ----------
    Sutton & Barto (2018), example 4.3 and figure 4.3; L. E. Dubins and L. J. Savage, *How to
    Gamble If You Must* (1965), on the optimality of bold play.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.gamblers_problem(p_heads=0.4)
    >>> mdp.n_states, mdp.n_actions, mdp.factors
    (101, 51, (('capital', 101),))
    """
    p_heads = _check_probability("p_heads", p_heads)
    goal = check_count("goal", goal)
    if goal < 2:
        raise InvalidValueError(f"goal must be >= 2, got {goal}")
    n_actions = goal // 2 + 1
    cells = []
    mask = np.zeros((goal + 1, n_actions), dtype=bool)
    for capital in range(goal + 1):
        if capital in (0, goal):
            cells.append([[(1.0, capital, 0.0, True)]] * n_actions)
            mask[capital, 0] = True
            continue
        largest = min(capital, goal - capital)
        mask[capital, : largest + 1] = True
        row = []
        for action in range(n_actions):
            stake = min(action, largest)
            win, lose = capital + stake, capital - stake
            row.append(
                [
                    (p_heads, win, 1.0 if win == goal else 0.0, win == goal),
                    (1.0 - p_heads, lose, 0.0, lose == 0),
                ]
            )
        cells.append(row)
    initial = np.zeros(goal + 1)
    initial[1:goal] = 1.0 / (goal - 1)
    return outcome_model(
        cells,
        initial=initial,
        factors=(("capital", goal + 1),),
        name=f"gamblers_problem(p_heads={p_heads}, goal={goal})",
        max_episode_steps=CATALOG["gamblers_problem"].max_episode_steps,
        action_mask=mask,
    )


# -- Jack's car rental ---------------------------------------------------------------------------
def _poisson(mean: float, n: int, cutoff: int | None) -> np.ndarray:
    """P(X = j) for j = 0 .. n - 1 of X ~ Poisson(mean), then P(X >= n): shape (n + 1,).

    With ``cutoff``, counts above it have probability 0 and the rest is renormalised.
    """
    top = n if cutoff is None else max(n, cutoff + 1)
    j = np.arange(top)
    log_factorial = np.array([math.lgamma(i + 1) for i in range(top)])
    pmf = np.exp(-mean + j * math.log(mean) - log_factorial)
    if cutoff is not None:
        pmf[cutoff + 1 :] = 0.0
        pmf /= pmf.sum()
    head = pmf[:n]
    return np.append(head, max(0.0, 1.0 - head.sum()))


def _location(max_cars: int, request_mean: float, return_mean: float, cutoff):
    """One location's day, from ``c`` cars in the morning.

    ``T[c, c']`` the probability of ``c'`` cars in the evening, ``rented[c]`` the expected number of
    rentals.
    """
    size = max_cars + 1
    transition = np.zeros((size, size))
    rented = np.zeros(size)
    returns = [_poisson(return_mean, m, cutoff) for m in range(size)]
    for cars in range(size):
        requests = _poisson(request_mean, cars, cutoff)  # rentals 0 .. cars-1, then >= cars
        rented[cars] = float(np.arange(cars + 1) @ requests)
        for n_rented, p_rented in enumerate(requests):
            left = cars - n_rented
            # returns bring left + j cars, capped at max_cars: j < max_cars - left exact, the
            # rest lumped at the cap.
            back = returns[max_cars - left]
            transition[cars, left:max_cars] += p_rented * back[:-1]
            transition[cars, max_cars] += p_rented * back[-1]
    return transition, rented


def jacks_car_rental(
    max_cars: int = 20,
    max_move: int = 5,
    request_means: tuple[float, float] = (3.0, 4.0),
    return_means: tuple[float, float] = (3.0, 2.0),
    rental_reward: float = 10.0,
    move_cost: float = 2.0,
    *,
    free_shuttle: bool = False,
    parking_limit: int = 10,
    parking_cost: float = 0.0,
    poisson_cutoff: int | None = None,
) -> TabularMDP:
    """Jack's car rental (Sutton & Barto, example 4.2, and exercise 4.7's variant).

    **Description.** Jack manages two locations of a car rental company. Each day customers
    ask for cars (Poisson, means ``request_means``) and return cars (Poisson, means
    ``return_means``); a rented car earns ``rental_reward``, a request with no car left is
    lost. Returned cars can be rented from the next day. Overnight Jack moves up to
    ``max_move`` cars between the locations at ``move_cost`` each. No location holds more
    than ``max_cars`` (extra cars go back to the company).

    **States.** Cars at each location at the end of the day: factors ``("cars_first",
    max_cars + 1)`` and ``("cars_second", max_cars + 1)``.

    **Actions.** ``action - max_move`` cars moved from the first location to the second
    (negative: the other way), so ``2 * max_move + 1`` actions. Moving more cars than a
    location has is not allowed (masked where models carry an ``action_mask``); it moves all
    the cars there are.

    **Rewards.** The day's expected profit: ``rental_reward`` times the expected rentals,
    minus the moving cost (and, in the variant, parking). The model is exact in expectation:
    every outcome of a (state, action) pays the expected reward, which is all that values
    and policies depend on.

    **Episode End.** Never (a continuing task); the registered env stops after 1000 days.

    **Usual criterion.** Discounted, ``gamma = 0.9``. Policy iteration from "move nothing"
    reaches the optimal policy of the book's figure 4.2 in four improvements.

    Parameters
    ----------
    max_cars : int
        Cars a location holds at most (20 in the book).
    max_move : int
        Cars moved overnight at most (5).
    request_means, return_means : tuple of two floats
        Poisson means of requests (3, 4) and returns (3, 2) at the first and second location.
    rental_reward : float
        Credit per car rented (10).
    move_cost : float
        Cost per car moved (2).
    free_shuttle : bool
        Exercise 4.7: one car moved from the first location to the second is free.
    parking_limit, parking_cost : int, float
        Exercise 4.7: ``parking_cost`` (4 in the exercise) per location that keeps more than
        ``parking_limit`` cars overnight; the default cost 0 is the original problem.
    poisson_cutoff : int or None
        None: exact Poisson counts, the probability of a count beyond what a location can
        take lumped at the cap (the book's rule). An int: counts above it are impossible and
        the rest is renormalised, as reproductions that truncate the sums do.

    Returns
    -------
    TabularMDP
        ``(max_cars + 1) ** 2`` states, ``2 * max_move + 1`` actions.

    References
    ----------
    Sutton & Barto (2018), example 4.2, figure 4.2 and exercise 4.7.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.jacks_car_rental()
    >>> mdp.n_states, mdp.n_actions, mdp.decode(mdp.encode(cars_first=20, cars_second=3))
    (441, 11, {'cars_first': 20, 'cars_second': 3})
    """
    max_cars = check_count("max_cars", max_cars)
    max_move = check_count("max_move", max_move, minimum=0)
    means = {}
    for name, pair in (("request_means", request_means), ("return_means", return_means)):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidTypeError(f"{name} must be a pair of numbers > 0, got {pair!r}")
        means[name] = tuple(check_positive(name, value) for value in pair)
    rental_reward = _check_real("rental_reward", rental_reward)
    move_cost = _check_real("move_cost", move_cost)
    free_shuttle = check_bool("free_shuttle", free_shuttle)
    parking_limit = check_count("parking_limit", parking_limit, minimum=0)
    parking_cost = _check_real("parking_cost", parking_cost)
    if poisson_cutoff is not None:
        poisson_cutoff = check_count("poisson_cutoff", poisson_cutoff, minimum=0)

    size = max_cars + 1
    days = [
        _location(max_cars, means["request_means"][i], means["return_means"][i], poisson_cutoff)
        for i in range(2)
    ]
    n_actions = 2 * max_move + 1
    cars_first, cars_second = np.divmod(np.arange(size * size), size)
    P = np.zeros((size * size, n_actions, size * size))
    R = np.zeros((size * size, n_actions))
    mask = np.zeros((size * size, n_actions), dtype=bool)
    for action in range(n_actions):
        wanted = action - max_move
        moved = np.clip(wanted, -cars_second, cars_first)
        mask[:, action] = moved == wanted
        first = np.minimum(cars_first - moved, max_cars)
        second = np.minimum(cars_second + moved, max_cars)
        paid = np.abs(moved) - (free_shuttle & (moved > 0))
        cost = move_cost * paid
        crowded = (first > parking_limit).astype(int) + (second > parking_limit).astype(int)
        cost = cost + parking_cost * crowded
        R[:, action] = rental_reward * (days[0][1][first] + days[1][1][second]) - cost
        # Independent locations: the joint next-state law is the outer product.
        P[:, action, :] = (days[0][0][first][:, :, None] * days[1][0][second][:, None, :]).reshape(
            size * size, size * size
        )
    return dense_model(
        P,
        R,
        initial=np.full(size * size, 1.0 / (size * size)),
        factors=(("cars_first", size), ("cars_second", size)),
        name="jacks_car_rental",
        max_episode_steps=CATALOG["jacks_car_rental"].max_episode_steps,
        action_mask=mask,
    )


# -- random walk ---------------------------------------------------------------------------------
def random_walk(n_states: int = 5) -> TabularMDP:
    """The random walk of Sutton & Barto's example 6.2 (5 states) and section 7.1 (19 states).

    **Description.** A walk on a line of ``n_states`` states between two terminal ends;
    each step goes left or right with probability 1/2. A Markov reward process: one action.

    **States.** ``position`` ``0 .. n_states + 1``: 0 and ``n_states + 1`` are the ends,
    ``1 .. n_states`` the walk (A .. E in the book). Start: the middle, ``(n_states + 1) // 2``.

    **Actions.** One (``0``: walk).

    **Rewards.** +1 on reaching the right end, 0 otherwise.

    **Episode End.** Either end.

    **Usual criterion.** Undiscounted: the true value of position ``k`` is ``k / (n_states +
    1)``: 1/6 .. 5/6 for 5 states, 1/20 .. 19/20 for 19.

    Parameters
    ----------
    n_states : int
        Non-terminal states (odd, so that there is a middle): 5 or 19 in the book.

    Returns
    -------
    TabularMDP
        ``n_states + 2`` states, 1 action.

    References
    ----------
    Sutton & Barto (2018), example 6.2 and section 7.1 (figure 7.2).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.random_walk(5)
    >>> rlf.policy_evaluation(mdp, [0] * 7, gamma=1.0).values[1:6].round(4).tolist()
    [0.1667, 0.3333, 0.5, 0.6667, 0.8333]
    """
    n_states = check_count("n_states", n_states)
    if n_states % 2 == 0:
        raise InvalidValueError(f"n_states must be odd (a middle to start from), got {n_states}")
    right_end = n_states + 1
    cells = []
    for position in range(n_states + 2):
        if position in (0, right_end):
            cells.append([[(1.0, position, 0.0, True)]])
            continue
        left, right = position - 1, position + 1
        cells.append(
            [
                [
                    (0.5, left, 0.0, left == 0),
                    (0.5, right, 1.0 if right == right_end else 0.0, right == right_end),
                ]
            ]
        )
    initial = np.zeros(n_states + 2)
    initial[(n_states + 1) // 2] = 1.0
    return outcome_model(
        cells,
        initial=initial,
        factors=(("position", n_states + 2),),
        name=f"random_walk({n_states})",
        max_episode_steps=CATALOG["random_walk"].max_episode_steps,
    )


# -- gridworlds ----------------------------------------------------------------------------------
#: (row, col) steps: up, down, left, right, then the king's diagonals, then "stay".
_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1), (0, 0))

#: Upward wind of each column of the windy gridworld.
WINDY_WIND = (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)


def _gridworld(
    n_rows: int,
    n_cols: int,
    start: tuple[int, int],
    goal: tuple[int, int],
    moves,
    *,
    step_reward: float,
    goal_reward: float,
    name: str,
    walls=frozenset(),
    wind=None,
    stochastic_wind: bool = False,
) -> TabularMDP:
    """A grid where each move shifts (row, col), blocked by walls and edges (the agent stays)."""
    index = lambda row, col: row * n_cols + col  # noqa: E731
    cells = []
    for row in range(n_rows):
        for col in range(n_cols):
            if (row, col) == goal or (row, col) in walls:
                cells.append([[(1.0, index(row, col), 0.0, True)]] * len(moves))
                continue
            blow = 0 if wind is None else wind[col]
            gusts = [(blow, 1.0)]
            if stochastic_wind and blow:
                gusts = [(blow - 1, 1 / 3), (blow, 1 / 3), (blow + 1, 1 / 3)]
            cell = []
            for d_row, d_col in moves:
                outcomes = []
                for gust, p in gusts:
                    new_row = min(max(row + d_row - gust, 0), n_rows - 1)
                    new_col = min(max(col + d_col, 0), n_cols - 1)
                    if (new_row, new_col) in walls:
                        new_row, new_col = row, col
                    done = (new_row, new_col) == goal
                    reward = step_reward + (goal_reward if done else 0.0)
                    outcomes.append((p, index(new_row, new_col), reward, done))
                cell.append(outcomes)
            cells.append(cell)
    initial = np.zeros(n_rows * n_cols)
    initial[index(*start)] = 1.0
    return outcome_model(
        cells,
        initial=initial,
        factors=(("row", n_rows), ("col", n_cols)),
        name=name,
        max_episode_steps=CATALOG[name.split("(")[0]].max_episode_steps,
    )


def windy_gridworld(
    king_moves: bool = False, stochastic_wind: bool = False, stay_action: bool = False
) -> TabularMDP:
    """The windy gridworld (Sutton & Barto, example 6.5; exercises 6.9 and 6.10).

    **Description.** A 7 x 10 grid from start (3, 0) to goal (3, 7). A crosswind blows up
    through the middle: each move is shifted up by the wind of the column it starts from,
    ``(0, 0, 0, 1, 1, 1, 2, 2, 1, 0)``. Moves off the grid stop at the edge.

    **States.** ``row`` 0..6 (0 at the top) and ``col`` 0..9: factors ``("row", 7), ("col",
    10)``.

    **Actions.** Up, down, left, right; with ``king_moves`` also up-left, up-right,
    down-left, down-right; with ``stay_action`` (with ``king_moves``) a ninth action that
    moves only with the wind.

    **Rewards.** -1 per step, so the undiscounted return is minus the episode's length.

    **Episode End.** Reaching the goal.

    **Usual criterion.** Undiscounted. The optimal episode takes 15 steps (7 with king's
    moves). With ``stochastic_wind`` (exercise 6.10), in windy columns the wind is one
    stronger, the same or one weaker with probability 1/3 each.

    Parameters
    ----------
    king_moves : bool
        Exercise 6.9: eight moves, the diagonals too.
    stochastic_wind : bool
        Exercise 6.10: the wind varies by one around its mean.
    stay_action : bool
        Exercise 6.9's ninth action (needs ``king_moves``).

    Returns
    -------
    TabularMDP
        70 states; 4, 8 or 9 actions.

    References
    ----------
    Sutton & Barto (2018), example 6.5 (figure 6.3), exercises 6.9 and 6.10.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.windy_gridworld()
    >>> result = rlf.value_iteration(mdp, gamma=1.0)
    >>> float(result.values[mdp.encode(row=3, col=0)])
    -15.0
    """
    king_moves = check_bool("king_moves", king_moves)
    stochastic_wind = check_bool("stochastic_wind", stochastic_wind)
    stay_action = check_bool("stay_action", stay_action)
    if stay_action and not king_moves:
        raise InvalidValueError(
            "stay_action=True is exercise 6.9's ninth king's move; use it with king_moves=True"
        )
    moves = _MOVES[: 9 if stay_action else 8 if king_moves else 4]
    return _gridworld(
        7,
        10,
        (3, 0),
        (3, 7),
        moves,
        step_reward=-1.0,
        goal_reward=0.0,
        name=(
            f"windy_gridworld(king_moves={king_moves}, stochastic_wind={stochastic_wind}, "
            f"stay_action={stay_action})"
        ),
        wind=WINDY_WIND,
        stochastic_wind=stochastic_wind,
    )


#: Obstacles of the Dyna maze (figure 8.2), as (row, col) with row 0 at the top.
DYNA_MAZE_WALLS = frozenset({(1, 2), (2, 2), (3, 2), (4, 5), (0, 7), (1, 7), (2, 7)})


def dyna_maze() -> TabularMDP:
    """The Dyna maze (Sutton & Barto, example 8.1, figure 8.2).

    **Description.** A 6 x 9 maze with seven obstacle cells; start (2, 0), goal (0, 8).
    Moves into an obstacle or off the grid leave the agent where it is.

    **States.** ``row`` 0..5 (0 at the top) and ``col`` 0..8; obstacle cells are states that
    are never entered.

    **Actions.** Up, down, left, right.

    **Rewards.** +1 on reaching the goal, 0 otherwise.

    **Episode End.** Reaching the goal.

    **Usual criterion.** Discounted, ``gamma = 0.95``: the optimal policy takes the shortest
    path, 14 steps.

    Returns
    -------
    TabularMDP
        54 states, 4 actions.

    References
    ----------
    Sutton & Barto (2018), example 8.1.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.dyna_maze()
    >>> value = rlf.value_iteration(mdp, gamma=0.95).values[mdp.encode(row=2, col=0)]
    >>> round(float(value), 6) == round(0.95**13, 6)
    True
    """
    return _gridworld(
        6,
        9,
        (2, 0),
        (0, 8),
        _MOVES[:4],
        step_reward=0.0,
        goal_reward=1.0,
        name="dyna_maze",
        walls=DYNA_MAZE_WALLS,
    )


def _wall_row(cols) -> frozenset:
    return frozenset((3, col) for col in cols)


def blocking_maze(changed: bool = False) -> TabularMDP:
    """The blocking maze (Sutton & Barto, example 8.2, figure 8.4).

    **Description.** A 6 x 9 maze, start (5, 3), goal (0, 8), a wall across row 3. At first
    the wall leaves a gap on the right (columns 0..7 blocked); after 1000 steps in the book the
    wall shifts (``changed=True``: columns 1..8 blocked) and the short way is gone.

    **States.** ``row`` 0..5 (0 at the top) and ``col`` 0..8.

    **Actions.** Up, down, left, right.

    **Rewards.** +1 on reaching the goal, 0 otherwise.

    **Episode End.** Reaching the goal.

    **Usual criterion.** Discounted, ``gamma = 0.95``; shortest paths 10 steps (before) and
    16 (after).

    Parameters
    ----------
    changed : bool
        The maze after the change.

    References
    ----------
    Sutton & Barto (2018), example 8.2.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.problems.blocking_maze(changed=True).n_states
    54
    """
    changed = check_bool("changed", changed)
    walls = _wall_row(range(1, 9) if changed else range(8))
    return _gridworld(
        6,
        9,
        (5, 3),
        (0, 8),
        _MOVES[:4],
        step_reward=0.0,
        goal_reward=1.0,
        name=f"blocking_maze(changed={changed})",
        walls=walls,
    )


def shortcut_maze(changed: bool = False) -> TabularMDP:
    """The shortcut maze (Sutton & Barto, example 8.3, figure 8.5).

    **Description.** A 6 x 9 maze, start (5, 3), goal (0, 8), a wall across row 3 with a gap
    on the left (columns 1..8 blocked). After 3000 steps in the book a shortcut opens on the
    right (``changed=True``: columns 1..7 blocked).

    **States.** ``row`` 0..5 (0 at the top) and ``col`` 0..8.

    **Actions.** Up, down, left, right.

    **Rewards.** +1 on reaching the goal, 0 otherwise.

    **Episode End.** Reaching the goal.

    **Usual criterion.** Discounted, ``gamma = 0.95``; shortest paths 16 steps (before) and
    10 (after).

    Parameters
    ----------
    changed : bool
        The maze after the shortcut opens.

    References
    ----------
    Sutton & Barto (2018), example 8.3.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.problems.shortcut_maze().n_actions
    4
    """
    changed = check_bool("changed", changed)
    walls = _wall_row(range(1, 8) if changed else range(1, 9))
    return _gridworld(
        6,
        9,
        (5, 3),
        (0, 8),
        _MOVES[:4],
        step_reward=0.0,
        goal_reward=1.0,
        name=f"shortcut_maze(changed={changed})",
        walls=walls,
    )


# -- maximization bias ---------------------------------------------------------------------------
def maximization_bias(
    n_actions: int = 10, mean: float = -0.1, std: float = 1.0, n_reward_points: int = 8
) -> TabularMDP:
    """The MDP of Sutton & Barto's figure 6.5, where Q-learning overestimates.

    **Description.** From state A, ``right`` ends the episode with reward 0 and ``left``
    leads to state B with reward 0. From B every one of ``n_actions`` actions ends the episode
    with a random reward of mean ``mean`` (-0.1) and deviation ``std`` (1): its expected value
    is negative, but the maximum of noisy estimates is not, so Q-learning goes left.

    **States.** ``state``: 0 = A (the start), 1 = B, 2 = the end (never entered alive).

    **Actions.** ``n_actions``; in A, action 0 is left and 1 is right, the others are not
    allowed (masked where models carry an ``action_mask``; they act as right).

    **Rewards.** 0 except from B. A tabular model needs finitely many rewards: the normal
    reward is replaced by its ``n_reward_points``-point Gauss-Hermite quadrature (the
    discrete law with the same first ``2 * n_reward_points - 1`` moments: mean and variance
    exact from 2 points on).

    **Episode End.** After the move from B, or ``right`` from A.

    **Usual criterion.** Undiscounted: ``V(A) = 0`` (go right), ``Q(A, left) = mean``.

    Parameters
    ----------
    n_actions : int
        Actions (of B; at least 2). The book says "many"; its figure uses 10.
    mean, std : float
        Mean and standard deviation of B's rewards.
    n_reward_points : int
        Points of the discrete reward law.

    References
    ----------
    Sutton & Barto (2018), example 6.7, figure 6.5.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.maximization_bias()
    >>> rlf.value_iteration(mdp, gamma=1.0).q_values[0, :2].round(6).tolist()
    [-0.1, 0.0]
    """
    n_actions = check_count("n_actions", n_actions)
    if n_actions < 2:
        raise InvalidValueError(f"n_actions must be >= 2 (left and right in A), got {n_actions}")
    mean = _check_real("mean", mean)
    std = check_positive("std", std)
    n_reward_points = check_count("n_reward_points", n_reward_points)
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_reward_points)
    weights = weights / weights.sum()
    left = [(1.0, 1, 0.0, False)]
    right = [(1.0, 2, 0.0, True)]
    from_b = [
        (float(w), 2, mean + std * float(x), True) for x, w in zip(nodes, weights, strict=True)
    ]
    cells = [
        [left, right] + [right] * (n_actions - 2),
        [from_b] * n_actions,
        [[(1.0, 2, 0.0, True)]] * n_actions,
    ]
    mask = np.zeros((3, n_actions), dtype=bool)
    mask[0, :2] = True
    mask[1, :] = True
    mask[2, 0] = True
    return outcome_model(
        cells,
        initial=[1.0, 0.0, 0.0],
        factors=(("state", 3),),
        name="maximization_bias",
        max_episode_steps=CATALOG["maximization_bias"].max_episode_steps,
        action_mask=mask,
    )
