"""The GS1 resolver behind a real ASGI server (uvicorn), as a phone reaches it.

uvicorn decodes ``%2F`` in the path before Django sees it; a lot number holding ``/``
(allowed by GS1 AI (10)) still resolves because the resolver reads ``raw_path``.
Hostile links answer 400 or 404, never 500.
"""

from __future__ import annotations

import http.client
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from farm.models import Pond
from tests.test_trace_browser import trace_server  # noqa: F401
from traceability import lots, public

GTIN = "06901234567892"
NUMBERS = ["AB/CD", "50%/2&3+4?", "A'()*", "x/../y"]


def _get(base: str, path: str, accept: str = "text/html") -> http.client.HTTPResponse:
    """One request sending ``path`` byte for byte, as a phone's browser does."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.putheader("Accept", accept)
    conn.endheaders()
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


@pytest.fixture
def gtin_lots(demo_committed):
    from django.core.cache import cache

    from traceability.scans import client_key

    cache.delete("trace-miss:" + client_key("127.0.0.1"))  # misses are rate-limited per network
    pond = Pond.objects.get(name="1号塘", farm__name="大沙湖草鱼养殖场")
    made = []
    for number in [*NUMBERS, "AB"]:
        made.append(
            lots.create_lot(
                lots.NewLot(origin=pond, product_name="草鱼", lot_number=number,
                            quantity=Decimal("3"), gtin=GTIN, growing_started=date(2026, 3, 1))
            )
        )  # fmt: skip
    return made


def test_every_printed_code_resolves_through_uvicorn(trace_server, gtin_lots):  # noqa: F811
    for lot in gtin_lots:
        uri = public.code_uri(None, lot)
        path = urlsplit(uri).path
        resp = _get(trace_server, path)
        assert resp.status == 307, (lot.lot_number, path, resp.status)
        target = resp.getheader("Location")
        assert target.endswith(f"/t/{lot.trace_code}"), lot.lot_number
        page = _get(trace_server, urlsplit(target).path)  # the phone follows the redirect
        assert page.status == 200


HOSTILE = [
    f"/01/{GTIN[:-1]}3/10/AB",
    f"/01/{GTIN}/10/AB/99/x",
    f"/01/{GTIN}/10/AB?999=x",
    f"/01/{GTIN}/10/{'A' * 21}",
    f"/01/{GTIN}/21/S1/10/AB",
    f"/01/{GTIN}/10/AB%00",
    f"/01/{GTIN}/10/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    f"/01/{GTIN}/10/..%2F..%2F..%2Fetc%2Fpasswd",
    f"/01/{GTIN}/10/%FF%FE",
    f"/01/{GTIN}/10/%252F",
    f"/01/{GTIN}/10/A%2",
    f"/01/{GTIN}/10/" + "%2F" * 500,
]


def test_hostile_links_through_uvicorn_are_400_or_404(trace_server, gtin_lots):  # noqa: F811
    statuses = {path: _get(trace_server, path).status for path in HOSTILE}
    assert {p: s for p, s in statuses.items() if s not in (400, 404)} == {}
