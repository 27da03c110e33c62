"""Stream evaluation: one call per batch of readings from the bridge or the vision worker.

A batch goes through four steps, each its own part below:

* load (``RuleBook``): one query for the rules of the farms in it, one for their sites;
* plan (``plan_batch``, ``lock_states``): which rules judge which reading, then one
  query to create the missing states and one to lock them;
* judge (``Judging``): every reading in time order against the rules that match it,
  by the rule's condition (``alerts.conditions``); states advance in memory, incidents
  open and resolve with them and their deliveries are planned (``notify``) and handed
  to ``dispatch``, which queues them after the commit;
* persist (``persist``): the changed states in one statement, the trail in one insert,
  the live push after the commit.

Inhibition (as Alertmanager does it): a reading carrying a probe fault opens one
incident naming the fault ("1号塘 溶解氧探头故障：fouled") and the threshold rules
fed by that probe are held back until it reports a good reading again — a fouled
DO probe must not fake a low-oxygen alarm. Silent gateways are handled by the
time-based checks in ``alerts.checks``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from alerts import conditions, dispatch, incidents, live, notify
from alerts.conditions import Judgement, Verdict, judge
from alerts.models import AlertState, IncidentEvent, Rule
from alerts.scope import SiteInfo, in_scope, site_info
from alerts.state import advance, set_inhibition
from farm.models import Farm, Site
from vocabulary.events import DetectionEvent, ReadingEvent, Transition, time_ns_of
from vocabulary.metrics import metric_label

C = Rule.Condition
S = AlertState.State
STATE_FIELDS = [
    "state",
    "since",
    "last_value",
    "last_seen",
    "breach_count",
    "inhibited_by",
    "memory",
]
PROBE_FAULT_KEY = "device.probe_fault"
# How far ahead of the engine's clock a reading may be stamped (clock drift between
# hosts). Beyond it the stamp is a broken or forged clock: the reading is judged at
# the time it is evaluated, so no single reading can move a state's last-seen into the
# future and make the order check below skip every real reading after it. The bridge
# applies the same limit (``BridgeConfig.max_future_skew_s``) before anything is stored.
MAX_CLOCK_SKEW = timedelta(minutes=10)


def on_bridge_readings(batch: Sequence[ReadingEvent]) -> list[Transition]:
    """The sensor bridge's ``on_readings`` hook (``alerts.engine:on_bridge_readings``)."""
    return evaluate(batch)


def evaluate_detections(events: Sequence[DetectionEvent], now: datetime | None = None):
    """The vision worker's entry point; detections are judged like readings."""
    return evaluate([e.as_reading() for e in events], now)


def evaluate(readings: Sequence[ReadingEvent], now: datetime | None = None) -> list[Transition]:
    """Judge one batch; return every state transition it caused."""
    if not readings:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        readings = in_time_order(readings, now)
        book = RuleBook(readings)
        plan = plan_batch(readings, book)
        if not plan.pairs:
            return []
        judging = Judging(book, lock_states(plan.pairs), now)
        judging.run(plan)
        persist(judging)
        return judging.transitions


def save_states(states: list[AlertState]) -> None:
    """Write the evaluated states back in one statement.

    Django's ``bulk_update`` builds a CASE per field and row, which costs more than
    the whole evaluation for a busy batch; on PostgreSQL one UPDATE … FROM (VALUES …)
    does the same work.
    """
    if not states:
        return
    if connection.vendor != "postgresql":
        AlertState.objects.bulk_update(states, STATE_FIELDS, batch_size=500)
        return
    table = AlertState._meta.db_table
    row = "(%s, %s, %s::timestamptz, %s::float8, %s::timestamptz, %s::int, %s, %s::jsonb)"
    for start in range(0, len(states), 1000):
        chunk = states[start : start + 1000]
        params: list = []
        for st in chunk:
            params += [
                st.pk,
                st.state,
                st.since,
                st.last_value,
                st.last_seen,
                st.breach_count,
                st.inhibited_by,
                json.dumps(st.memory),
            ]
        sql = (
            f"UPDATE {table} AS s SET state = v.state, since = v.since, "
            "last_value = v.last_value, last_seen = v.last_seen, "
            "breach_count = v.breach_count, inhibited_by = v.inhibited_by, memory = v.memory "
            f"FROM (VALUES {', '.join([row] * len(chunk))}) "
            "AS v(id, state, since, last_value, last_seen, breach_count, inhibited_by, memory) "
            "WHERE s.id = v.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def unwedge(state: AlertState, horizon: datetime, at: datetime) -> None:
    """Forget times beyond ``horizon`` that a forged reading left in a state (before the
    clamp above existed), so the order check compares real readings with real time."""
    state.last_seen = None
    if state.since and state.since > horizon:
        state.since = at
    points = state.memory.get("points")
    if points:
        limit = horizon.timestamp()
        state.memory = {**state.memory, "points": [p for p in points if p[0] <= limit]}


def target_key(rule: Rule, r: ReadingEvent) -> str:
    if rule.device_eui or not r.site_id:
        return f"device:{r.dev_eui}"
    return f"site:{r.site_id}"


def probe_key(r: ReadingEvent) -> str:
    return f"probe:{r.dev_eui}:{r.metric}"


def probe_fault_rule(organisation_id: int) -> Rule:
    """Every organisation has one; without it a fault could not be named."""
    rule, _ = Rule.objects.get_or_create(
        organisation_id=organisation_id,
        template_key=PROBE_FAULT_KEY,
        is_template=False,
        defaults={
            "name": "探头故障",
            "description": "A node reported a probe fault; alerts on that probe are held back.",
            "source": Rule.Source.DEVICE,
            "condition": C.PROBE_FAULT,
            "severity": "warning",
        },
    )
    return rule


# --- load: the rules and sites a batch needs, in three queries --------------------------


class RuleBook:
    """The enabled rules of the batch's organisations, keyed for matching, their probe
    fault rules, and the batch's sites (names for titles, kind and crop for matching)."""

    def __init__(self, readings: Sequence[ReadingEvent]) -> None:
        farm_ids = {r.farm_id for r in readings}
        self.org_of = dict(Farm.objects.filter(pk__in=farm_ids).values_list("pk", "organisation"))
        rules = Rule.objects.filter(
            organisation_id__in=set(self.org_of.values()), enabled=True, is_template=False
        ).filter(condition__in=conditions.on_stream())
        self.by_key: dict[tuple[int, str], list[Rule]] = defaultdict(list)
        self.fault_rules: dict[int, Rule] = {}
        for rule in rules:
            if rule.condition == C.PROBE_FAULT:
                self.fault_rules[rule.organisation_id] = rule
            else:
                self.by_key[(rule.organisation_id, rule.stream_key)].append(rule)
        if any(r.fault for r in readings):
            for org in set(self.org_of.values()) - set(self.fault_rules):
                self.fault_rules[org] = probe_fault_rule(org)
        site_ids = {r.site_id for r in readings if r.site_id}
        self.sites: dict[int, SiteInfo] = {
            s.pk: site_info(s)
            for s in Site.objects.filter(pk__in=site_ids).select_related("pond", "plot")
        }
        self.memo: dict[tuple, list[Rule]] = {}

    def fault_rule(self, r: ReadingEvent) -> Rule | None:
        return self.fault_rules.get(self.org_of.get(r.farm_id))

    def matching(self, r: ReadingEvent) -> list[Rule]:
        """Rules watching this reading, memoised per (farm, site, device, metric)."""
        memo_key = (r.farm_id, r.site_id, r.dev_eui, r.metric)
        found = self.memo.get(memo_key)
        if found is None:
            found = self.memo[memo_key] = self._matching(r)
        return found

    def _matching(self, r: ReadingEvent) -> list[Rule]:
        org = self.org_of.get(r.farm_id)
        site = self.sites.get(r.site_id)
        return [
            rule
            for rule in self.by_key.get((org, r.metric), ())
            if in_scope(rule, r.farm_id, r.site_id, r.dev_eui, site)
        ]

    def place(self, r: ReadingEvent) -> str:
        """Where a reading was taken, as a title names it: the site, else the device."""
        site = self.sites.get(r.site_id)
        return site.name if site else r.dev_eui


def in_time_order(readings: Sequence[ReadingEvent], now: datetime) -> list[ReadingEvent]:
    """The batch sorted by time, a stamp beyond ``now + MAX_CLOCK_SKEW`` replaced by ``now``."""
    horizon = now + MAX_CLOCK_SKEW
    return sorted(
        (r if r.time <= horizon else replace(r, time_ns=time_ns_of(now)) for r in readings),
        key=lambda r: r.time_ns,
    )


@dataclass
class Plan:
    """Which rules judge which reading, and the (rule, target) states that takes."""

    steps: list[tuple[ReadingEvent, list[Rule], Rule | None]]  # reading, rules, fault rule
    pairs: dict[tuple[int, str], tuple[ReadingEvent, Rule]]


def plan_batch(readings: Sequence[ReadingEvent], book: RuleBook) -> Plan:
    plan = Plan([], {})
    faulted = open_faults(readings, book)
    for r in readings:
        rules = book.matching(r)
        fault_rule = book.fault_rule(r)
        # A probe has a health state only once it has reported a fault.
        if fault_rule is not None and (r.fault or probe_key(r) in faulted):
            plan.pairs[(fault_rule.pk, probe_key(r))] = (r, fault_rule)
            faulted.add(probe_key(r))
        else:
            fault_rule = None
        for rule in rules:
            plan.pairs[(rule.pk, target_key(rule, r))] = (r, rule)
        if rules or fault_rule:
            plan.steps.append((r, rules, fault_rule))
    return plan


def open_faults(readings: Sequence[ReadingEvent], book: RuleBook) -> set[str]:
    """Probes of this batch whose fault is still open (pending or firing)."""
    if not book.fault_rules:
        return set()
    keys = {probe_key(r) for r in readings}
    return set(
        AlertState.objects.filter(
            rule__in=book.fault_rules.values(),
            target_key__in=keys,
            state__in=[S.PENDING, S.FIRING],
        ).values_list("target_key", flat=True)
    )


def lock_states(
    pairs: dict[tuple[int, str], tuple[ReadingEvent, Rule]],
) -> dict[tuple[int, str], AlertState]:
    """Lock the states of this batch, creating the missing ones first.

    Rows are locked in primary-key order and created in key order, so two bridges
    evaluating overlapping batches wait for each other instead of deadlocking. The
    insert runs only for pairs seen for the first time: in steady state every state
    exists and one locking SELECT is the whole cost.
    """
    rule_ids = {rid for rid, _ in pairs}
    keys = {key for _, key in pairs}

    def lock() -> dict[tuple[int, str], AlertState]:
        return {
            (s.rule_id, s.target_key): s
            for s in AlertState.objects.select_for_update()
            .filter(rule_id__in=rule_ids, target_key__in=keys)
            .order_by("pk")
        }

    states = lock()
    missing = sorted(pair for pair in pairs if pair not in states)
    if missing:
        fresh = []
        for rule_id, key in missing:
            r = pairs[(rule_id, key)][0]
            fresh.append(
                AlertState(
                    rule_id=rule_id,
                    target_key=key,
                    farm_id=r.farm_id,
                    site_id=r.site_id,
                    device_eui=r.dev_eui,
                    state=S.OK,
                )
            )
        AlertState.objects.bulk_create(fresh, ignore_conflicts=True)
        states = lock()
    return states


# --- judge: every planned reading against its rules, states advancing in memory ---------


class Judging:
    """Advances the locked states through the plan and collects what changed."""

    def __init__(
        self, book: RuleBook, states: dict[tuple[int, str], AlertState], now: datetime
    ) -> None:
        self.book = book
        self.states = states
        self.now = now
        self.horizon = now + MAX_CLOCK_SKEW
        self.transitions: list[Transition] = []
        self.events: list[IncidentEvent] = []
        self.changed: dict[int, AlertState] = {}

    def run(self, plan: Plan) -> None:
        for r, rules, fault_rule in plan.steps:
            cause = self.probe(r, fault_rule) if fault_rule else ""
            if r.fault or r.value is None:
                for rule in rules:
                    self.hold(self.states[(rule.pk, target_key(rule, r))], cause, r)
                continue
            for rule in rules:
                self.reading(self.states[(rule.pk, target_key(rule, r))], rule, r)

    def reading(self, state: AlertState, rule: Rule, r: ReadingEvent) -> None:
        """A good reading: judge it unless the state has already moved past it."""
        at = r.time
        if state.last_seen and state.last_seen > self.horizon:
            unwedge(state, self.horizon, at)
            self.changed[state.pk] = state
        if state.last_seen and at < state.last_seen:
            return  # late or replayed reading: the state already moved past it
        if set_inhibition(state, ""):
            self.changed[state.pk] = state
        self.apply(state, rule, judge(rule, r.value, at, state), r)

    def probe(self, r: ReadingEvent, rule: Rule) -> str:
        """Advance the probe's health state; return the fault text while it is faulted."""
        state = self.states[(rule.pk, probe_key(r))]
        verdict = Verdict.BREACH if r.fault else Verdict.CLEAR
        note = r.fault or ""
        if r.fault:
            state.memory = {**state.memory, "fault": r.fault}
        self.apply(state, rule, Judgement(verdict, None, note), r, subject_metric=r.metric)
        if state.state in (S.PENDING, S.FIRING):
            where = self.book.place(r)
            return f"{where} {metric_label(r.metric)}探头故障：{state.memory.get('fault', '')}"
        return ""

    def hold(self, state: AlertState, cause: str, r: ReadingEvent) -> None:
        """A faulted reading: record why the dependent alert is held back, judge nothing."""
        if cause and set_inhibition(state, cause[:128]):
            at = r.time
            self.changed[state.pk] = state
            self.events.append(
                IncidentEvent(
                    alert_state=state, at=at, kind=IncidentEvent.Kind.INHIBITED, reason=cause
                )
            )
            self.transitions.append(
                Transition(
                    state.rule_id,
                    state.target_key,
                    r.farm_id,
                    r.site_id,
                    state.state,
                    state.state,
                    at,
                    None,
                    None,
                    cause,
                )
            )

    def apply(
        self,
        state: AlertState,
        rule: Rule,
        j: Judgement,
        r: ReadingEvent,
        *,
        subject_metric: str = "",
    ) -> None:
        self.changed[state.pk] = state
        t, event = apply_judgement(
            state, rule, j, r.time, self.book.place(r), self.now, subject_metric=subject_metric
        )
        if t:
            self.transitions.append(t)
            self.events.append(event)


# --- persist: states in one statement, the trail in one insert, then the live push ------


def persist(judging: Judging) -> None:
    save_states(list(judging.changed.values()))
    IncidentEvent.objects.bulk_create(judging.events)
    live.publish(judging.transitions)


def apply_judgement(
    state: AlertState,
    rule: Rule,
    j: Judgement,
    at: datetime,
    place: str,
    now: datetime,
    *,
    subject_metric: str = "",
) -> tuple[Transition | None, IncidentEvent | None]:
    """Advance one state and do what the transition means: open or resolve its incident
    and plan the notifications. The caller saves the state and the returned event."""
    change = advance(state, rule, j.verdict, j.value, at)
    if change is None:
        return None, None
    old, new = change
    incident = None
    if new == S.FIRING:
        incident = incidents.open_incident(
            state,
            rule,
            at,
            place=place,
            subject=incidents.subject_of(rule, subject_metric),
            note=j.note,
            severity=j.severity,
            value_metric=subject_metric,
        )
        dispatch.send_after_commit(notify.plan(incident, "firing", now))
    elif new == S.RESOLVED:
        incident = state.incidents.filter(resolved_at__isnull=True).first()
        if incident:
            incidents.resolve(incident, at, j.value)
            dispatch.send_after_commit(notify.plan(incident, "resolved", now))
    event = IncidentEvent(
        alert_state=state,
        incident=incident,
        at=at,
        kind=new,
        reason=(j.note or f"{old} → {new}")[:255],
        value=j.value,
    )
    transition = Transition(
        rule.pk,
        state.target_key,
        state.farm_id,
        state.site_id,
        old,
        new,
        at,
        j.value,
        incident.pk if incident else None,
    )
    return transition, event
