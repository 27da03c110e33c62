"""The environment a lot grew in, summarised from its origin's InfluxDB series."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any

from traceability.models import Lot

log = logging.getLogger(__name__)

POND_METRICS = ("water_temp", "do", "ph")
PLOT_METRICS = ("soil_temp", "soil_vwc", "air_temp")


def summary(lot: Lot, timeseries: Any = None) -> list[dict[str, Any]]:
    """Min / mean / max per metric over the growing period (of the chart buckets).

    Empty when InfluxDB is unreachable: the public page must still render.
    """
    from sensors.timeseries import InfluxError, TimeSeries

    start = datetime.combine(lot.growing_started, time.min, tzinfo=UTC)
    end = (
        datetime.combine(lot.harvest_date, time.max, tzinfo=UTC)
        if lot.harvest_date
        else datetime.now(UTC)
    )
    metrics = POND_METRICS if lot.origin.kind == "pond" else PLOT_METRICS
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
        log.warning("environment summary for lot %s unavailable: %s", lot.pk, exc)
        return []
    return rows
