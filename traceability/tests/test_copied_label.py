"""Copied-label detection trusts nothing an anonymous client says about itself: only
many distinct networks, from several provider blocks, flag a lot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from traceability import lots, scans
from traceability.models import Lot

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def small_lot(pond) -> Lot:
    return lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="草鱼",
            lot_number="CY-3",
            quantity=Decimal("3"),
            gtin="",
            growing_started=date(2026, 3, 1),
        )
    )


def _spread(n: int) -> list[str]:
    """``n`` addresses in distinct /24 networks spread over distinct /16 blocks."""
    return [f"{30 + i % 40}.{i // 40}.{i % 7}.9" for i in range(n)]


def test_two_anonymous_scans_claiming_far_apart_places_do_not_flag(client, small_lot):
    """The attack: Wuhan, then Harbin an hour later, as made-up request headers."""
    url = f"/t/{small_lot.trace_code}"
    client.get(url, REMOTE_ADDR="1.2.3.4", HTTP_X_CLIENT_LAT="30.6", HTTP_X_CLIENT_LON="114.3")
    client.get(url, REMOTE_ADDR="5.6.7.8", HTTP_X_CLIENT_LAT="45.8", HTTP_X_CLIENT_LON="126.5")
    small_lot.refresh_from_db()
    assert small_lot.flagged_reason == ""
    page = client.get(url).content.decode()
    assert 'data-testid="flagged"' not in page


def test_one_network_scanning_all_day_counts_once(small_lot):
    for hour in range(48):
        scans.record_scan(small_lot, "203.0.113.5", NOW + timedelta(hours=hour))
    small_lot.refresh_from_db()
    assert small_lot.flagged_reason == ""
    assert small_lot.scans.values("client").distinct().count() == 1


def test_reloads_within_the_hour_are_one_row(small_lot):
    for minute in range(30):
        scans.record_scan(small_lot, "203.0.113.5", NOW + timedelta(minutes=minute))
    assert small_lot.scans.count() == 1


def test_many_networks_of_one_provider_block_do_not_flag(small_lot):
    for i in range(scans.MIN_NETWORKS * 3):
        scans.record_scan(small_lot, f"100.64.{i}.1", NOW)
    small_lot.refresh_from_db()
    assert small_lot.flagged_reason == ""


def test_many_networks_from_many_blocks_flag_the_lot_and_the_page_says_so(client, small_lot):
    for ip in _spread(scans.MIN_NETWORKS + 1):
        scans.record_scan(small_lot, ip, NOW)
    small_lot.refresh_from_db()
    assert "networks" in small_lot.flagged_reason
    page = client.get(f"/t/{small_lot.trace_code}").content.decode()
    assert 'data-testid="flagged"' in page


def test_labels_issued_raise_the_threshold(small_lot):
    Lot.objects.filter(pk=small_lot.pk).update(label_count=100)
    small_lot.refresh_from_db()
    assert scans.allowed_networks(small_lot) == 500
    for ip in _spread(scans.MIN_NETWORKS + 1):
        scans.record_scan(small_lot, ip, NOW)
    small_lot.refresh_from_db()
    assert small_lot.flagged_reason == ""


def test_an_ipv6_client_counts_by_its_48_and_an_ipv4_mapped_one_as_ipv4(small_lot):
    scans.record_scan(small_lot, "2001:db8:1:2::1", NOW)
    scans.record_scan(small_lot, "2001:db8:1:3::1", NOW)  # same /48
    scans.record_scan(small_lot, "::ffff:198.51.100.7", NOW)
    scans.record_scan(small_lot, "198.51.100.8", NOW)  # same /24 as the mapped one
    assert small_lot.scans.values("client").distinct().count() == 2
