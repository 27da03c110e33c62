"""Consumer scans, kept coarse, and the copied-label heuristics built on them.

A scan stores the hour, a truncated hash of the client's network prefix (/24
for IPv4, /48 for IPv6) and, when a reverse proxy with GeoIP supplies it, a
place rounded to 0.1° (≈ 10 km). Two signals flag a possible copied label:

* far more scans than labels exist (``SCANS_PER_LABEL`` per label issued, or
  per unit of the lot when no labels were recorded);
* the same code seen in places so far apart, so close in time, that one
  package could not have travelled between them (faster than ``MAX_KMH``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from traceability.models import Lot, Scan

SCANS_PER_LABEL = 5
MAX_KMH = 300  # faster than a high-speed train between two scans of one package
MIN_KM = 300  # nearby scans are never "impossible travel": GeoIP is coarse


def client_key(ip: str) -> str:
    """A short, salted hash of the network prefix: enough to count, not to identify."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    prefix = 24 if addr.version == 4 else 48
    net = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{net}".encode()).hexdigest()
    return digest[:16]


def _coarse(value: str | None, limit: float) -> Decimal | None:
    try:
        v = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    if v is None or not math.isfinite(v) or abs(v) > limit:
        return None
    return Decimal(str(round(v, 1)))


def km_between(a: Scan, b: Scan) -> float:
    """Great-circle distance (haversine, R = 6371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (a.lat, a.lon, b.lat, b.lon)))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


@transaction.atomic
def record_scan(
    lot: Lot, ip: str, now: datetime, lat: str | None = None, lon: str | None = None
) -> Scan:
    scan = Scan.objects.create(
        lot=lot,
        hour=now.replace(minute=0, second=0, microsecond=0),
        client=client_key(ip),
        lat=_coarse(lat, 90),
        lon=_coarse(lon, 180),
    )
    reason = suspicion(lot, scan)
    if reason and not lot.flagged_reason:
        Lot.objects.filter(pk=lot.pk).update(flagged_reason=reason[:255])
        lot.flagged_reason = reason[:255]
    return scan


def suspicion(lot: Lot, latest: Scan) -> str:
    """Why this lot's label looks copied, or an empty string."""
    allowed = SCANS_PER_LABEL * max(lot.label_count, int(lot.quantity or 0), 1)
    # A scan is one network in one hour: reloading the page is not another scan.
    total = lot.scans.values("client", "hour").distinct().count()
    if total > allowed:
        return f"scanned {total} times, more than {allowed} for this lot"
    if latest.lat is None:
        return ""
    window = latest.hour - timedelta(hours=24)
    for other in lot.scans.filter(hour__gte=window, lat__isnull=False).exclude(pk=latest.pk):
        km = km_between(latest, other)
        hours = max(abs((latest.hour - other.hour).total_seconds()) / 3600, 1.0)
        if km >= MIN_KM and km / hours > MAX_KMH:
            return f"scanned {km:.0f} km apart within {hours:.0f} h"
    return ""
