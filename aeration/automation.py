"""Automatic mode: switch aerators on DO and the dawn forecast, failing safe towards oxygen.

The decision (``decide``) is a pure function of what is known; its rules follow
domain.md "Aerator control":

* a manual command wins until its override expires; a command on its way is awaited;
* ON when DO is below the site's floor (the highest "DO below" alert threshold that
  applies to the pond) or the dawn forecast crosses it (the site's dawn-forecast
  alert is pending or firing); OFF only when DO is at least floor + hysteresis and
  no forecast breach — between the two, hold (hysteresis);
* minimum on and off times protect the motor: a switch they forbid waits;
* never OFF because data is missing; at night (18:00-07:00 site time) a stale DO
  (older than ``STALE_AFTER``) or a faulted probe switches ON, since a person cannot
  be sure the fish are safe.

Evaluated when the bridge hands over DO readings of a pond with an automatic aerator
(``on_oxygen``) and once a minute by beat (``tick``) for what happens because nothing
arrived (stale data, an override or a minimum time running out).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from aeration import control
from aeration.models import Aerator, Command, Mode
from alerts.models import AlertState, Rule
from alerts.scope import SiteInfo, in_scope
from farm.models import Pond

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=30)
NIGHT_STARTS, NIGHT_ENDS = time(18, 0), time(7, 0)
RULE_NAME = "auto"


@dataclass(frozen=True)
class Oxygen:
    site_id: int
    value: float | None
    at: datetime
    fault: str | None = None


@dataclass(frozen=True)
class Situation:
    """What automatic mode knows about one aerator at ``now``."""

    now: datetime
    state: bool | None  # reported
    changed_at: datetime | None
    pending: bool | None  # desired state of a command on its way
    override_until: datetime | None
    min_on: timedelta
    min_off: timedelta
    do: float | None
    do_at: datetime | None
    do_fault: str
    floor: float | None
    hysteresis: float
    forecast_breach: bool


# Why a decision was taken, in the words kept on the command (in the site's language).
REASONS = {
    "override": gettext_noop("Manual control until the override ends"),
    "pending": gettext_noop("A command is waiting for the device"),
    "night_fault": gettext_noop("Night, DO probe fault (%(fault)s): switched on to be safe"),
    "night_stale": gettext_noop("Night, no recent DO reading: switched on to be safe"),
    "fault": gettext_noop("DO probe fault (%(fault)s): never switched off for that"),
    "stale": gettext_noop("No recent DO reading: never switched off for that"),
    "low": gettext_noop("DO %(do)s mg/L below the floor of %(floor)s mg/L"),
    "forecast": gettext_noop("Dawn DO forecast falls below the floor"),
    "high": gettext_noop("DO %(do)s mg/L at or above %(level)s mg/L"),
    "min_off": gettext_noop("Minimum off time: off for %(minutes)s min"),
    "min_on": gettext_noop("Minimum on time: on for %(minutes)s min"),
    "hold": gettext_noop("Between the floor and the hysteresis: no change"),
}


@dataclass(frozen=True)
class Decision:
    on: bool | None  # None: leave it
    code: str  # a key of REASONS
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """In English, for logs."""
        return REASONS[self.code] % self.params

    def text(self) -> str:
        """In the site's language, for the command's audit record."""
        with translation.override(settings.LANGUAGE_CODE):
            return gettext(REASONS[self.code]) % self.params


def is_night(now: datetime) -> bool:
    local = timezone.localtime(now).time()
    return local >= NIGHT_STARTS or local < NIGHT_ENDS


def _wait(s: Situation, on: bool) -> Decision | None:
    """The minimum-time rule that forbids switching now, if any."""
    if s.changed_at is None or s.state is None:
        return None
    held = s.now - s.changed_at
    minutes = int(held.total_seconds() // 60)
    if on and s.state is False and held < s.min_off:
        return Decision(None, "min_off", {"minutes": minutes})
    if not on and s.state is True and held < s.min_on:
        return Decision(None, "min_on", {"minutes": minutes})
    return None


def _mg(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def decide(s: Situation) -> Decision:
    if s.override_until is not None and s.now < s.override_until:
        return Decision(None, "override")
    if s.pending is not None:
        return Decision(None, "pending")
    stale = s.do is None or s.do_at is None or s.now - s.do_at > STALE_AFTER
    if stale or s.do_fault:
        params = {"fault": s.do_fault}
        if is_night(s.now) and s.state is not True:
            code = "night_fault" if s.do_fault else "night_stale"
            return _wait(s, True) or Decision(True, code, params)
        return Decision(None, "fault" if s.do_fault else "stale", params)
    low = s.floor is not None and s.do < s.floor
    if (low or s.forecast_breach) and s.state is not True:
        if low:
            go = Decision(True, "low", {"do": _mg(s.do), "floor": _mg(s.floor)})
        else:
            go = Decision(True, "forecast")
        return _wait(s, True) or go
    high = s.floor is not None and s.do >= s.floor + s.hysteresis
    if high and not s.forecast_breach and s.state is True:
        level = _mg(s.floor + s.hysteresis)
        return _wait(s, False) or Decision(False, "high", {"do": _mg(s.do), "level": level})
    return Decision(None, "hold")


# --- what the site says --------------------------------------------------------------


def _applies(rule: Rule, pond: Pond) -> bool:
    """The alert engine's scope match for a pond's readings (device rules excluded)."""
    return in_scope(rule, pond.farm_id, pond.pk, "", SiteInfo(pond.name, "pond", pond.species, ""))


def do_floors(ponds: Iterable[Pond]) -> dict[int, float]:
    """Per pond: the highest trigger of the enabled "DO below" rules that apply to it."""
    ponds = list(ponds)
    orgs = {p.farm.organisation_id for p in ponds}
    rules = list(
        Rule.objects.filter(
            organisation_id__in=orgs,
            enabled=True,
            is_template=False,
            metric="do",
            condition=Rule.Condition.BELOW,
            threshold__isnull=False,
        )
    )
    out: dict[int, float] = {}
    for pond in ponds:
        for rule in rules:
            if rule.organisation_id == pond.farm.organisation_id and _applies(rule, pond):
                out[pond.pk] = max(out.get(pond.pk, rule.threshold), rule.threshold)
    return out


def forecast_breaches(pond_ids: Iterable[int]) -> set[int]:
    """Ponds whose dawn-forecast alert is pending or firing (the forecast crosses its floor)."""
    keys = {f"site:{p}": p for p in pond_ids}
    rows = AlertState.objects.filter(
        rule__condition=Rule.Condition.DAWN_FORECAST,
        rule__enabled=True,
        target_key__in=keys,
        state__in=[AlertState.State.PENDING, AlertState.State.FIRING],
    ).values_list("target_key", flat=True)
    return {keys[k] for k in rows}


# --- entry points ---------------------------------------------------------------------


def on_oxygen(readings: Iterable[Oxygen], now: datetime | None = None) -> int:
    """Note the newest DO per pond on its automatic aerators, then decide; commands sent."""
    newest: dict[int, Oxygen] = {}
    for r in readings:
        if r.site_id not in newest or r.at > newest[r.site_id].at:
            newest[r.site_id] = r
    with transaction.atomic():
        aerators = list(
            Aerator.objects.select_for_update()
            .filter(pond_id__in=newest, mode=Mode.AUTO)
            .order_by("pk")
        )
        for a in aerators:
            r = newest[a.pond_id]
            if a.last_do_at is not None and r.at <= a.last_do_at:
                continue
            a.last_do_at = r.at
            a.do_fault = (r.fault or "")[:64]
            a.last_do = None if r.fault else r.value
            a.save(update_fields=["last_do", "last_do_at", "do_fault"])
    return _evaluate([a.pk for a in aerators], now)


def tick(now: datetime | None = None) -> int:
    """Beat: automatic aerators whose situation changed only because time passed."""
    ids = list(Aerator.objects.filter(mode=Mode.AUTO).values_list("pk", flat=True))
    return _evaluate(ids, now)


def _evaluate(aerator_ids: list[int], now: datetime | None) -> int:
    if not aerator_ids:
        return 0
    now = now or timezone.now()
    aerators = list(
        Aerator.objects.filter(pk__in=aerator_ids, mode=Mode.AUTO).select_related(
            "pond__farm", "controller__device"
        )
    )
    ponds = {a.pond_id: a.pond for a in aerators}
    floors = do_floors(ponds.values())
    forecast = forecast_breaches(ponds)
    pending = dict(
        Command.objects.filter(aerator__in=aerators, status=Command.Status.PENDING).values_list(
            "aerator_id", "desired_on"
        )
    )
    sent = 0
    for a in aerators:
        s = Situation(
            now=now,
            state=a.reported_on,
            changed_at=a.changed_at,
            pending=pending.get(a.pk),
            override_until=a.override_until,
            min_on=timedelta(minutes=a.min_on_minutes),
            min_off=timedelta(minutes=a.min_off_minutes),
            do=a.last_do,
            do_at=a.last_do_at,
            do_fault=a.do_fault,
            floor=floors.get(a.pond_id),
            hysteresis=float(a.hysteresis_mg_l),
            forecast_breach=a.pond_id in forecast,
        )
        d = decide(s)
        if d.on is None:
            continue
        log.info("aerator %s: automatic %s: %s", a.pk, "on" if d.on else "off", d.reason)
        control.request(a.pk, d.on, rule=RULE_NAME, reason=d.text(), now=now)
        sent += 1
    return sent
