"""The request path as the client sent it, before the server decoded ``%2F``.

A lot number may hold any character of GS1 character set 82, ``/`` included; a label's
Digital Link carries it percent-encoded (``/10/AB%2FCD``) and a phone sends it so. Every
server decodes the path before Django sees it, so ``request.path`` has ``/10/AB/CD``:
three segments instead of two. Servers also pass the undecoded path along: ASGI servers
as ``scope["raw_path"]`` (uvicorn, daphne, hypercorn), WSGI servers as ``RAW_URI``
(gunicorn) or ``REQUEST_URI`` (uWSGI, mod_wsgi). A reverse proxy must forward the
request target unchanged for this to work (nginx: ``proxy_pass`` without a URI part).
"""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest


def raw_path(request: HttpRequest) -> str | None:
    """The undecoded path (no query), or None when the server did not pass one we can trust.

    It is trusted only if it decodes to the path Django routed, so a proxy that rewrote
    the path cannot make the resolver read a different one.
    """
    scope = getattr(request, "scope", None)
    raw = None
    if isinstance(scope, dict) and scope.get("raw_path"):
        raw = bytes(scope["raw_path"]).decode("latin-1")
    else:
        raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if not raw:
        return None
    raw = raw.split("?", 1)[0].split("#", 1)[0]
    if "://" in raw:  # absolute-form request target: http://host/path
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    if not raw.startswith("/"):
        return None
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if decoded != request.path and not decoded.endswith(request.path_info):
        return None
    return raw


def raw_uri(request: HttpRequest) -> str:
    """The absolute URI as the client sent it; falls back to Django's re-encoded form."""
    path = raw_path(request)
    if path is None:
        return request.build_absolute_uri()
    query = request.META.get("QUERY_STRING", "")
    return f"{request.scheme}://{request.get_host()}{path}" + (f"?{query}" if query else "")
