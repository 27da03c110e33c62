"""With InfluxDB down the public scan page still answers, says the environment data is
unavailable, and never shows a degree-day withdrawal it cannot judge as respected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from traceability import gate, lots
from traceability.models import Lot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def influx_unreachable(monkeypatch):
    """The configured InfluxDB is a port nobody listens on (as when the server is down)."""
    monkeypatch.setenv("INFLUX_URL", "http://127.0.0.1:9")


@pytest.fixture
def drugged_lot(fish_lot, pond) -> Lot:
    """A growing lot whose pond had a drug with a withdrawal period in degree-days."""
    lots.record_input(
        pond,
        kind="vet_drug",
        product="氟苯尼考粉",
        dose=Decimal("1"),
        dose_unit="kg",
        applied_on=datetime.now(UTC).date() - timedelta(days=5),
        withdrawal_degree_days=300,
    )
    Lot.objects.filter(pk=fish_lot.pk).update(
        public_fields=list(Lot.PUBLIC_FIELD_CHOICES), growing_started=date(2026, 1, 1)
    )
    fish_lot.refresh_from_db()
    return fish_lot


def test_scan_page_answers_with_a_note_while_influxdb_is_down(
    client, drugged_lot, influx_unreachable
):
    resp = client.get(f"/t/{drugged_lot.trace_code}")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert 'data-testid="environment-unavailable"' in page
    assert "环境数据暂时无法获取" in page or "temporarily unavailable" in page


def test_an_unjudged_withdrawal_is_not_shown_as_respected(client, drugged_lot, influx_unreachable):
    page = client.get(f"/t/{drugged_lot.trace_code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    drug_line = next(line for line in page.split("<li>") if "氟苯尼考粉" in line)
    assert 'data-testid="unchecked"' in drug_line and "respected" not in drug_line


def test_the_gate_blocks_a_lot_whose_degree_days_cannot_be_read(drugged_lot, influx_unreachable):
    result = gate.check(drugged_lot)
    assert not result.ok and result.environment_unavailable
    block = next(b for b in result.blocks if b.kind == "withdrawal")
    assert block.unknown and block.until is None and "unavailable" in block.reason


def test_release_is_refused_while_the_withdrawal_cannot_be_judged(drugged_lot, influx_unreachable):
    lots.harvest(drugged_lot, datetime.now(UTC).date())
    with pytest.raises(lots.GateBlocked):
        lots.release(drugged_lot)
    drugged_lot.refresh_from_db()
    assert drugged_lot.status == Lot.Status.HARVESTED


def test_with_influxdb_up_the_page_has_no_unavailable_note(
    client, drugged_lot, timeseries, monkeypatch
):
    monkeypatch.setenv("INFLUX_URL", timeseries.url)
    monkeypatch.setenv("INFLUX_DB", timeseries.database)
    page = client.get(f"/t/{drugged_lot.trace_code}").content.decode()
    assert 'data-testid="environment-unavailable"' not in page


def test_the_staff_lot_page_answers_while_influxdb_is_down(login, drugged_lot, influx_unreachable):
    resp = login("farmer_wang").get(f"/trace/lots/{drugged_lot.pk}/")
    assert resp.status_code == 200
