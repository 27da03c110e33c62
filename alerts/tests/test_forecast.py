"""The dawn-oxygen forecast against the worked example of domain.md §1.6."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from alerts.forecast import project_dawn_oxygen

MIDNIGHT = datetime(2026, 7, 1, tzinfo=timezone(timedelta(hours=8)))


def at(hours: float) -> datetime:
    """A time on one clock that keeps counting past midnight (06:00 next day = 30 h)."""
    return MIDNIGHT + timedelta(hours=hours)


def hours(t: datetime | None) -> float | None:
    return None if t is None else (t - MIDNIGHT).total_seconds() / 3600


@pytest.fixture(scope="module")
def vectors(load_shared_json):
    return load_shared_json("domain_vectors_dev.json")["dawn_do_projection"]["vectors"]


def test_dawn_projection_matches_the_worked_example(vectors):
    for v in vectors:
        args = (v["do1_mg_l"], at(v["t1_h"]), v["do2_mg_l"], at(v["t2_h"]), at(v["t_dawn_h"]))
        f = project_dawn_oxygen(*args, 3.0)
        assert f.linear == pytest.approx(v["linear_mg_l"], abs=1e-4)
        assert f.log_linear == pytest.approx(v["loglinear_mg_l"], abs=1e-4)
        assert f.k_per_h == pytest.approx(v["k_per_h"], abs=1e-6)
        assert hours(f.linear_crosses_floor_at) == pytest.approx(
            v["linear_hits_3_mg_l_at_h"], abs=0.01
        )
        assert hours(f.log_linear_crosses_floor_at) == pytest.approx(
            v["loglinear_hits_3_mg_l_at_h"], abs=0.01
        )
        fa27 = project_dawn_oxygen(*args, 4.0)
        assert fa27.aerate(at(31)) is v["fa27_aerate"]


def test_linear_is_never_above_log_linear_after_the_second_reading():
    f = project_dawn_oxygen(8.0, at(18), 6.5, at(21), at(30), 4.0)
    assert f.linear <= f.log_linear


def test_rising_oxygen_never_asks_for_aeration():
    f = project_dawn_oxygen(6.0, at(18), 7.0, at(21), at(30), 4.0)
    assert not f.aerate(at(31))
    assert f.floor_reached_at is None and f.linear_crosses_floor_at is None


def test_a_crossing_after_dawn_is_not_reported_as_reached_by_dawn():
    f = project_dawn_oxygen(9.0, at(18), 8.5, at(21), at(30), 4.0)
    assert f.floor_reached_at is None
    assert hours(f.linear_crosses_floor_at) > 30


def test_already_below_the_floor_is_reached_at_the_second_reading():
    f = project_dawn_oxygen(5.0, at(18), 3.0, at(21), at(30), 4.0)
    assert f.floor_reached_at == at(21) and f.aerate(at(31))


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((9, at(21), 7, at(18), at(30), 4.0), "after the first"),
        ((9, at(18), 7, at(21), at(20), 4.0), "dawn"),
        ((math.nan, at(18), 7, at(21), at(30), 4.0), "first DO"),
        ((9, at(18), -1, at(21), at(30), 4.0), "second DO"),
        ((9, at(18), 7, at(21), at(30), math.inf), "floor"),
    ],
)
def test_impossible_input_raises_value_error_with_a_reason(args, reason):
    with pytest.raises(ValueError, match=reason):
        project_dawn_oxygen(*args)
