"""The pond's sensor summary travels with the harvest event as an EPCIS sensorElementList."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from traceability import documents, environment, lots
from traceability.models import Lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_lot(pond) -> Lot:
    """A lot stocked five days ago: the raw retention policy keeps only recent points."""
    return lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="草鱼",
            lot_number="CY-NOW-1",
            quantity=Decimal("500"),
            growing_started=(datetime.now(UTC) - timedelta(days=5)).date(),
        )
    )


def _write_pond_series(timeseries, pond, start: datetime, hours: int) -> None:
    from sensors.timeseries import Point, to_ns

    points = [
        Point(
            "water",
            {"site": str(pond.pk)},
            {
                "water_temp": 22.0 + (i % 12) / 2,  # 22.0 .. 27.5 °C
                "do": 5.0 + (i % 7) / 2,  # 5.0 .. 8.0 mg/L
                "ph": 7.2 + (i % 4) / 10,  # 7.2 .. 7.5
            },
            to_ns(start + timedelta(minutes=30 * i)),
        )
        for i in range(hours * 2)
    ]
    timeseries.write(points)
    timeseries.rollup_hours(start, start + timedelta(hours=hours + 1))


def test_harvest_event_carries_the_ponds_summary_and_validates(
    recent_lot, pond, timeseries, epcis_validator
):
    start = datetime.combine(recent_lot.growing_started, datetime.min.time(), tzinfo=UTC)
    _write_pond_series(timeseries, pond, start + timedelta(hours=6), hours=72)
    lots.harvest(recent_lot, datetime.now(UTC).date(), timeseries=timeseries)

    doc = recent_lot.events.get(biz_step="commissioning").document
    [element] = doc["sensorElementList"]
    meta = element["sensorMetadata"]
    assert meta["startTime"].startswith(recent_lot.growing_started.isoformat())
    assert meta["endTime"].startswith(datetime.now(UTC).date().isoformat())
    reports = {r["agrimon:metric"]: r for r in element["sensorReport"]}
    assert set(reports) == {"water_temp", "do", "ph"}
    temp = reports["water_temp"]
    assert (temp["type"], temp["uom"]) == ("Temperature", "CEL")
    assert 22.0 <= temp["minValue"] <= temp["meanValue"] <= temp["maxValue"] <= 27.5
    oxygen = reports["do"]
    assert (oxygen["type"], oxygen["uom"]) == ("MassConcentration", "M1")
    assert oxygen["chemicalSubstance"] == environment.OXYGEN
    assert reports["ph"]["type"] == environment.PH_TYPE and "uom" not in reports["ph"]

    recent_lot.refresh_from_db()
    assert epcis_validator.problems(documents.epcis_document(recent_lot)) == []


def test_no_sensor_data_means_no_sensor_element(recent_lot, timeseries):
    lots.harvest(recent_lot, datetime.now(UTC).date(), timeseries=timeseries)
    assert "sensorElementList" not in recent_lot.events.get(biz_step="commissioning").document


def test_harvest_and_scan_page_work_while_influxdb_is_down(client, recent_lot, influx_down):
    lots.harvest(recent_lot, datetime.now(UTC).date())
    assert "sensorElementList" not in recent_lot.events.get(biz_step="commissioning").document
    assert environment.summary(recent_lot) == []
    resp = client.get(f"/t/{recent_lot.trace_code}")
    assert resp.status_code == 200 and "CY-NOW-1" in resp.content.decode()


def test_a_harvest_dated_before_the_growing_start_has_no_period(client, recent_lot, timeseries):
    early = recent_lot.growing_started - timedelta(days=2)
    assert environment.period(recent_lot, early) is None
    lots.harvest(recent_lot, early, timeseries=timeseries)
    assert client.get(f"/t/{recent_lot.trace_code}").status_code == 200
