"""Template helpers of the regional pages."""

from __future__ import annotations

from django import template

from farm import access

register = template.Library()


@register.simple_tag(takes_context=True)
def has_regional_pages(context) -> bool:
    """Whether the navigation shows "Regional monitoring" (reviewers and admins)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and access.regional_roots(user).exists())


@register.filter
def dash(value, suffix: str = ""):
    """A gap as an em dash (with a word for screen readers), never as 0."""
    if value is None or value == "":
        return "—"
    return f"{value}{suffix}"
