"""Small charts drawn on the server as inline SVG: the pages need no JavaScript library."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#795548")


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def daily_chart_svg(
    series: dict[str, dict[date, int]],
    start: date,
    end: date,
    width: int = 640,
    height: int = 240,
    title: str = "",
    label: Callable[[str], str] = str,
) -> SafeString:
    """One line per species over the days ``start..end``; days without data count as zero.
    ``label`` names a species in the legend (the series keep their class names)."""
    if end < start:
        raise ValueError("end before start")
    days = [start + timedelta(d) for d in range((end - start).days + 1)]
    left, right, top, bottom = 36, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((n for s in series.values() for n in s.values()), default=0))

    def x(i: int) -> float:
        return left + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y(n: int) -> float:
        return top + plot_h * (1 - n / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0, 0.5, 1):
        yy = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
            'stroke="#dde3db" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{yy + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#66736a">{peak * frac:g}</text>'
        )
    tick_every = max(1, len(days) // 6)
    for i, day in enumerate(days):
        if i % tick_every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 14}" font-size="11" '
                f'text-anchor="middle" fill="#66736a">{day:%m-%d}</text>'
            )
    for k, (name, by_day) in enumerate(sorted(series.items())):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(by_day.get(d, 0)):.1f}" for i, d in enumerate(days))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}" '
            f'data-series="{escape(name)}"/>'
        )
        lx = left + 110 * k
        parts.append(
            f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{height - 7}" font-size="12">{escape(label(name))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
