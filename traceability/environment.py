"""The environment a lot grew in, summarised from its origin's InfluxDB series.

The same summary feeds the public page and the harvest event's EPCIS
``sensorElementList``, so what a consumer reads and what a partner receives agree.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Any

from traceability.models import Lot

log = logging.getLogger(__name__)

POND_METRICS = ("water_temp", "do", "ph")
PLOT_METRICS = ("soil_temp", "soil_vwc", "air_temp")

# InChIKey of dioxygen (O2), as an identifiers.org URI: EPCIS 2.0 names a measured
# chemical substance this way (see GS1's sensor examples).
OXYGEN = "https://identifiers.org/inchikey:MYMOFIZGZYHOMD-UHFFFAOYSA-N"
# pH has no GS1 measurement type (``Dimensionless`` would lose what was measured),
# so it gets the project's own type URI, under ``urn:agrimon:`` like our bizSteps.
PH_TYPE = "urn:agrimon:measurement:pH"
# How the figures were obtained: min, mean and max of the chart buckets' means over the
# period (the bucket width grows with the period), not of every raw reading.
SUMMARY_METHOD = "urn:agrimon:method:bucket-mean-summary"

# metric -> (EPCIS measurement type, UN/ECE Rec 20 unit, extra report fields).
# GS1 types are written as bare words, the JSON-LD short form of ``gs1:Temperature``
# that GS1's own examples use and the schema's enumeration lists. Dissolved oxygen
# is a ``MassConcentration`` (mg/L, Rec 20 ``M1``) of the substance oxygen.
SENSOR_TYPES: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "water_temp": ("Temperature", "CEL", {}),
    "soil_temp": ("Temperature", "CEL", {}),
    "air_temp": ("Temperature", "CEL", {}),
    "do": ("MassConcentration", "M1", {"chemicalSubstance": OXYGEN}),
    "soil_vwc": ("VolumeFraction", "P1", {}),
    "ph": (PH_TYPE, None, {}),
}


def period(lot: Lot, harvest_date: date | None = None) -> tuple[datetime, datetime] | None:
    """Growing start to the end of the harvest day (or now while still growing)."""
    if lot.growing_started is None:
        return None
    start = datetime.combine(lot.growing_started, time.min, tzinfo=UTC)
    harvest_date = harvest_date or lot.harvest_date
    end = (
        datetime.combine(harvest_date, time.max, tzinfo=UTC) if harvest_date else datetime.now(UTC)
    )
    if end <= start:  # a harvest dated before the growing start: nothing to summarise
        return None
    return start, end


def summary(
    lot: Lot, timeseries: Any = None, *, harvest_date: date | None = None, strict: bool = False
) -> list[dict[str, Any]]:
    """Min / mean / max per metric over the growing period (of the chart buckets).

    Empty when InfluxDB is unreachable or the lot has no growing start: the
    public page must still render and a harvest must still be recordable.
    ``strict`` raises the ``InfluxError`` instead, for a caller that tells the
    reader the data is unavailable rather than absent.
    """
    from sensors.timeseries import InfluxError, TimeSeries

    span = period(lot, harvest_date)
    if span is None:
        return []
    start, end = span
    metrics = POND_METRICS if lot.origin.kind == "pond" else PLOT_METRICS
    own = timeseries is None
    ts = timeseries or TimeSeries.from_config()
    rows = []
    try:
        for metric in metrics:
            values = [s.value for s in ts.series(lot.origin, metric, start, end)]
            if values:
                rows.append(
                    {
                        "metric": metric,
                        "min": min(values),
                        "max": max(values),
                        "mean": sum(values) / len(values),
                        "n": len(values),
                    }
                )
    except InfluxError as exc:
        if strict:
            raise
        log.warning("environment summary for lot %s unavailable: %s", lot.pk, exc)
        return []
    finally:
        if own:
            ts.close()
    return rows


def sensor_element_list(
    lot: Lot, timeseries: Any = None, *, harvest_date: date | None = None
) -> list[dict[str, Any]]:
    """The summary as an EPCIS 2.0 ``sensorElementList`` (empty when there is no data).

    One sensorElement for the whole period: ``sensorMetadata`` carries the period and
    the processing method, each ``sensorReport`` one metric. Soil and air temperature
    share the type ``Temperature``, so each report also names our metric in the
    ``agrimon:metric`` extension.
    """
    from traceability.epcis_document import format_time

    span = period(lot, harvest_date)
    rows = summary(lot, timeseries, harvest_date=harvest_date)
    if span is None or not rows:
        return []
    reports = []
    for row in rows:
        kind, uom, extra = SENSOR_TYPES[row["metric"]]
        report: dict[str, Any] = {
            "type": kind,
            **extra,
            "minValue": round(row["min"], 3),
            "maxValue": round(row["max"], 3),
            "meanValue": round(row["mean"], 3),
        }
        if uom:
            report["uom"] = uom
        report["agrimon:metric"] = row["metric"]
        reports.append(report)
    start, end = span
    return [
        {
            "sensorMetadata": {
                "startTime": format_time(start),
                "endTime": format_time(end),
                "dataProcessingMethod": SUMMARY_METHOD,
            },
            "sensorReport": reports,
        }
    ]
