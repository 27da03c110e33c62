"""How durations and areas read to a person: "3 天 2 小时" rather than ``3 days, 2:00:00``,
and 亩 beside m² (1 亩 = 10 000 / 15 m² ≈ 666.67 m², the unit Chinese farmers think in).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

M2_PER_MU = Decimal(10000) / Decimal(15)


def _days(n: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def _hours(n: int) -> str:
    return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}


def _minutes(n: int) -> str:
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


def _seconds(n: int) -> str:
    return ngettext("%(n)d second", "%(n)d seconds", n) % {"n": n}


_UNITS: tuple[tuple[int, Callable[[int], str]], ...] = ((1440, _days), (60, _hours), (1, _minutes))


def duration_text(value: timedelta | float | None, parts: int = 2) -> str:
    """``value`` (a timedelta or seconds) in at most ``parts`` units from the largest, rounded
    down: "1 小时", "3 天 2 小时", "15 分钟"; seconds only under a minute; "" for None."""
    if value is None:
        return ""
    seconds = abs(int(value.total_seconds() if isinstance(value, timedelta) else value))
    if seconds < 60:
        return _seconds(seconds) if seconds else _minutes(0)
    minutes, shown, used = seconds // 60, [], 0
    for size, render in _UNITS:
        n, minutes = divmod(minutes, size)
        if n:
            shown.append(render(n))
        if n or used:
            used += 1  # a zero unit after the first shown one still takes its place
        if used >= parts:
            break
    return " ".join(shown)


def area_mu(m2: Decimal | float | None) -> Decimal | None:
    return None if m2 is None else Decimal(str(m2)) / M2_PER_MU


def area_text(m2: Decimal | float | None) -> str:
    """ "6700 m²（10.1 亩）": the surveyed m² and the farmer's 亩, one decimal."""
    if m2 is None:
        return ""
    return gettext("%(m2)s m² (%(mu)s mu)") % {
        "m2": number_format(Decimal(str(m2)).quantize(Decimal(1)), 0, force_grouping=True),
        "mu": number_format(
            area_mu(m2).quantize(Decimal("0.1"), ROUND_HALF_UP), 1, force_grouping=True
        ),
    }
