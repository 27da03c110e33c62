"""Durations and areas read as a person says them, in Chinese and in English."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from farm.units import area_text, duration_text


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (timedelta(hours=1), "1 小时", "1 hour"),
        (timedelta(days=3, hours=2, minutes=5), "3 天 2 小时", "3 days 2 hours"),
        (timedelta(minutes=15), "15 分钟", "15 minutes"),
        (timedelta(days=1, minutes=30), "1 天", "1 day"),
        (timedelta(hours=2, minutes=30, seconds=40), "2 小时 30 分钟", "2 hours 30 minutes"),
        (timedelta(seconds=45), "45 秒", "45 seconds"),
        (timedelta(0), "0 分钟", "0 minutes"),
        (5400, "1 小时 30 分钟", "1 hour 30 minutes"),
    ],
)
def test_a_duration_reads_in_its_two_largest_units(value, zh, en):
    with translation.override("zh-hans"):
        assert duration_text(value) == zh
    with translation.override("en"):
        assert duration_text(value) == en


def test_no_duration_reads_as_nothing():
    assert duration_text(None) == ""


def test_an_area_shows_square_metres_and_mu():
    with translation.override("zh-hans"):
        assert area_text(Decimal("6700.0")) == "6700 m²（10.1 亩）"
        assert area_text(Decimal("666.7")) == "667 m²（1.0 亩）"
    with translation.override("en"):
        assert area_text(Decimal("6700")) == "6,700 m² (10.1 mu)"


def test_the_template_filters_render_durations_and_areas():
    template = Template("{% load units %}{{ d|duration }} · {{ a|area }}")
    with translation.override("zh-hans"):
        text = template.render(Context({"d": timedelta(minutes=10), "a": Decimal(4000)}))
    assert text == "10 分钟 · 4000 m²（6.0 亩）"
