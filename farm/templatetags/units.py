"""Template filters for durations and areas; see ``farm.units``."""

from __future__ import annotations

from django import template

from farm.units import area_text, duration_text

register = template.Library()


@register.filter
def duration(value) -> str:
    """``{{ rule.for_duration|duration }}`` → "10 分钟"."""
    return duration_text(value)


@register.filter
def area(m2) -> str:
    """``{{ site.area_m2|area }}`` → "6700 m²（10.1 亩）"."""
    return area_text(m2)
