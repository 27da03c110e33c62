"""EPCIS terms as people read them: ``{{ e.event_type|event_type_label }}`` → "对象事件"."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy

from traceability.public import STEP_NAMES, step_name

register = template.Library()

# GS1's names of the EPCIS 2.0 event types (GS1 China uses 对象事件, 聚合事件 …).
EVENT_TYPES = {
    "ObjectEvent": pgettext_lazy("EPCIS event type", "object event"),
    "AggregationEvent": pgettext_lazy("EPCIS event type", "aggregation event"),
    "TransactionEvent": pgettext_lazy("EPCIS event type", "transaction event"),
    "TransformationEvent": pgettext_lazy("EPCIS event type", "transformation event"),
    "AssociationEvent": pgettext_lazy("EPCIS event type", "association event"),
}


@register.filter
def event_type_label(event_type: str) -> str:
    label = EVENT_TYPES.get(event_type)
    return str(label) if label is not None else event_type


@register.simple_tag
def step_label(event_type: str, biz_step: str):
    """The step's name; a step we have no name for (a partner's) is shown as its code."""
    if event_type == "TransformationEvent" or biz_step in STEP_NAMES:
        return step_name(event_type, biz_step)
    if not biz_step:
        return "—"
    return format_html('<code translate="no">{}</code>', biz_step)
