"""``{% dead_letter_detail d.detail as detail %}``: see ``sensors.deadletter_text``."""

from __future__ import annotations

from django import template

from sensors.deadletter_text import DetailText, detail_text

register = template.Library()


@register.simple_tag
def dead_letter_detail(detail: str) -> DetailText:
    return detail_text(detail)
