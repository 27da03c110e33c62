"""An incident when an aerator's commanded and reported states disagree.

Uses the alerts app's own path for time-based checks (``alerts.engine.apply_judgement``,
as ``alerts.checks`` does for silent gateways): one rule per organisation, created on
first need like the engine's probe-fault rule, and one alert state per aerator
(``aerator:<id>``). A breach opens the incident, notifications and live push follow the
organisation's policies; agreement resolves it.

The rule watches the value 1 (disagree) against the threshold 0.5; no reading carries
the metric ``aerator``, so the stream engine never judges it.
"""

from __future__ import annotations

from datetime import datetime

from aeration.models import Aerator
from alerts import engine, live
from alerts.conditions import Judgement, Verdict
from alerts.models import AlertState, IncidentEvent, Rule

TEMPLATE_KEY = "aeration.mismatch"


def mismatch_rule(organisation_id: int) -> Rule:
    rule, _ = Rule.objects.get_or_create(
        organisation_id=organisation_id,
        template_key=TEMPLATE_KEY,
        is_template=False,
        defaults={
            "name": "增氧机状态与指令不符",
            "description": (
                "An aerator did not confirm a command, or reported a state other than the "
                "last one commanded (switched by hand, tripped, or lost power)."
            ),
            "source": Rule.Source.DEVICE,
            "metric": "aerator",
            "condition": Rule.Condition.ABOVE,
            "threshold": 0.5,
            "clear_threshold": 0.5,
            "severity": "critical",
        },
    )
    return rule


def judge(aerator: Aerator, disagree: bool, at: datetime, note: str) -> int | None:
    """Breach or clear the aerator's mismatch state; the incident id when one opened.

    Runs inside the caller's transaction (the aerator row is locked by it).
    """
    farm = aerator.pond.farm
    key = f"aerator:{aerator.pk}"
    if (
        not disagree
        and not AlertState.objects.filter(
            rule__template_key=TEMPLATE_KEY,
            rule__organisation_id=farm.organisation_id,
            target_key=key,
        ).exists()
    ):
        return None  # nothing to clear: do not create rules and states for healthy aerators
    rule = mismatch_rule(farm.organisation_id)
    state, _ = AlertState.objects.select_for_update().get_or_create(
        rule=rule,
        target_key=key,
        defaults={"farm": farm, "site_id": aerator.pond_id},
    )
    verdict = Verdict.BREACH if disagree else Verdict.CLEAR
    value = 1.0 if disagree else 0.0
    j = Judgement(verdict, value, note=note if disagree else "")
    transition, event = engine.apply_judgement(state, rule, j, at, aerator.pond.name, at)
    # The state's own "for" is zero: a breach fires at once, like a silent gateway.
    if transition is not None and state.state == AlertState.State.PENDING:
        t2, e2 = engine.apply_judgement(state, rule, j, at, aerator.pond.name, at)
        transition, event = t2 or transition, e2 or event
    engine.save_states([state])
    if event is not None:
        IncidentEvent.objects.bulk_create([event])
    if transition is not None:
        live.publish([transition])
        return transition.incident_id
    return None
