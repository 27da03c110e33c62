"""The site page's "water now" panel and small formatting filters for tiles."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import translation

from vocabulary.metrics import metric_label

register = template.Library()

ARROWS = {"up": "↑", "down": "↓", "steady": "→"}


@register.inclusion_tag("monitoring/_site_panel.html")
def site_now_panel(site) -> dict:
    """``{% site_now_panel site %}`` on a site page: every figure, the outlook, the tile."""
    from monitoring.views import site_context

    return site_context(site, datetime.now(UTC))


@register.filter
def epoch_ms(when: datetime | None) -> str:
    """For ``data-at``: the page works out ages itself, so a wall left open stays right."""
    return "" if when is None else str(int(when.timestamp() * 1000))


@register.filter
def arrow(trend: str) -> str:
    return ARROWS.get(trend, "")


@register.filter
def metric_name(metric: str) -> str:
    """The metric's name in the active language (``vocabulary.metrics.metric_label``)."""
    return metric_label(metric, translation.get_language() or "zh-hans")


@register.simple_tag
def site_chart(site) -> dict:
    """``{% site_chart site as c %}``: the figures a site's chart offers and shows first."""
    from monitoring.water_now import metrics_of

    first = ["do", "water_temp"] if site.kind == "pond" else ["soil_vwc", "soil_temp"]
    return {"choices": list(metrics_of(site.kind)), "metrics": first}
