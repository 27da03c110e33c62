"""Alert conditions: one registered class per ``Rule.Condition``, carrying what it means.

Each class says how a reading is judged against a rule (``judge``: breach, hold inside
the hysteresis band, or clear), what a rule using it must fill in (its flags and
``check``), how an incident of it is worded (``word``, ``subject``, ``threshold_text``,
``value_text``), whether it takes a clear level, and where it is evaluated: on the
stream of readings (``alerts.engine``), by Celery beat (``alerts.checks``), or both.
A new condition is a new class here plus its choice on ``Rule.Condition``, as a new
codec or transport is a class in its registry. The state machine in ``alerts.state``
decides what a verdict means for the alert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from alerts.forecast import project_dawn_oxygen
from alerts.models import AlertState, Rule
from farm.units import duration_text
from sensors.faults import fault_label
from vocabulary.detector_classes import class_label
from vocabulary.metrics import metric_label, reading_text

C = Rule.Condition
AddError = Callable[[str, str], None]  # (field, message), as ``editing.check_rule`` collects


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


class Condition:
    """The base every condition extends; the defaults fit a threshold on a metric."""

    key: ClassVar[str]
    on_stream: ClassVar[bool] = True  # judged on each matching reading by the engine
    on_beat: ClassVar[bool] = False  # judged (also) by a beat task in ``alerts.checks``
    engine_owned: ClassVar[bool] = False  # made by the engine itself, never offered for a rule
    needs_metric: ClassVar[bool] = True
    needs_threshold: ClassVar[bool] = True
    needs_window: ClassVar[bool] = False
    is_band: ClassVar[bool] = False  # has an upper threshold (and upper clear level)
    takes_clear: ClassVar[bool] = False  # a clear level apart from the threshold (hysteresis)
    word: ClassVar[str] = ""  # joins subject and threshold in a title: "溶解氧低于3 mg/L"

    def judge(self, rule: Rule, value: float, at: datetime, state: AlertState) -> Judgement:
        return Judgement(Verdict.NONE, value)

    def check(self, rule: Rule, add: AddError) -> None:
        """Checks of this condition beyond what its flags say (``editing.check_rule``)."""

    def subject(self, rule: Rule, metric: str) -> str:
        """What is wrong, in the farmer's words: 溶解氧, 稻飞虱."""
        if rule.source == Rule.Source.DETECTION:
            return class_label(rule.metric)
        return metric_label(rule.metric)

    def threshold_text(self, rule: Rule) -> str:
        return reading_text(rule.threshold, rule.metric)

    def value_text(self, rule: Rule, value: float | None, metric: str) -> str:
        return reading_text(value, metric or rule.metric)

    def note_text(self, note: str) -> str:
        """The cause a judgement named, as the title shows it."""
        return note


_REGISTRY: dict[str, Condition] = {}


def register(cls: type[Condition]) -> type[Condition]:
    _REGISTRY[cls.key] = cls()
    return cls


def condition_for(key: str) -> Condition:
    """The registered condition of a rule's ``condition`` field."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise ValueError(f"unknown condition {key!r}; known: {sorted(_REGISTRY)}") from None


def registered() -> dict[str, Condition]:
    return dict(_REGISTRY)


def on_stream() -> list[str]:
    """Conditions the engine judges on readings (the keys of its rule query)."""
    return [key for key, c in _REGISTRY.items() if c.on_stream]


def engine_owned() -> set[str]:
    return {key for key, c in _REGISTRY.items() if c.engine_owned}


def judge(rule: Rule, value: float, at: datetime, state: AlertState) -> Judgement:
    """Judge one reading against one rule by the rule's condition."""
    return condition_for(rule.condition).judge(rule, value, at, state)


# --- the conditions -------------------------------------------------------------------


@register
class Above(Condition):
    key = C.ABOVE
    takes_clear = True
    word = "高于"

    def judge(self, rule, value, at, state):
        t = rule.threshold
        clear = t if rule.clear_threshold is None else rule.clear_threshold
        return Judgement(_verdict(value > t, value <= clear), value)

    def check(self, rule, add):
        t, clear = rule.threshold, rule.clear_threshold
        if t is not None and clear is not None and clear > t:
            add("clear_threshold", _("For “above”, clear at or below the threshold."))


@register
class Below(Condition):
    key = C.BELOW
    takes_clear = True
    word = "低于"

    def judge(self, rule, value, at, state):
        t = rule.threshold
        clear = t if rule.clear_threshold is None else rule.clear_threshold
        return Judgement(_verdict(value < t, value >= clear), value)

    def check(self, rule, add):
        t, clear = rule.threshold, rule.clear_threshold
        if t is not None and clear is not None and clear < t:
            add("clear_threshold", _("For “below”, clear at or above the threshold."))


@register
class BatteryBelow(Below):
    """Judged on every battery reading, and by beat on the device register's latest
    voltage (``checks.check_low_battery``), so a node that stopped sending is seen too."""

    key = C.BATTERY_BELOW
    on_beat = True


@register
class Outside(Condition):
    key = C.OUTSIDE
    is_band = True
    takes_clear = True
    word = "超出"

    def judge(self, rule, value, at, state):
        t = rule.threshold
        lo, hi = rule.clear_threshold, rule.clear_threshold_high
        lo = t if lo is None else lo
        hi = rule.threshold_high if hi is None else hi
        return Judgement(
            _verdict(value < t or value > rule.threshold_high, lo <= value <= hi), value
        )

    def check(self, rule, add):
        t, hi = rule.threshold, rule.threshold_high
        clear, clear_hi = rule.clear_threshold, rule.clear_threshold_high
        if hi is None:
            add("threshold_high", _("A band needs an upper threshold."))
        elif t is not None and t >= hi:
            add("threshold_high", _("The upper threshold must be above the lower one."))
        if t is None or hi is None or t >= hi:
            return
        lo_in = t if clear is None else clear
        hi_in = hi if clear_hi is None else clear_hi
        if lo_in < t:
            add("clear_threshold", _("The lower clear level must be at or above the limit."))
        if hi_in > hi:
            add("clear_threshold_high", _("The upper clear level must be at or below the limit."))
        if lo_in > hi_in:
            add("clear_threshold_high", _("The clear band must not be empty."))

    def threshold_text(self, rule):
        return f"{rule.threshold:g}–{reading_text(rule.threshold_high, rule.metric)}"


@register
class Rate(Condition):
    key = C.RATE
    takes_clear = True
    word = "变化超过"

    def judge(self, rule, value, at, state):
        return _rate(rule, value, at, state)

    def check(self, rule, add):
        t, clear = rule.threshold, rule.clear_threshold
        if t is not None and clear is not None and (clear < t if t < 0 else clear > t):
            add("clear_threshold", _("Clear at a smaller change than the threshold."))
        if t == 0:
            add("threshold", _("A change of 0 always breaches; give a size and direction."))


@register
class TimeBelow(Condition):
    key = C.TIME_BELOW
    word = "不高于"

    def judge(self, rule, value, at, state):
        return _time_below(rule, value, at, state)

    def threshold_text(self, rule):
        hours = rule.params.get("hours", 8)
        return f"{reading_text(rule.threshold, rule.metric)}累计{hours:g}小时"

    def value_text(self, rule, value, metric):
        """The hours themselves ("8 小时 15 分钟", never "8.25 mg/L")."""
        if value is None:
            return super().value_text(rule, value, metric)
        return duration_text(value * 3600)


@register
class DawnForecast(Condition):
    key = C.DAWN_FORECAST
    word = "黎明预计低于"

    def judge(self, rule, value, at, state):
        return _dawn(rule, value, at, state)


@register
class NoData(Condition):
    """Breached by beat (``checks.check_no_data``) when the window passes without a
    reading; any reading on the stream clears it."""

    key = C.NO_DATA
    on_beat = True
    needs_threshold = False
    needs_window = True

    def judge(self, rule, value, at, state):
        return Judgement(Verdict.CLEAR, value)

    def check(self, rule, add):
        if not rule.window:
            add("window", _("A no-data rule needs a window."))

    def subject(self, rule, metric):
        return f"{metric_label(rule.metric)}无数据"

    def threshold_text(self, rule):
        if rule.window:
            return f"{int(rule.window.total_seconds() // 60)}分钟"
        return super().threshold_text(rule)


@register
class ProbeFault(Condition):
    """A node's own fault report; the engine keeps one such rule per organisation and
    holds back the threshold rules fed by the faulted probe (``alerts.engine``)."""

    key = C.PROBE_FAULT
    engine_owned = True
    needs_metric = False
    needs_threshold = False

    def subject(self, rule, metric):
        return f"{metric_label(metric)}探头故障"

    def note_text(self, note):
        return fault_label(note)  # a code from the node, named in the site's language


@register
class GatewaySilent(Condition):
    """A gateway not heard from within the rule's window (``checks.check_gateways``)."""

    key = C.GATEWAY_SILENT
    on_stream = False
    on_beat = True
    needs_metric = False
    needs_threshold = False

    def subject(self, rule, metric):
        return "网关离线"


# --- judging helpers ------------------------------------------------------------------


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
    for (t0, v0), (t1, _v1) in zip(points, [*points[1:], [now_s, value]], strict=True):
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
