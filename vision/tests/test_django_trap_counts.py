"""Counting new insects on a trap photo against the previous photo of the same trap."""

from __future__ import annotations

from datetime import date

import pytest

from vision.charts import daily_chart_svg
from vision.models import parse_regions
from vision.trap_counts import TrapBox, new_catch


def box(cls: str, x: float, y: float, size: float = 20.0) -> TrapBox:
    return TrapBox(cls, (x, y, x + size, y + size))


def test_first_photo_of_a_trap_counts_every_insect_as_new():
    catch = new_catch([], [box("moth", 10, 10), box("aphid", 50, 50), box("moth", 90, 10)])
    assert catch.new == [True, True, True]
    assert catch.new_counts == {"moth": 2, "aphid": 1}


def test_insects_still_on_the_trap_are_not_counted_again():
    before = [box("moth", 10, 10), box("aphid", 50, 50)]
    after = [box("moth", 11, 10), box("aphid", 50, 51), box("beetle", 120, 80)]
    catch = new_catch(before, after)
    assert catch.new == [False, False, True]
    assert catch.new_counts == {"beetle": 1}
    assert catch.present_counts == {"moth": 1, "aphid": 1, "beetle": 1}


def test_an_insect_whose_species_flipped_between_photos_is_the_same_insect():
    catch = new_catch([box("moth", 30, 30)], [box("beetle", 31, 30)])
    assert catch.new == [False]
    assert catch.new_counts == {}


def test_a_shifted_card_does_not_make_every_insect_look_new():
    spots = [(10, 10), (60, 15), (110, 40), (30, 90), (150, 120)]
    before = [box("aphid", x, y) for x, y in spots]
    after = [box("aphid", x + 15, y - 12) for x, y in spots] + [box("moth", 200, 200)]
    catch = new_catch(before, after)
    assert catch.shift == pytest.approx((-15.0, 12.0))
    assert catch.new == [False] * 5 + [True]


def test_two_insects_landing_next_to_one_old_one_count_as_one_new_each():
    before = [box("moth", 50, 50)]
    after = [box("moth", 50, 50), box("moth", 75, 50), box("moth", 50, 75)]
    assert new_catch(before, after).new_counts == {"moth": 2}


def test_a_replaced_card_counts_all_insects_again():
    before = [box("aphid", 10 + 30 * i, 10) for i in range(5)]
    after = [box("aphid", 20 + 30 * i, 100) for i in range(3)]
    assert new_catch(before, after).new_counts == {"aphid": 3}


def test_an_empty_photo_has_no_catch():
    catch = new_catch([box("moth", 10, 10)], [])
    assert catch.new == [] and catch.new_counts == {}


def test_an_iou_threshold_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="iou_threshold"):
        new_catch([], [box("moth", 1, 1)], iou_threshold=0)


def test_regions_accept_rectangles_and_polygons_as_boxes():
    assert parse_regions([[0.1, 0.2, 0.5, 0.6], [[0.2, 0.1], [0.9, 0.3], [0.4, 0.8]]]) == [
        (0.1, 0.2, 0.5, 0.6),
        (0.2, 0.1, 0.9, 0.8),
    ]


@pytest.mark.parametrize(
    "regions, reason",
    [
        ({"x": 1}, "must be a list"),
        ([[0.1, 0.2, 1.5, 0.6]], "rectangle"),
        ([[0.5, 0.2, 0.1, 0.6]], "no area"),
        ([[[0.1, 0.1], [0.2, 0.2]]], "polygon"),
        ([[True, 0, 1, 1]], "rectangle"),
        (["abcd"], "expected"),
    ],
)
def test_regions_that_are_not_normalised_shapes_are_refused(regions, reason):
    with pytest.raises(ValueError, match=reason):
        parse_regions(regions)


def test_the_trend_chart_draws_one_line_per_species_with_escaped_names():
    svg = daily_chart_svg(
        {"moth": {date(2026, 6, 2): 4}, "<b>aphid</b>": {date(2026, 6, 1): 1}},
        date(2026, 6, 1),
        date(2026, 6, 3),
        title="稻田",
    )
    assert svg.count("<polyline") == 2
    assert "<b>" not in svg and "&lt;b&gt;aphid" in svg
    assert "<script" not in svg


def test_the_trend_chart_of_a_period_without_counts_is_flat_at_zero():
    svg = daily_chart_svg({}, date(2026, 6, 1), date(2026, 6, 1))
    assert svg.startswith("<svg") and "<polyline" not in svg
