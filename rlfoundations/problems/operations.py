"""Operations research models.

Forest management, inventory, machine replacement, queue admission, and Puterman's two-state
example.

References
----------
.. [P] M. L. Puterman, *Markov Decision Processes: Discrete Stochastic Dynamic Programming*,
   Wiley, 1994 (2005 paperback).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rlfoundations._validate import check_count, check_distribution, check_positive, is_number
from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.mdp import TabularMDP
from rlfoundations.problems._build import dense_model, outcome_model
from rlfoundations.problems._catalog import CATALOG
from rlfoundations.problems.textbook import _check_probability, _check_real

__all__ = ["forest", "inventory", "machine_replacement", "puterman_two_state", "queue_admission"]


def _check_nonnegative(name: str, value) -> float:
    if not is_number(value) or not math.isfinite(value):
        raise InvalidTypeError(f"{name} must be a finite number >= 0, got {value!r}")
    if value < 0:
        raise InvalidValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


def _check_law(name: str, law) -> np.ndarray:
    """A probability vector over 0, 1, 2, ..."""
    try:
        law = np.asarray(law, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{name} must be a sequence of probabilities, got {law!r}") from None
    if law.ndim != 1 or law.size == 0:
        raise InvalidValueError(f"{name} must be a non-empty vector of probabilities, got {law!r}")
    return check_distribution(law, name)


# -- forest ---------------------------------------------------------------------------------------
def forest(S: int = 3, r1: float = 4.0, r2: float = 2.0, p: float = 0.1) -> TabularMDP:
    """The forest management example of pymdptoolbox (``mdptoolbox.example.forest``), same numbers.

    **Description.** A forest is managed in periods. Each period the manager waits (action 0)
    or cuts (action 1). A fire burns the forest down with probability ``p`` in a period when
    it was left standing, back to the youngest age. Cutting resets it too, and sells wood.

    **States.** ``age`` 0 .. ``S - 1`` (the oldest class; it stays oldest while it lasts).

    **Actions.** 0 wait, 1 cut.

    **Rewards.** Waiting in the oldest state pays ``r1`` (the forest's value), otherwise 0;
    cutting pays 0 in the youngest state, ``r2`` in the oldest, 1 in between. The reward
    of a (state, action) is the same whatever happens next, as in pymdptoolbox's ``R``.

    **Episode End.** Never (continuing); the registered env stops after 1000 periods.

    **Usual criterion.** Discounted: pymdptoolbox's documentation solves it at 0.9 (values
    26.244, 29.484, 33.484, policy wait everywhere) and 0.96.

    Parameters
    ----------
    S : int
        Number of age classes, > 1 (3).
    r1 : float
        Reward of waiting in the oldest state, > 0 (4).
    r2 : float
        Reward of cutting in the oldest state, > 0 (2).
    p : float
        Probability of a fire in a period, in [0, 1] (0.1).

    Returns
    -------
    TabularMDP
        ``S`` states, 2 actions; ``to_dense()`` gives pymdptoolbox's arrays transposed
        (``P[s, a, s']`` where pymdptoolbox has ``P[a, s, s']``).

    References
    ----------
    S. Cordwell, pymdptoolbox, ``mdptoolbox.example.forest``; the example is from the MDP
    toolbox for MATLAB (Chadès, Chapron, Cros, Garcia and Sabbadin, 2014).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.value_iteration(rlf.problems.forest(), gamma=0.9).values.round(3).tolist()
    [26.244, 29.484, 33.484]
    """
    S = check_count("S", S)
    if S < 2:
        raise InvalidValueError(f"S must be > 1 (at least two age classes), got {S}")
    r1 = check_positive("r1", r1)
    r2 = check_positive("r2", r2)
    p = _check_probability("p", p, open_interval=False)
    P = np.zeros((S, 2, S))
    P[:, 0, 0] = p
    P[np.arange(S - 1), 0, np.arange(1, S)] = 1.0 - p
    P[S - 1, 0, S - 1] += 1.0 - p
    P[:, 1, 0] = 1.0
    R = np.zeros((S, 2))
    R[S - 1, 0] = r1
    R[:, 1] = 1.0
    R[0, 1] = 0.0
    R[S - 1, 1] = r2
    initial = np.zeros(S)
    initial[0] = 1.0
    return dense_model(
        P,
        R,
        initial=initial,
        factors=(("age", S),),
        name=f"forest(S={S}, r1={r1}, r2={r2}, p={p})",
        max_episode_steps=CATALOG["forest"].max_episode_steps,
    )


# -- inventory ------------------------------------------------------------------------------------
def _demand_law(demand, capacity: int) -> np.ndarray:
    """P(D = d) for d = 0 .. capacity - 1 and P(D >= capacity) last."""
    if is_number(demand):
        mean = check_positive("demand", demand)
        d = np.arange(capacity)
        log_factorial = np.array([math.lgamma(i + 1) for i in range(capacity)])
        head = np.exp(-mean + d * math.log(mean) - log_factorial)
    else:
        law = _check_law("demand", demand)
        head = np.zeros(capacity)
        head[: min(capacity, law.size)] = law[:capacity]
    return np.append(head, max(0.0, 1.0 - head.sum()))


def inventory(
    capacity: int = 10,
    demand: float | Sequence[float] = 3.0,
    holding_cost: float = 1.0,
    order_cost: float = 2.0,
    price: float = 8.0,
    fixed_cost: float = 4.0,
    *,
    horizon: int | None = None,
    initial_stock: int = 0,
) -> TabularMDP:
    """A single-item inventory with lost sales (Puterman, section 3.2).

    **Description.** At the start of each period the manager sees the stock on hand and
    orders a quantity, delivered at once; the warehouse holds ``capacity`` units. Demand is
    random and independent across periods; unmet demand is lost.

    **States.** ``stock`` on hand, 0 .. ``capacity``; with ``horizon``, also the ``period``
    0 .. ``horizon - 1`` (first factor).

    **Actions.** The quantity ordered, 0 .. ``capacity``. Ordering more than the room left is
    not allowed (masked where models carry an ``action_mask``); it orders up to capacity.

    **Rewards.** ``price`` per unit sold, minus ``fixed_cost + order_cost * quantity`` for a
    non-zero order, minus ``holding_cost`` per unit left at the end of the period (Puterman's
    example charges it on the stock after ordering instead). The units sold are read off the
    next state, so each outcome pays its exact reward.

    **Episode End.** Never (discounted); with ``horizon``, after ``horizon`` periods.

    **Usual criterion.** Discounted (say ``gamma = 0.95``) or finite horizon. With a fixed
    order cost the optimal policy is an (s, S) policy: order up to S when the stock falls
    below s, else order nothing.

    Parameters
    ----------
    capacity : int
        Units the warehouse holds (10).
    demand : float or sequence of float
        A float: Poisson demand with that mean (3). A sequence: the probabilities of demand
        0, 1, 2, ... (Puterman's example: ``(0.25, 0.5, 0.25)``).
    holding_cost : float
        Cost per unit in stock at the end of a period (1).
    order_cost : float
        Cost per unit ordered (2).
    price : float
        Revenue per unit sold (8).
    fixed_cost : float
        Cost of placing a non-zero order (4).
    horizon : int or None
        Periods of a finite-horizon problem (time is then part of the state); None for the
        infinite-horizon problem.
    initial_stock : int
        Stock at the start.

    Returns
    -------
    TabularMDP
        ``capacity + 1`` states (times ``horizon``), ``capacity + 1`` actions.

    References
    ----------
    Puterman (1994), sections 3.2 and 4.6.1; H. Scarf, "The optimality of (S, s) policies in
    the dynamic inventory problem" (1960).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> mdp = rlf.problems.inventory()
    >>> rlf.value_iteration(mdp, gamma=0.95).policy[:6].tolist()
    [6, 5, 4, 0, 0, 0]
    """
    capacity = check_count("capacity", capacity)
    law = _demand_law(demand, capacity)
    holding_cost = _check_nonnegative("holding_cost", holding_cost)
    order_cost = _check_nonnegative("order_cost", order_cost)
    price = _check_nonnegative("price", price)
    fixed_cost = _check_nonnegative("fixed_cost", fixed_cost)
    initial_stock = check_count("initial_stock", initial_stock, minimum=0)
    if initial_stock > capacity:
        raise InvalidValueError(
            f"initial_stock must be <= capacity = {capacity}, got {initial_stock}"
        )
    if horizon is not None:
        horizon = check_count("horizon", horizon)

    size = capacity + 1
    # One period from (stock, order): outcomes over the stock left, and their rewards.
    period = []
    for stock in range(size):
        row = []
        for order in range(size):
            level = min(stock + order, capacity)
            ordered = level - stock
            cost = (fixed_cost + order_cost * ordered) if ordered else 0.0
            outcomes = []
            for demanded in range(level + 1):
                # demand d < level leaves level - d; demand >= level leaves 0.
                p = law[demanded] if demanded < level else float(law[level:].sum())
                left = level - demanded
                outcomes.append((p, left, price * demanded - cost - holding_cost * left))
            row.append(outcomes)
        period.append(row)
    mask = np.arange(size)[None, :] <= capacity - np.arange(size)[:, None]
    if horizon is None:
        cells = [[[(p, s, r, False) for p, s, r in cell] for cell in row] for row in period]
        factors = (("stock", size),)
        initial = np.zeros(size)
        initial[initial_stock] = 1.0
        name = "inventory"
    else:
        cells = []
        for t in range(horizon):
            last = t == horizon - 1
            for row in period:
                cells.append(
                    [
                        [(p, (t if last else t + 1) * size + s, r, last) for p, s, r in cell]
                        for cell in row
                    ]
                )
        factors = (("period", horizon), ("stock", size))  # type: ignore[assignment]
        initial = np.zeros(horizon * size)
        initial[initial_stock] = 1.0
        mask = np.tile(mask, (horizon, 1))
        name = f"inventory(horizon={horizon})"
    return outcome_model(
        cells,
        initial=initial,
        factors=factors,
        name=name,
        max_episode_steps=CATALOG["inventory"].max_episode_steps,
        action_mask=mask,
    )


# -- machine replacement --------------------------------------------------------------------------
def machine_replacement(
    n_conditions: int = 10,
    deterioration: Sequence[float] = (0.5, 0.3, 0.2),
    operating_cost: float = 1.0,
    replacement_cost: float = 10.0,
) -> TabularMDP:
    """Keep or replace a deteriorating machine (Puterman, sections 1.4 and 6.10.4).

    **Description.** A machine's condition worsens at random each period; running it costs
    more the worse it is. Each period the manager keeps it or replaces it with a new one.

    **States.** ``condition`` 0 (new) .. ``n_conditions - 1`` (worst; it stays worst).

    **Actions.** 0 keep, 1 replace.

    **Rewards.** Minus the period's cost: ``operating_cost * condition`` to keep,
    ``replacement_cost`` (plus a new machine's operating cost, 0) to replace.

    **Episode End.** Never (continuing).

    **Usual criterion.** Discounted. Costs rise with the condition and worse machines
    deteriorate no slower, so a control-limit policy is optimal: replace exactly when the
    condition reaches some threshold.

    Parameters
    ----------
    n_conditions : int
        Number of conditions, at least 2.
    deterioration : sequence of float
        Probabilities that the condition worsens by 0, 1, 2, ... steps in a period.
    operating_cost : float
        Cost per period per step of condition.
    replacement_cost : float
        Cost of a new machine.

    References
    ----------
    Puterman (1994), sections 1.4 and 6.10.4; C. Derman, "On optimal replacement rules when
    changes of state are Markovian" (1963).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.value_iteration(rlf.problems.machine_replacement(), gamma=0.9).policy.tolist()
    [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    """
    n_conditions = check_count("n_conditions", n_conditions)
    if n_conditions < 2:
        raise InvalidValueError(f"n_conditions must be >= 2, got {n_conditions}")
    law = _check_law("deterioration", deterioration)
    operating_cost = _check_nonnegative("operating_cost", operating_cost)
    replacement_cost = _check_nonnegative("replacement_cost", replacement_cost)
    worst = n_conditions - 1
    P = np.zeros((n_conditions, 2, n_conditions))
    for condition in range(n_conditions):
        for step, p in enumerate(law):
            P[condition, 0, min(condition + step, worst)] += p
            P[condition, 1, min(step, worst)] += p
    R = np.stack(
        [-operating_cost * np.arange(n_conditions), np.full(n_conditions, -replacement_cost)],
        axis=1,
    )
    initial = np.zeros(n_conditions)
    initial[0] = 1.0
    return dense_model(
        P,
        R,
        initial=initial,
        factors=(("condition", n_conditions),),
        name="machine_replacement",
        max_episode_steps=CATALOG["machine_replacement"].max_episode_steps,
    )


# -- queue admission ------------------------------------------------------------------------------
def queue_admission(
    capacity: int = 20,
    arrival_rate: float = 1.0,
    service_rate: float = 1.25,
    reward: float = 10.0,
    holding_cost: float = 1.0,
) -> TabularMDP:
    """Admission control of an M/M/1 queue, uniformised to discrete time (Naor's problem).

    **Description.** Customers arrive at rate ``arrival_rate`` to one server of rate
    ``service_rate``; the controller admits or rejects each arrival. Uniformised at rate
    ``arrival_rate + service_rate``: each step is an arrival with probability ``arrival_rate
    / (arrival_rate + service_rate)``, else a service completion (nothing if the queue is
    empty).

    **States.** ``queue``: customers in the system, 0 .. ``capacity``.

    **Actions.** 0 reject, 1 admit (the next arrival). Admitting at capacity is not allowed
    (masked where models carry an ``action_mask``); it rejects.

    **Rewards.** ``reward`` per admitted customer, minus ``holding_cost`` per customer per unit
    of time, charged per step as ``holding_cost * queue / (arrival_rate + service_rate)``.
    Multiply an average reward per step by ``arrival_rate + service_rate`` for the rate per
    unit of time.

    **Episode End.** Never; the usual criterion is the **average reward** (the registered env
    stops after 1000 steps).

    **Usual criterion.** Average reward. The socially optimal policy admits while the queue
    is below Naor's threshold ``floor(v)``, where ``v`` solves ``(v (1 - rho) - rho (1 -
    rho^v)) / (1 - rho)^2 = reward * service_rate / holding_cost`` with ``rho = arrival_rate
    / service_rate``.

    Parameters
    ----------
    capacity : int
        Largest queue (make it larger than the threshold to model an unlimited queue).
    arrival_rate, service_rate : float
        Rates of the Poisson arrivals and of the exponential service.
    reward : float
        Reward per admitted customer.
    holding_cost : float
        Cost per customer per unit of time.

    References
    ----------
    P. Naor, "The regulation of queue size by levying tolls", Econometrica 37 (1969);
    Puterman (1994), section 11.5 (uniformisation).

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.problems.queue_admission().n_states
    21
    """
    capacity = check_count("capacity", capacity)
    arrival_rate = check_positive("arrival_rate", arrival_rate)
    service_rate = check_positive("service_rate", service_rate)
    reward = _check_real("reward", reward)
    holding_cost = _check_nonnegative("holding_cost", holding_cost)
    rate = arrival_rate + service_rate
    p_arrival = arrival_rate / rate
    cells = []
    for queue in range(capacity + 1):
        hold = -holding_cost * queue / rate
        served = max(queue - 1, 0)
        reject = [(p_arrival, queue, hold, False), (1.0 - p_arrival, served, hold, False)]
        if queue < capacity:
            admit = [
                (p_arrival, queue + 1, hold + reward, False),
                (1.0 - p_arrival, served, hold, False),
            ]
        else:
            admit = reject
        cells.append([reject, admit])
    mask = np.ones((capacity + 1, 2), dtype=bool)
    mask[capacity, 1] = False
    initial = np.zeros(capacity + 1)
    initial[0] = 1.0
    return outcome_model(
        cells,
        initial=initial,
        factors=(("queue", capacity + 1),),
        name="queue_admission",
        max_episode_steps=CATALOG["queue_admission"].max_episode_steps,
        action_mask=mask,
    )


# -- Puterman's two-state example -----------------------------------------------------------------
def puterman_two_state() -> TabularMDP:
    """Puterman's two-state example (section 3.1, figure 3.1.1), as in QuantEcon's tests.

    **Description.** In state s1, action a11 pays 5 and stays or moves to s2 with
    probability 1/2 each; action a12 pays 10 and moves to s2. In s2 the only action, a21,
    pays -1 and stays.

    **States.** ``state``: 0 = s1, 1 = s2.

    **Actions.** 0 and 1 in s1 (a11, a12); in s2 only 0 (a21) is allowed (action 1 is masked
    where models carry an ``action_mask``, and acts as a21).

    **Rewards.** As above.

    **Episode End.** Never.

    **Usual criterion.** Discounted with ``gamma = 0.95``: ``v* = (-8.571..., -20)``
    (``v*(s1) = -60/7``), policy a11 in s1.

    References
    ----------
    Puterman (1994), section 3.1 and example 6.4.1; QuantEcon.py,
    ``quantecon/markov/tests/test_ddp.py``.

    Examples
    --------
    >>> import rlfoundations as rlf
    >>> rlf.value_iteration(rlf.problems.puterman_two_state(), gamma=0.95).values.round(4)
    array([ -8.5714, -20.    ])
    """
    stay = [(1.0, 1, -1.0, False)]
    cells = [
        [[(0.5, 0, 5.0, False), (0.5, 1, 5.0, False)], [(1.0, 1, 10.0, False)]],
        [stay, stay],
    ]
    return outcome_model(
        cells,
        initial=[1.0, 0.0],
        factors=(("state", 2),),
        name="puterman_two_state",
        max_episode_steps=CATALOG["puterman_two_state"].max_episode_steps,
        action_mask=[[True, True], [True, False]],
    )
