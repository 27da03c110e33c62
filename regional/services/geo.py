"""The map's data: farm points with their status, and the offline county boundaries."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from farm.models import Farm, Region
from regional.services.drilldown import Figures

BOUNDARIES = Path(__file__).resolve().parent.parent / "static" / "regional" / "boundaries.geojson"


def farm_points(farms: QuerySet[Farm], figures: dict[str, Figures]) -> dict[str, Any]:
    """GeoJSON of the farms that have coordinates; the others are listed by ``unplaced``."""
    features = []
    for farm in farms.select_related("region").order_by("name"):
        if farm.latitude is None or farm.longitude is None:
            continue
        f = figures.get(str(farm.pk)) or Figures(key=str(farm.pk), name=farm.name)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(farm.longitude), float(farm.latitude)],
                },
                "properties": {
                    "id": farm.pk,
                    "name": farm.name,
                    "county": farm.region.name,
                    "status": f.status,
                    "critical": f.open_critical,
                    "warning": f.open_warning,
                    "offline": f.offline + f.never_reported,
                    "url": reverse("farm:farm-detail", args=[farm.pk]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def unplaced(farms: QuerySet[Farm]) -> list[Farm]:
    """Farms without coordinates: listed beside the map, never dropped."""
    return list(
        farms.filter(latitude__isnull=True).select_related("region").order_by("name")
        | farms.filter(longitude__isnull=True).select_related("region").order_by("name")
    )


@cache
def _all_boundaries() -> dict[str, Any]:
    return json.loads(BOUNDARIES.read_text(encoding="utf-8"))


def boundaries(region: Region) -> dict[str, Any]:
    """The county outlines inside ``region`` that the shipped boundary file has."""
    data = _all_boundaries()
    return {
        "type": "FeatureCollection",
        "features": [
            f for f in data["features"] if str(f["properties"]["code"]).startswith(region.prefix)
        ],
        "source": data.get("source", ""),
        "licence": data.get("licence", ""),
    }
