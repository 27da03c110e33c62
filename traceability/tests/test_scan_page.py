"""The consumer scan page: Chinese by default, English on request, genealogy, and its weight."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

from traceability import lots
from traceability.models import Lot

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 25, 10, 0, tzinfo=UTC)
# Bytes of HTML plus every asset it loads, for the full history below (about 2.3 KB when
# measured; the page inlines its few CSS rules and loads nothing else). A phone on a
# weak rural signal should get the whole page in one or two round trips.
WEIGHT_CEILING = 6_000


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def history(fish_lot, pond, demo) -> Lot:
    """A lot with something in every section the page can show."""
    for day in (5, 12, 19, 26):
        lots.record_input(
            pond,
            kind="feed",
            product="草鱼配合饲料",
            dose=Decimal("50"),
            applied_on=date(2026, 5, day),
        )
    lots.record_input(
        pond,
        kind="vet_drug",
        product="恩诺沙星粉",
        dose=Decimal("1"),
        applied_on=date(2026, 5, 2),
        withdrawal_days=20,
        disease="细菌性肠炎",
    )
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(
        fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿", "恩诺沙星"]
    )
    lots.release(fish_lot, now=NOW)
    lots.pack(fish_lot, 40, Decimal("10"))
    lots.ship(fish_lot, destination="武汉冷库", now=NOW)
    lots.receive(fish_lot, "顺丰冷运")
    lots.sell(fish_lot, "武汉白沙洲农副产品大市场", "INV-7", now=NOW)
    Lot.objects.filter(pk=fish_lot.pk).update(
        public_fields=list(Lot.PUBLIC_FIELD_CHOICES), product_name_en="Grass carp"
    )
    fish_lot.refresh_from_db()
    return fish_lot


def test_page_is_chinese_by_default(client, history):
    resp = client.get(f"/t/{history.trace_code}")
    page = resp.content.decode()
    assert '<html lang="zh-hans">' in page and resp["Content-Language"] == "zh-hans"
    assert "产地" in page and "流转" in page and "包装 ×40" in page and "销售" in page
    assert "Chain of custody" not in page and "Origin" not in page
    assert "休药期 20 天" in page and "已遵守" in page


def test_page_follows_accept_language(client, history):
    resp = client.get(f"/t/{history.trace_code}", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    page = resp.content.decode()
    assert '<html lang="en">' in page and resp["Content-Language"] == "en"
    assert "Origin" in page and "Packing ×40" in page and "withdrawal period 20 days" in page
    assert "产地" not in page


def test_page_follows_the_language_chosen_with_setlang(client, history):
    client.post("/i18n/setlang/", {"language": "en", "next": f"/t/{history.trace_code}"})
    assert "Chain of custody" in client.get(f"/t/{history.trace_code}").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans"})
    assert "流转" in client.get(f"/t/{history.trace_code}").content.decode()


def test_language_link_switches_without_cookies(client, history):
    scans = history.scans.count()
    page = client.get(f"/t/{history.trace_code}?lang=en").content.decode()
    assert "Chain of custody" in page and 'href="?lang=zh-hans"' in page
    assert history.scans.count() == scans  # switching language is not another scan
    assert "流转" in client.get(f"/t/{history.trace_code}").content.decode()
    assert client.get(f"/t/{history.trace_code}?lang=xx").status_code == 200


def test_processed_lot_says_what_it_was_made_from(client, history, pond):
    fillets = lots.process(
        history,
        lots.NewLot(origin=pond, product_name="草鱼片", lot_number="CYP-1", quantity=Decimal("90")),
        Decimal("200"),
    )
    page = client.get(f"/t/{fillets.trace_code}").content.decode()
    assert 'data-testid="processed-from"' in page and "加工自" in page
    assert "CY-2026-01" in page and "洪湖市" in page
    page = client.get(f"/t/{fillets.trace_code}?lang=en").content.decode()
    assert "Processed from" in page and "Grass carp" in page
    custody = client.get(f"/t/{history.trace_code}").content.decode()
    assert "加工" in custody


def _page_weight(client, url: str) -> int:
    """Bytes of the HTML plus every stylesheet, script, image or icon it references."""
    html = client.get(url).content
    text = html.decode()
    total = len(html)
    refs = re.findall(r'<(?:link|script|img|source)\b[^>]*?(?:href|src)="([^"]+)"', text)
    for ref in refs:
        assert ref.startswith("/static/"), f"external or dynamic asset {ref}"
        found = finders.find(ref.removeprefix("/static/"))
        assert found, f"missing asset {ref}"
        with open(found, "rb") as fh:
            total += len(fh.read())
    return total


def test_page_weight_stays_under_the_ceiling(client, history, monkeypatch):
    from traceability import environment

    rows = [
        {"metric": m, "min": 4.5, "max": 29.5, "mean": 17.25, "n": 1000}
        for m in environment.POND_METRICS
    ]
    monkeypatch.setattr(environment, "summary", lambda lot, *a, **k: rows)
    assert "溶解氧" in client.get(f"/t/{history.trace_code}").content.decode()
    for url in (f"/t/{history.trace_code}", f"/t/{history.trace_code}?lang=en"):
        assert _page_weight(client, url) <= WEIGHT_CEILING
