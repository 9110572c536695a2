"""Schedules: values against their closed forms, and bad fields refused when built."""

from __future__ import annotations

import math

import pytest

from rlfoundations.errors import InvalidTypeError, InvalidValueError
from rlfoundations.schedules import Schedule, check_schedule


@pytest.mark.parametrize(
    ("schedule", "t", "count", "expected"),
    [
        pytest.param(Schedule.constant(0.3), 10, 1, 0.3, id="constant"),
        pytest.param(Schedule.linear(1.0, 0.0, 100), 25, 1, 0.75, id="linear"),
        pytest.param(Schedule.linear(1.0, 0.2, 100), 1000, 1, 0.2, id="linear-after-end"),
        pytest.param(Schedule.exponential(2.0, 1.0, 10), 10, 1, 1.0 + math.exp(-1.0), id="exp"),
        pytest.param(Schedule.visit_count(0.5), 0, 16, 0.25, id="visit-count"),
    ],
)
def test_schedule_value_matches_its_closed_form(schedule, t, count, expected):
    assert schedule.value(t, count) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: Schedule("bogus"), "kind must be one of", id="unknown-kind"),
        pytest.param(lambda: Schedule(["linear"]), "kind must be one of", id="kind-not-a-str"),
        pytest.param(lambda: Schedule.linear(1.0, 0.1, 0), "steps must be > 0", id="no-steps"),
        pytest.param(lambda: Schedule.exponential(1.0, 0.1, -5.0), "steps", id="negative-steps"),
        pytest.param(lambda: Schedule.visit_count(0.0), "omega must be in", id="omega-zero"),
        pytest.param(lambda: Schedule.visit_count(1.5), "omega must be in", id="omega-above-1"),
        pytest.param(lambda: Schedule.constant(math.nan), "must be finite", id="nan"),
        pytest.param(lambda: Schedule.linear(math.inf, 0.1, 10), "must be finite", id="inf"),
        pytest.param(lambda: Schedule.linear(1.0, 0.1, 10**400), "must be finite", id="huge-int"),
    ],
)
def test_schedule_with_a_bad_field_is_refused_when_built(build, message):
    with pytest.raises(InvalidValueError, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Schedule.constant(True), id="bool"),
        pytest.param(lambda: Schedule.constant("0.1"), id="str"),
        pytest.param(lambda: Schedule.linear(1.0, None, 10), id="none"),
    ],
)
def test_schedule_with_a_field_that_is_not_a_number_is_a_type_error(build):
    with pytest.raises(InvalidTypeError, match="must be a number"):
        build()


def test_visit_count_value_before_any_visit_is_refused():
    with pytest.raises(InvalidValueError, match="count must be >= 1"):
        Schedule.visit_count().value(0, count=0)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param({"t": -1}, InvalidValueError, id="negative-t"),
        pytest.param({"t": 1.5}, InvalidTypeError, id="float-t"),
        pytest.param({"t": True}, InvalidTypeError, id="bool-t"),
        pytest.param({"t": 0, "count": 2.0}, InvalidTypeError, id="float-count"),
    ],
)
def test_schedule_value_at_a_bad_step_is_refused(arguments, error):
    with pytest.raises(error):
        Schedule.linear(1.0, 0.0, 10).value(**arguments)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(math.nan, InvalidValueError, id="nan"),
        pytest.param(10**400, InvalidValueError, id="huge-int"),
        pytest.param(True, InvalidTypeError, id="bool"),
        pytest.param("0.1", InvalidTypeError, id="str"),
    ],
)
def test_learning_rate_that_is_no_finite_number_is_refused(value, error):
    with pytest.raises(error, match="alpha must"):
        check_schedule("alpha", value, 0.0, 1.0, True)


def test_visit_count_is_refused_for_anything_but_the_learning_rate():
    with pytest.raises(InvalidValueError, match="epsilon cannot be a visit_count"):
        check_schedule("epsilon", Schedule.visit_count(), 0.0, 1.0, False)
