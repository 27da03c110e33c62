"""Lot numbers with any GS1 character-set-82 character resolve; hostile links never 500.

The server decodes ``%2F`` before Django routes the request, so the resolver reads the
path as the client sent it (``traceability.raw_path``). Here Django's test client plays
a WSGI server that passes it as ``REQUEST_URI`` (uWSGI, mod_wsgi); the ASGI server
(uvicorn) is exercised in ``tests/test_trace_resolver_live.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from traceability import lots, public
from traceability.models import Lot

pytestmark = pytest.mark.django_db

GTIN = "06901234567892"
# Every character GS1 allows in AI (10) beyond letters and digits, one lot each, and mixes.
SPECIAL = "!\"%&'()*+,-./:;<=>?_"
LOT_NUMBERS = [f"A{ch}B" for ch in SPECIAL] + ["AB/CD", "50%/2&3+4?", "../..", "%2F", "/", "+"]


@pytest.fixture(autouse=True)
def _forget_misses():
    """The resolver rate-limits misses per network; start each test with none counted."""
    from traceability.scans import client_key

    cache.delete("trace-miss:" + client_key("127.0.0.1"))


def _lot(pond, number: str) -> Lot:
    return lots.create_lot(
        lots.NewLot(
            origin=pond, product_name="草鱼", lot_number=number, quantity=Decimal("3"),
            gtin=GTIN, growing_started=date(2026, 3, 1),
        )
    )  # fmt: skip


def _path(uri: str) -> str:
    parts = urlsplit(uri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("number", LOT_NUMBERS)
def test_a_printed_code_resolves_to_its_lot(client, pond, number):
    lot = _lot(pond, number)
    path = _path(public.code_uri(None, lot))
    resp = client.get(path, REQUEST_URI=path, HTTP_ACCEPT="text/html")
    assert resp.status_code == 307, resp.content[:300]
    assert resp["Location"].endswith(f"/t/{lot.trace_code}")


def test_lots_differing_only_by_an_encoded_slash_are_told_apart(client, pond):
    slash, plain = _lot(pond, "AB/CD"), _lot(pond, "AB")
    for lot in (slash, plain):
        path = _path(public.code_uri(None, lot))
        resp = client.get(path, REQUEST_URI=path)
        assert resp["Location"].endswith(f"/t/{lot.trace_code}")


def test_gunicorns_raw_uri_is_read_too(client, pond):
    lot = _lot(pond, "AB/CD")
    path = _path(public.code_uri(None, lot))
    assert client.get(path, RAW_URI=path).status_code == 307


def test_the_linkset_anchor_keeps_the_encoded_lot(client, pond):
    lot = _lot(pond, "AB/CD")
    path = _path(public.code_uri(None, lot)) + "?linkType=all"
    resp = client.get(path, REQUEST_URI=path)
    assert resp.status_code == 200
    assert resp.json()["linkset"][0]["anchor"].endswith(f"/01/{GTIN}/10/AB%2FCD")


def test_a_raw_path_that_is_not_the_routed_one_is_ignored(client, pond):
    """A proxy that rewrote the path must not make the resolver read another one."""
    _lot(pond, "AB/CD")
    other = _lot(pond, "XY")
    path = f"/01/{GTIN}/10/XY"
    resp = client.get(path, REQUEST_URI=f"/01/{GTIN}/10/AB%2FCD")
    assert resp["Location"].endswith(f"/t/{other.trace_code}")


def test_without_a_raw_path_an_encoded_slash_cannot_be_told_from_a_separator(client, pond):
    _lot(pond, "AB/CD")
    assert client.get(f"/01/{GTIN}/10/AB%2FCD").status_code == 400


HOSTILE = [
    f"/01/{GTIN[:-1]}3/10/AB",  # bad check digit
    f"/01/{GTIN}/10/AB/99/x",  # 99 is no qualifier of 01
    f"/01/{GTIN}/10/AB?999=x",  # unknown AI
    f"/01/{GTIN}/10/{'A' * 21}",  # lot over 20 characters
    f"/01/{GTIN}/21/S1/10/AB",  # qualifiers in the wrong order
    f"/01/{GTIN}/10/AB%00",  # NUL
    f"/01/{GTIN}/10/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    f"/01/{GTIN}/10/<script>alert(1)</script>",
    f"/01/{GTIN}/10/..%2F..%2F..%2Fetc%2Fpasswd",
    f"/01/{GTIN}/10/%2e%2e/%2e%2e/etc/passwd",
    f"/01/{GTIN}/10/%FF%FE",  # not UTF-8
    f"/01/{GTIN}/10/%C3%A9",  # non-ASCII lot
    f"/01/{GTIN}/10/%252F",  # double-encoded: a lot "%2F", which nobody has
    f"/01/{GTIN}/10/A%2",  # truncated escape
    f"/01/{GTIN}/10/" + "%2F" * 500,
    f"/01/{GTIN}/10/AB?10=CD",  # duplicate AI
    "/01/" + "9" * 5000,
]


@pytest.mark.parametrize("path", HOSTILE)
@pytest.mark.parametrize("raw", [True, False], ids=["raw-path", "decoded-only"])
def test_hostile_digital_links_answer_400_or_404_never_500(client, pond, path, raw):
    _lot(pond, "AB")
    extra = {"REQUEST_URI": path} if raw else {}
    resp = client.get(path, **extra)
    assert resp.status_code in (400, 404), (path, resp.status_code)
    assert b"<script>" not in resp.content


@pytest.mark.parametrize("number", [".", ".."])
def test_a_lot_number_a_browser_would_remove_from_the_path_is_refused(pond, number):
    """Browsers drop "." and ".." path segments (even as %2E), so such a code cannot scan."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _lot(pond, number)
