"""Judging one reading against one rule: breach, hold (inside the hysteresis band) or clear.

Pure functions of the rule, the reading and the state's small memory; the state
machine in ``alerts.state`` decides what the verdict means for the alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings

from alerts.forecast import project_dawn_oxygen
from alerts.models import AlertState, Rule

C = Rule.Condition


class Verdict(StrEnum):
    BREACH = "breach"
    HOLD = "hold"  # neither breaching nor clear: between trigger and clear level
    CLEAR = "clear"
    NONE = "none"  # the reading says nothing about this rule (e.g. forecast off-hours)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    value: float | None = None
    note: str = ""
    severity: str = ""  # overrides the rule's severity (dawn forecast below the critical floor)


def judge(rule: Rule, value: float, at: datetime, state: AlertState) -> Judgement:
    cond = rule.condition
    t = rule.threshold
    if cond in (C.BELOW, C.BATTERY_BELOW):
        clear = t if rule.clear_threshold is None else rule.clear_threshold
        return Judgement(_verdict(value < t, value >= clear), value)
    if cond == C.ABOVE:
        clear = t if rule.clear_threshold is None else rule.clear_threshold
        return Judgement(_verdict(value > t, value <= clear), value)
    if cond == C.OUTSIDE:
        lo, hi = rule.clear_threshold, rule.clear_threshold_high
        lo = t if lo is None else lo
        hi = rule.threshold_high if hi is None else hi
        return Judgement(
            _verdict(value < t or value > rule.threshold_high, lo <= value <= hi), value
        )
    if cond == C.RATE:
        return _rate(rule, value, at, state)
    if cond == C.TIME_BELOW:
        return _time_below(rule, value, at, state)
    if cond == C.DAWN_FORECAST:
        return _dawn(rule, value, at, state)
    if cond == C.NO_DATA:
        # A reading is the clear condition; the breach is decided by the beat task.
        return Judgement(Verdict.CLEAR, value)
    return Judgement(Verdict.NONE, value)


def _verdict(breach: bool, clear: bool) -> Verdict:
    if breach:
        return Verdict.BREACH
    return Verdict.CLEAR if clear else Verdict.HOLD


def _rate(rule: Rule, value: float, at: datetime, state: AlertState) -> Judgement:
    """Change since the oldest reading inside the window; the threshold's sign is the
    direction (−1.5 = a fall of 1.5 or more)."""
    window = rule.window or timedelta(hours=1)
    now_s = at.timestamp()
    points = [p for p in state.memory.get("points", []) if p[0] >= now_s - window.total_seconds()]
    points.append([now_s, value])
    state.memory = {**state.memory, "points": points[-64:]}
    delta = value - points[0][1]
    t = rule.threshold
    breach = delta <= t if t < 0 else delta >= t
    clear = rule.clear_threshold
    if clear is None:
        return Judgement(_verdict(breach, not breach), delta)
    return Judgement(_verdict(breach, delta > clear if t < 0 else delta < clear), delta)


def _time_below(rule: Rule, value: float, at: datetime, state: AlertState) -> Judgement:
    """Hours with the value at or below ``threshold`` in the rolling ``window``.

    GB 11607-89 (S1): DO must be above 5 mg/L for more than 16 h of any 24 h, so a pond
    is non-compliant once it has spent 8 h or more at or below 5 mg/L (domain.md §1.1).
    Each reading counts until the next one; at most one point per ``min_step_s`` is kept.
    """
    window = (rule.window or timedelta(hours=24)).total_seconds()
    limit_h = float(rule.params.get("hours", 8))
    step = float(rule.params.get("min_step_s", 300))
    now_s = at.timestamp()
    points = [p for p in state.memory.get("points", []) if p[0] >= now_s - window]
    if (
        not points
        or now_s - points[-1][0] >= step
        or (points[-1][1] <= rule.threshold) != (value <= rule.threshold)
    ):
        points.append([now_s, value])
    state.memory = {**state.memory, "points": points}
    below = 0.0
    for (t0, v0), (t1, _) in zip(points, [*points[1:], [now_s, value]], strict=True):
        if v0 <= rule.threshold:
            below += t1 - t0
    hours = round(below / 3600, 2)
    return Judgement(_verdict(hours >= limit_h, hours < limit_h), hours)


def _hour(text: str) -> time:
    return time.fromisoformat(text)


def _dawn(rule: Rule, value: float, at: datetime, state: AlertState) -> Judgement:
    """FA27 practice (domain.md §1.6): a reading at 17:00–18:00 and one at 20:00–22:00,
    projected linearly to the deadline (07:00) and compared with the floor."""
    p = rule.params
    tz = ZoneInfo(p.get("timezone", settings.TIME_ZONE))
    local = at.astimezone(tz)
    first = [_hour(x) for x in p.get("first", ["17:00", "18:00"])]
    second = [_hour(x) for x in p.get("second", ["20:00", "22:00"])]
    deadline = _hour(p.get("deadline", "07:00"))
    now = local.time()
    if first[0] <= now <= first[1]:
        state.memory = {
            **state.memory,
            "evening": [at.timestamp(), value, local.date().isoformat()],
        }
        return Judgement(Verdict.NONE, value)
    if second[0] <= now <= second[1]:
        evening = state.memory.get("evening")
        if not evening or evening[2] != local.date().isoformat():
            return Judgement(Verdict.NONE, value)
        t1 = datetime.fromtimestamp(evening[0], tz)
        dawn = datetime.combine(local.date() + timedelta(days=1), deadline, tz)
        f = project_dawn_oxygen(evening[1], t1, value, local, dawn, rule.threshold)
        projected = round(max(f.linear, 0.0), 2)
        note = f"预计{deadline:%H:%M}降至{projected} mg/L"
        if f.floor_reached_at:
            note += f"，{f.floor_reached_at:%H:%M}低于{rule.threshold:g}"
        critical = p.get("critical_below")
        severity = "critical" if critical is not None and f.linear < critical else ""
        return Judgement(_verdict(f.linear < rule.threshold, True), projected, note, severity)
    if deadline <= now < first[0]:
        return Judgement(Verdict.CLEAR, value)  # the night is over: "clear next morning"
    return Judgement(Verdict.NONE, value)
