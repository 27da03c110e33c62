"""The alert state machine — the only code that changes an ``AlertState``.

ok/resolved → pending on a breach; pending → firing once the breach has held for
the rule's ``for`` duration and ``for_readings`` readings; pending → ok when it
stops breaching (a flap is absorbed); firing → resolved only on the clear
condition (hysteresis); a reading between trigger and clear level holds.
"""

from __future__ import annotations

from datetime import datetime

from alerts.conditions import Verdict
from alerts.models import AlertState, Rule

S = AlertState.State


def advance(
    state: AlertState, rule: Rule, verdict: Verdict, value: float | None, at: datetime
) -> tuple[str, str] | None:
    """Apply one verdict at time ``at``; return (old, new) when the state changed."""
    old = state.state
    if verdict is not Verdict.NONE:
        state.last_value = value
    if state.last_seen is None or at > state.last_seen:
        state.last_seen = at
    if verdict is Verdict.BREACH:
        if old in (S.OK, S.RESOLVED):
            state.breach_count = 1
            state.since = at
            state.state = S.PENDING
        elif old == S.PENDING:
            state.breach_count += 1
        if state.state == S.PENDING and _held(state, rule, at):
            state.state = S.FIRING
            state.since = at
    elif verdict is Verdict.CLEAR or (verdict is Verdict.HOLD and old == S.PENDING):
        state.breach_count = 0
        if old == S.PENDING:
            state.state, state.since = S.OK, at
        elif old == S.FIRING:
            state.state, state.since = S.RESOLVED, at
    return (old, state.state) if state.state != old else None


def _held(state: AlertState, rule: Rule, at: datetime) -> bool:
    return at - state.since >= rule.for_duration and state.breach_count >= rule.for_readings


def set_inhibition(state: AlertState, cause: str) -> bool:
    """Record (or lift, with "") what holds this alert back; True when it changed."""
    if state.inhibited_by == cause:
        return False
    state.inhibited_by = cause
    return True
