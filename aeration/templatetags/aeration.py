"""``{% aerator_controls pond %}``: the aerators of a pond with their controls, for any page."""

from __future__ import annotations

from django import template

from aeration.status import aerator_states
from farm import access

register = template.Library()


@register.inclusion_tag("aeration/_controls.html", takes_context=True)
def aerator_controls(context, pond) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "pond": pond,
        "aerators": aerator_states([pond.pk]).get(pond.pk, []),
        "can_switch": user is not None and access.can_edit_farm(user, pond.farm_id),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
