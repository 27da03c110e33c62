"""The farm demo seeds from any partial state, and seeding it twice changes nothing."""

from __future__ import annotations

import json

from demo.farm import REGIONS_FIXTURE, seed_demo
from demo.fleet import Fleet, register_fleet
from farm.models import Farm, Organisation, Region


def test_seed_demo_completes_after_the_fleet_simulator_created_regions_of_its_own(db):
    register_fleet(Fleet(4, seed=1))  # creates a province, city, county and a co-op
    assert Region.objects.filter(code="421083").exists()
    assert not Region.objects.filter(code="421088").exists()

    summary = seed_demo()

    codes = {row["pk"] for row in json.loads(REGIONS_FIXTURE.read_text(encoding="utf-8"))}
    assert set(Region.objects.values_list("code", flat=True)) >= codes
    assert Farm.objects.filter(region_id="421088").exists()
    assert summary.farms == 10


def test_seed_demo_twice_changes_nothing(db):
    seed_demo()
    counts = (Region.objects.count(), Organisation.objects.count(), Farm.objects.count())
    seed_demo()
    assert (Region.objects.count(), Organisation.objects.count(), Farm.objects.count()) == counts
