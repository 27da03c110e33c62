"""Consumer scans, kept coarse, and the copied-label heuristic built on them.

A scan stores the hour and two truncated, salted hashes of the client's address:
its network (/24 for IPv4, /48 for IPv6) and the wider block around it (/16 for
IPv4, /32 for IPv6, roughly one provider's allocation). Nothing else about the
consumer is kept; reloads and repeat scans from one network in one hour are one row.

Why there is no location signal. The page used to flag "impossible travel" from
``X-Client-Lat``/``X-Client-Lon`` request headers. Any anonymous client sets any
header, so two GETs claiming places 2,000 km apart branded a genuine lot as copied
for every later consumer. A location the browser shares is no better — it is
whatever the client says, and a CSRF token proves nothing about an anonymous
client — and GeoIP needs a database this project does not ship. So the heuristic
uses only what a client cannot choose freely: the network it connects from.

The signal: a label is copied when more distinct networks scan it than its labels
can account for —

* more than ``SCANS_PER_LABEL`` networks per label issued (per unit of the lot when
  no labels were recorded), and never fewer than ``MIN_NETWORKS``; repeat scans from
  one network count once, whatever the hour;
* from at least ``MIN_BLOCKS`` distinct wider blocks, so one person (one address
  over many hours, one provider or cloud block) cannot reach it alone.

What remains: someone with addresses in many provider blocks (a botnet) can still
push a small lot over. The page words the flag as a suspicion to check with the
seller, staff see the reason on the lot page and clear it in the admin.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime

from django.conf import settings
from django.db import transaction

from traceability.models import Lot, Scan

SCANS_PER_LABEL = 5
MIN_NETWORKS = 20  # below this many networks no lot is flagged, however small
MIN_BLOCKS = 5  # independent provider blocks among them


def _digest(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{net}".encode()).hexdigest()[:16]


def _prefixes(ip: str) -> tuple[str, str]:
    """(network key, block key): short salted hashes, enough to count, not to identify."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown", "unknown"
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    narrow, wide = (24, 16) if addr.version == 4 else (48, 32)
    return (
        _digest(ipaddress.ip_network(f"{addr}/{narrow}", strict=False)),
        _digest(ipaddress.ip_network(f"{addr}/{wide}", strict=False)),
    )


def client_key(ip: str) -> str:
    """The network key alone (also used to rate-limit unknown codes per network)."""
    return _prefixes(ip)[0]


@transaction.atomic
def record_scan(lot: Lot, ip: str, now: datetime) -> Scan:
    """Count a scan of ``lot`` from ``ip`` and flag the lot if its label looks copied."""
    network, block = _prefixes(ip)
    hour = now.replace(minute=0, second=0, microsecond=0)
    seen = Scan.objects.filter(lot=lot, hour=hour, client=network).first()
    if seen is not None:  # a reload, or another phone on the same network this hour
        return seen
    scan = Scan.objects.create(lot=lot, hour=hour, client=network, block=block)
    reason = suspicion(lot)
    if reason and not lot.flagged_reason:
        Lot.objects.filter(pk=lot.pk).update(flagged_reason=reason[:255])
        lot.flagged_reason = reason[:255]
    return scan


def allowed_networks(lot: Lot) -> int:
    return max(MIN_NETWORKS, SCANS_PER_LABEL * max(lot.label_count, int(lot.quantity or 0), 1))


def suspicion(lot: Lot) -> str:
    """Why this lot's label looks copied, or an empty string."""
    allowed = allowed_networks(lot)
    networks = lot.scans.values("client").distinct().count()
    if networks <= allowed:
        return ""
    blocks = lot.scans.exclude(block="").values("block").distinct().count()
    if blocks < MIN_BLOCKS:
        return ""
    return f"scanned from {networks} networks, more than {allowed} for this lot"
