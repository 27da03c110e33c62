"""Which alert rules set the limits of a site's readings, and where a value stands against them.

The alert engine decides incidents over time (``for`` durations, hysteresis); a page
shows the reading now against the same rules' trigger levels, so a value and its
status agree with what the rule says on its face. Rules are matched to a site as the
engine matches them (scope: site, farm, kind, species or crop, cultivation);
device-specific rules are left to the device page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from alerts.models import SEVERITY_RANK, Rule
from alerts.scope import in_scope, site_info
from farm.models import Site

C = Rule.Condition
LIMIT_CONDITIONS = (C.ABOVE, C.BELOW, C.OUTSIDE)

# Status words; colour is never the only signal.
WORDS = {
    "ok": _("Normal"),
    "info": _("Note"),
    "warning": _("Warning"),
    "critical": _("Danger"),
    "nolimit": _("No limit set"),
    "stale": _("No recent data"),
    "fault": _("Probe fault"),
    "nodata": _("No data"),
}


@dataclass(frozen=True)
class Limit:
    """One rule's trigger on one metric: breach below ``low`` or above ``high``."""

    rule_id: int
    name: str
    severity: str
    low: float | None
    high: float | None

    def breached(self, value: float) -> bool:
        return (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        )


def _limit(rule: Rule) -> Limit | None:
    if rule.threshold is None:
        return None
    if rule.condition == C.BELOW:
        return Limit(rule.pk, rule.name, rule.severity, rule.threshold, None)
    if rule.condition == C.ABOVE:
        return Limit(rule.pk, rule.name, rule.severity, None, rule.threshold)
    if rule.condition == C.OUTSIDE and rule.threshold_high is not None:
        return Limit(rule.pk, rule.name, rule.severity, rule.threshold, rule.threshold_high)
    return None


def applies(rule: Rule, site: Site) -> bool:
    """The engine's scope match (``alerts.scope.in_scope``) for a site's readings."""
    return in_scope(rule, site.farm_id, site.pk, "", site_info(site))


def site_rules(sites: Iterable[Site], conditions=LIMIT_CONDITIONS) -> dict[int, list[Rule]]:
    """Enabled metric rules per site id, in one query for all the sites' organisations."""
    sites = list(sites)
    orgs = {s.farm.organisation_id for s in sites}
    rules = list(
        Rule.objects.filter(
            organisation_id__in=orgs,
            enabled=True,
            is_template=False,
            source=Rule.Source.METRIC,
            condition__in=conditions,
        )
    )
    out: dict[int, list[Rule]] = defaultdict(list)
    for site in sites:
        for rule in rules:
            if rule.organisation_id == site.farm.organisation_id and applies(rule, site):
                out[site.pk].append(rule)
    return out


def limits_by_metric(rules: Iterable[Rule]) -> dict[str, list[Limit]]:
    out: dict[str, list[Limit]] = defaultdict(list)
    for rule in rules:
        limit = _limit(rule)
        if limit is not None:
            out[rule.metric].append(limit)
    return out


def level_of(value: float, limits: list[Limit]) -> tuple[str, Limit | None]:
    """("ok" | severity | "nolimit", the worst breached limit)."""
    if not limits:
        return "nolimit", None
    worst: Limit | None = None
    for limit in limits:
        if limit.breached(value) and (
            worst is None or SEVERITY_RANK[limit.severity] > SEVERITY_RANK[worst.severity]
        ):
            worst = limit
    return (worst.severity, worst) if worst else ("ok", None)
