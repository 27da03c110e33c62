"""QR labels: printing is a POST that counts the labels issued; a GET only previews one
sheet and changes nothing, so a link or prefetch cannot inflate the count."""

from __future__ import annotations

import re

import pypdfium2
import pytest
from django.test import Client

from farm.demo import DEMO_PASSWORD
from traceability.models import Lot

pytestmark = pytest.mark.django_db


def _pages(resp) -> int:
    return len(pypdfium2.PdfDocument(b"".join(resp.streaming_content)))


def test_get_with_a_huge_count_changes_nothing_and_previews_one_sheet(login, fish_lot):
    resp = login("farmer_wang").get(
        f"/trace/lots/{fish_lot.pk}/labels.pdf", {"template": "a4-3x8", "count": 5000}
    )
    assert resp.status_code == 200 and "preview" in resp["Content-Disposition"]
    assert _pages(resp) == 1
    fish_lot.refresh_from_db()
    assert fish_lot.label_count == 0


def test_printing_is_a_post_and_counts_the_labels(login, fish_lot):
    url = f"/trace/lots/{fish_lot.pk}/labels.pdf"
    resp = login("farmer_wang").post(url, {"template": "a4-3x8", "count": 48})
    assert resp.status_code == 200 and _pages(resp) == 2
    fish_lot.refresh_from_db()
    assert fish_lot.label_count == 48


def test_printing_without_the_csrf_token_is_refused(demo, fish_lot):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="farmer_wang", password=DEMO_PASSWORD)
    url = f"/trace/lots/{fish_lot.pk}/labels.pdf"
    assert client.post(url, {"template": "a4-3x8", "count": 100}).status_code == 403
    assert Lot.objects.get(pk=fish_lot.pk).label_count == 0


def test_the_lot_page_prints_labels_with_a_post_form(login, fish_lot):
    page = login("farmer_wang").get(f"/trace/lots/{fish_lot.pk}/").content.decode()
    form = re.search(rf'<form method="(\w+)" action="/trace/lots/{fish_lot.pk}/labels.pdf">', page)
    assert form and form.group(1) == "post"
    assert "csrfmiddlewaretoken" in page[form.end() : form.end() + 200]


@pytest.mark.parametrize(("who", "status"), [("bureau_honghu", 403), ("farmer_zhang", 404)])
def test_labels_need_write_access_to_the_lot(login, fish_lot, who, status):
    url = f"/trace/lots/{fish_lot.pk}/labels.pdf"
    client = login(who)
    assert client.get(url, {"template": "a4-3x8", "count": 1}).status_code == status
    assert client.post(url, {"template": "a4-3x8", "count": 1}).status_code == status
    assert Lot.objects.get(pk=fish_lot.pk).label_count == 0
