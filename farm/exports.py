"""Exports of the farm register, scoped like every other view."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.db.models import QuerySet

from farm.models import Farm, Site

FARM_COLUMNS = [
    "id",
    "name",
    "organisation",
    "county_code",
    "county",
    "kind",
    "latitude",
    "longitude",
    "address",
    "plots",
    "ponds",
]


def farm_rows(farms: QuerySet[Farm]) -> Iterable[list]:
    """One row per farm; the caller has already scoped ``farms`` through farm.access."""
    counts: dict[tuple[int, str], int] = {}
    for farm_id, kind in Site.objects.filter(farm__in=farms).values_list("farm_id", "kind"):
        counts[(farm_id, kind)] = counts.get((farm_id, kind), 0) + 1
    yield FARM_COLUMNS
    for f in farms.select_related("organisation", "region").order_by("region__code", "name"):
        yield [
            f.pk,
            f.name,
            f.organisation.name,
            f.region.code,
            f.region.name,
            f.kind,
            f.latitude,
            f.longitude,
            f.address,
            counts.get((f.pk, "plot"), 0),
            counts.get((f.pk, "pond"), 0),
        ]


def write_csv(rows: Iterable[list], stream) -> None:
    writer = csv.writer(stream)
    for row in rows:
        writer.writerow(["" if v is None else _safe_cell(v) for v in row])


def _safe_cell(value) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ is shown as text."""
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
