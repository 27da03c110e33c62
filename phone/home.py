"""What the phone's home page shows: the person's open alerts and their sites' last readings.

The page is cached by the service worker and shown offline, so everything here is a
value with the time it was measured; the page itself carries the time it was built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from alerts.models import Incident
from alerts.transports.messages import metric_label
from farm import access
from farm.models import Site
from sensors.models import Device
from sensors.timeseries import InfluxError, TimeSeries
from vocabulary.metrics import reading_text as fmt

log = logging.getLogger(__name__)

MAX_INCIDENTS = 50
MAX_SITES = 30  # a phone page, not a regional report
# The readings a farmer looks at first, in this order; others follow alphabetically.
FIRST_METRICS = ("do", "water_temp", "ph", "tan", "nh3", "nitrite", "soil_vwc", "soil_temp")
HIDDEN_METRICS = {"rssi", "snr", "battery_v", "battery_pct"}


@dataclass(frozen=True)
class Reading:
    label: str
    value: str
    at: datetime


@dataclass
class SiteNow:
    site: Site
    readings: list[Reading] = field(default_factory=list)


def open_incidents(user: AbstractBaseUser) -> list[Incident]:
    qs = Incident.objects.select_related("farm", "site", "acknowledged_by").filter(
        resolved_at__isnull=True
    )
    return list(access.scope(user, qs, "farm").order_by("-opened_at")[:MAX_INCIDENTS])


def editable_farm_ids(user: AbstractBaseUser) -> set[int]:
    return set(access.editable_farms(user).values_list("pk", flat=True))


def sites_now(user: AbstractBaseUser, ts: TimeSeries | None = None) -> tuple[list[SiteNow], bool]:
    """The last value of each metric on each of the person's sites; False if InfluxDB is away.

    ``ts`` is the configured database unless given (another database, in tests)."""
    sites = list(
        access.scope(user, Site.objects.select_related("farm"), "farm").order_by(
            "farm__name", "name"
        )[:MAX_SITES]
    )
    by_site = {s.pk: SiteNow(s) for s in sites}
    devices = list(
        Device.objects.filter(site_id__in=by_site, enabled=True).values_list("dev_eui", "site_id")
    )
    if not devices:
        return list(by_site.values()), True
    own = ts is None
    ts = ts or TimeSeries.from_config()
    try:
        latest = ts.latest_many(eui for eui, _site in devices)
    except InfluxError as exc:
        log.warning("last readings unavailable for the phone page: %s", exc)
        return list(by_site.values()), False
    finally:
        if own:
            ts.close()
    merged: dict[int, dict[str, tuple[datetime, float]]] = {}
    for eui, site_id in devices:
        for metric, (at, value) in latest.get(eui, {}).items():
            seen = merged.setdefault(site_id, {}).get(metric)
            if seen is None or at > seen[0]:
                merged[site_id][metric] = (at, value)
    for site_id, metrics in merged.items():
        by_site[site_id].readings = [
            Reading(metric_label(m), fmt(v, m), at)
            for m, (at, v) in sorted(metrics.items(), key=lambda kv: _order(kv[0]))
            if m not in HIDDEN_METRICS
        ]
    return list(by_site.values()), True


def _order(metric: str) -> tuple[int, str]:
    return (FIRST_METRICS.index(metric) if metric in FIRST_METRICS else len(FIRST_METRICS), metric)
