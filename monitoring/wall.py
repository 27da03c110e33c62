"""The farm wall: every pond and plot a person may see, as tiles sorted by risk.

A tile gathers what a farmer asks first: the water or soil now (``water_now``),
tonight's dawn outlook for ponds (``dawn``), open incidents, aerators
(``aeration.status``), the camera's latest frame and vision badges (``frames``).
Everything is read in a fixed number of queries, whatever the number of tiles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from aeration.status import AeratorState, aerator_states
from alerts.models import SEVERITY_RANK, Incident
from farm.models import Site
from monitoring import dawn, frames, water_now
from monitoring.water_now import SiteNow
from sensors.timeseries import InfluxError, TimeSeries

log = logging.getLogger(__name__)


@dataclass
class Tile:
    site: Site  # with its farm loaded
    place: Site  # the Pond or Plot behind it
    now: SiteNow
    outlook: dawn.Outlook | None = None
    incidents: list[Incident] = field(default_factory=list)
    aerators: list[AeratorState] = field(default_factory=list)
    camera: object | None = None
    frame: frames.Frame | None = None
    badges: list[frames.Badge] = field(default_factory=list)

    @property
    def status(self) -> str:
        """critical | warning | fault | stale | ok | nodata — the tile's colour and word."""
        worst = self.now.worst
        incident = max((SEVERITY_RANK.get(i.severity, 0) for i in self.incidents), default=-1)
        if incident == 2 or worst == "critical":
            return "critical"
        if incident == 1 or worst == "warning" or (self.outlook and self.outlook.aerate):
            return "warning"
        if worst in ("fault", "stale"):
            return worst
        if worst in ("ok", "nolimit", "info") or incident == 0:
            return "ok"
        return "nodata"

    @property
    def risk(self) -> tuple:
        order = {"critical": 5, "warning": 4, "fault": 3, "stale": 2, "ok": 1, "nodata": 0}
        return (-order[self.status], -len(self.incidents), self.site.farm.name, self.site.name)


def sites_for(farms: QuerySet) -> list[Site]:
    return list(
        Site.objects.filter(farm__in=farms)
        .select_related("farm", "pond", "plot")
        .order_by("farm__name", "name")
    )


def tiles(
    sites: list[Site], now: datetime, ts: TimeSeries | None = None
) -> tuple[list[Tile], bool]:
    """Tiles of ``sites`` sorted by risk, and whether readings were reachable."""
    own = ts is None
    ts = ts or TimeSeries.from_config()
    ids = [s.pk for s in sites]
    readings_ok = True
    try:
        now_of = water_now.load(sites, now, ts, tile=True)
        ponds = [s for s in sites if s.kind == "pond"]
        latest_do = {}
        for pond in ponds:
            f = now_of[pond.pk].figures.get("do")
            if f is not None and f.at is not None and f.value is not None:
                latest_do[pond.pk] = (f.at, f.value)
        outlooks = dawn.load(ponds, latest_do, now, ts)
    except InfluxError as exc:
        log.warning("wall readings unavailable: %s", exc)
        readings_ok = False
        now_of = {s.pk: SiteNow(s.pk) for s in sites}
        outlooks = {}
    finally:
        if own:
            ts.close()
    incidents: dict[int, list[Incident]] = {}
    for inc in Incident.objects.filter(site_id__in=ids, resolved_at__isnull=True).order_by(
        "-opened_at"
    ):
        incidents.setdefault(inc.site_id, []).append(inc)
    aerators = aerator_states([s.pk for s in sites if s.kind == "pond"])
    cameras = frames.cameras_of(ids)
    first_camera = {site: cams[0] for site, cams in cameras.items()}
    latest = frames.latest_frames(first_camera.values())
    badges = frames.badges(ids, now)
    out = []
    for s in sites:
        cam = first_camera.get(s.pk)
        out.append(
            Tile(
                site=s,
                place=s.concrete(),
                now=now_of[s.pk],
                outlook=outlooks.get(s.pk),
                incidents=incidents.get(s.pk, []),
                aerators=aerators.get(s.pk, []),
                camera=cam,
                frame=latest.get(cam.pk) if cam else None,
                badges=badges.get(s.pk, []),
            )
        )
    out.sort(key=lambda t: t.risk)
    return out, readings_ok
