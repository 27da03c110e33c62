"""What a rule's description says to the person reading it.

Rules adopted from a template store the template's English basis (with its source
citations) as their description, so the record stays the same in every language. Shown
to people it becomes two translated texts: a plain summary for everyone, and the basis,
which managers open behind a "依据" disclosure. A description someone wrote or changed is
shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from alerts.engine import PROBE_FAULT_KEY
from alerts.models import Rule
from alerts.rule_templates import GROUP_LABELS, TEMPLATES, Template, by_key

PROBE_FAULT_DESCRIPTION = gettext_noop(
    "A node reported a probe fault; alerts on that probe are held back."
)  # the description ``alerts.engine.probe_fault_rule`` stores
BASIS_LEGEND = gettext_noop(
    "S1, S11 … are the numbered sources of the project's domain reference. [P] primary: "
    "standards, regulations, papers; [S] secondary: restated by others; [V] vendor documents; "
    "[config] our operational default, to adjust to the farm."
)


@dataclass(frozen=True)
class RuleText:
    summary: str  # for everyone
    basis: str = ""  # sources and reasoning, for managers; "" when there is none


_BY_DESCRIPTION = {t.description: t for t in TEMPLATES}


def _template_of(rule: Rule) -> Template | None:
    """The template whose text the rule still carries (a second rule started from the same
    template has no template key, so the text is what tells)."""
    return _BY_DESCRIPTION.get(rule.description.strip())


def rule_text(rule: Rule) -> RuleText:
    """The translated summary and basis of a template rule, or the rule's own words."""
    template = _template_of(rule)
    if template is not None:
        return RuleText(gettext(template.summary), gettext(template.description))
    if rule.description.strip() == PROBE_FAULT_DESCRIPTION:
        return RuleText(gettext(PROBE_FAULT_DESCRIPTION))
    return RuleText(rule.description)


PROBE_FAULT_RULE = gettext_noop("built in: probe faults")


def template_label(key: str) -> str:
    """A template's name as people know it (the key is for the database)."""
    template = by_key(key)
    if template is not None:
        return template.name
    return gettext(PROBE_FAULT_RULE) if key == PROBE_FAULT_KEY else ""


def group_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in GROUP_LABELS.items()]


def editable_description(rule: Rule) -> str:
    """What the edit form shows: the translated summary while the text is ours."""
    return rule_text(rule).summary


def stored_description(rule: Rule, submitted: str) -> str:
    """The submitted description for ``rule`` as it was before the edit; our own text is
    kept when its translated summary came back unchanged (so a template rule keeps its
    sources)."""
    description = rule.description.strip()
    ours = _template_of(rule) is not None or description == PROBE_FAULT_DESCRIPTION
    if ours and submitted.strip() == rule_text(rule).summary.strip():
        return rule.description
    return submitted
