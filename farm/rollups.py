"""Regional roll-ups of the farm register, for bureau reviewers and managers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from farm.models import Farm


@dataclass(frozen=True)
class CountyRollup:
    code: str
    name: str
    farms: int
    plots: int
    ponds: int


def farms_by_county(farms: QuerySet[Farm]) -> list[CountyRollup]:
    """Farms, plots and ponds per county over an already-scoped farm queryset."""
    rows = (
        farms.order_by()
        .values("region__code", "region__name")
        .annotate(
            n_farms=Count("id", distinct=True),
            n_plots=Count("sites", filter=Q(sites__kind="plot"), distinct=True),
            n_ponds=Count("sites", filter=Q(sites__kind="pond"), distinct=True),
        )
        .order_by("region__code")
    )
    return [
        CountyRollup(r["region__code"], r["region__name"], r["n_farms"], r["n_plots"], r["n_ponds"])
        for r in rows
    ]
