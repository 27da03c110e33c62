"""A province-scale synthetic load for the regional pages and the weekly report.

    python manage.py generate_regional_load [--farms 2000] [--devices 10000]
        [--incidents 50000] [--days 365] [--seed 1]

Farms spread over every city of Hubei (synthetic counties are added where the GB/T 2260
fixture has none), with ponds and plots, devices (most online, some offline, some never
reported), a year of incidents, trap photos for the last eight weeks, and ``--days`` of
hourly water roll-ups (DO and NH3) for every pond, written to InfluxDB as line protocol in
batches through ``sensors.timeseries``. PostgreSQL rows go in with ``bulk_create`` (plots and
ponds, being multi-table children of ``Site``, with one ``executemany`` each). Meant for a
throw-away database: it refuses to run twice on the same one.
"""

from __future__ import annotations

import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from alerts.models import Incident, Rule
from demo.farm import ensure_regions
from farm.models import Farm, Membership, Organisation, Plot, Pond, Region, Role, Site
from sensors.models import Device, DeviceProfile
from sensors.timeseries import ROLLUP_RP, InfluxUnavailable, TimeSeries, tag_set
from vision.models import Camera, TrapCount, TrapPhoto

MARK = "合成负载"  # organisations made here carry it, so a second run is refused
BATCH_LINES = 20_000
WRITERS = 2  # InfluxDB indexes and writes while the next batch is formatted


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser) -> None:
        parser.add_argument("--farms", type=int, default=2000)
        parser.add_argument("--devices", type=int, default=10000)
        parser.add_argument("--incidents", type=int, default=50000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **o) -> None:
        if Organisation.objects.filter(name__startswith=MARK).exists():
            raise CommandError("this database already holds a generated load")
        rng = random.Random(o["seed"])
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        t0 = time.monotonic()
        with transaction.atomic():
            counties = self.counties()
            farms = self.farms(rng, counties, o["farms"])
            ponds = self.sites(rng, farms)
            self.devices(rng, farms, o["devices"], now)
            self.incidents(rng, farms, o["incidents"], now)
            self.traps(rng, farms, now)
            self.reviewer()
        self.analyze()
        self.stdout.write(f"postgresql rows in {time.monotonic() - t0:.1f} s")
        t1 = time.monotonic()
        points = self.rollups(rng, ponds, o["days"], now)
        self.stdout.write(
            f"{points} hourly roll-ups in {time.monotonic() - t1:.1f} s "
            f"({points / max(time.monotonic() - t1, 1e-9):.0f} points/s)"
        )

    def analyze(self) -> None:
        """Planner statistics for the tables just filled, as autovacuum would give them later.

        Measured straight after the load, the planner still believed the farm table empty and
        joined 50,000 incidents to 2,000 farms by a nested loop: the province page took
        650 ms instead of 120 ms. A database that grew to this size has its statistics.
        """
        models = [Region, Organisation, Farm, Site, Plot, Pond, Device, Incident, Rule]
        models += [Membership, Camera, TrapPhoto, TrapCount]
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def counties(self) -> list[Region]:
        """Every county of Hubei, with eight synthetic ones for a city the fixture leaves bare."""
        ensure_regions()
        province = Region.objects.get(code="420000")
        made = []
        for city in Region.objects.filter(code__startswith="42", level=Region.Level.CITY):
            if Region.objects.filter(code__startswith=city.code[:4], level="county").exists():
                continue
            for i in range(1, 9):
                made.append(
                    Region(
                        code=f"{city.code[:4]}{80 + i:02d}",
                        name=f"{city.name}{MARK}县{i}",
                        level=Region.Level.COUNTY,
                        parent=city,
                    )
                )
        Region.objects.bulk_create(made, ignore_conflicts=True)
        del province
        return list(Region.objects.filter(code__startswith="42", level=Region.Level.COUNTY))

    def farms(self, rng: random.Random, counties: list[Region], n: int) -> list[Farm]:
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(name=f"{MARK}合作社{i:04d}", region=counties[i % len(counties)])
                for i in range(max(1, n // 10))
            ]
        )
        farms = []
        for i in range(n):
            org = orgs[i % len(orgs)]
            kind = rng.choices(["aquaculture", "crop", "mixed"], [4, 4, 2])[0]
            lat = lon = None
            if rng.random() > 0.02:  # a few farms without coordinates
                lat = Decimal(f"{29.5 + rng.random() * 3:.6f}")
                lon = Decimal(f"{109.5 + rng.random() * 6:.6f}")
            farms.append(
                Farm(
                    organisation=org,
                    region=org.region,
                    name=f"{MARK}农场{i:05d}",
                    kind=kind,
                    latitude=lat,
                    longitude=lon,
                )  # fmt: skip
            )
        return Farm.objects.bulk_create(farms, batch_size=2000)

    def sites(self, rng: random.Random, farms: list[Farm]) -> list[Site]:
        sites = []
        for farm in farms:
            ponds = 2 if farm.kind == "aquaculture" else 1 if farm.kind == "mixed" else 0
            plots = 0 if farm.kind == "aquaculture" else 2
            for j in range(ponds):
                sites.append(Site(farm=farm, name=f"{j + 1}号塘", kind="pond",
                                  area_m2=Decimal(6700)))  # fmt: skip
            for j in range(plots):
                sites.append(Site(farm=farm, name=f"{j + 1}号地块", kind="plot",
                                  area_m2=Decimal(20000)))  # fmt: skip
        sites = Site.objects.bulk_create(sites, batch_size=5000)
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {Pond._meta.db_table} (site_ptr_id, species, depth_m, aeration, "
                "aerator_kw, water) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (s.pk, "草鱼", Decimal("2.0"), "paddlewheel", Decimal("3.0"), "fresh")
                    for s in sites
                    if s.kind == "pond"
                ],  # fmt: skip
            )
            cur.executemany(
                f"INSERT INTO {Plot._meta.db_table} (site_ptr_id, crop, soil_texture, "
                "cultivation) VALUES (%s, %s, %s, %s)",
                [(s.pk, "水稻", "loam", "open_field") for s in sites if s.kind == "plot"],
            )
        return [s for s in sites if s.kind == "pond"]

    def devices(self, rng: random.Random, farms: list[Farm], n: int, now: datetime) -> None:
        profile, _ = DeviceProfile.objects.get_or_create(
            id="native-water", defaults={"name": "native-water"}
        )
        rows = []
        for i in range(n):
            state = rng.random()
            seen = (
                now - timedelta(minutes=rng.randint(1, 60)) if state < 0.85
                else now - timedelta(hours=rng.randint(3, 400)) if state < 0.97
                else None
            )  # fmt: skip
            rows.append(
                Device(
                    dev_eui=f"fe{i:014x}",
                    farm=farms[i % len(farms)],
                    profile=profile,
                    last_seen=seen,
                    battery_v=None if seen is None else round(rng.uniform(2.5, 3.7), 2),
                )  # fmt: skip
            )
        Device.objects.bulk_create(rows, batch_size=5000)

    def incidents(self, rng: random.Random, farms: list[Farm], n: int, now: datetime) -> None:
        orgs = {f.organisation_id for f in farms}
        rules = {
            r.organisation_id: r
            for r in Rule.objects.bulk_create(
                [
                    Rule(
                        organisation_id=o,
                        name="溶解氧过低",
                        metric="do",
                        condition="below",
                        threshold=3.0,
                    )
                    for o in orgs
                ]  # fmt: skip
            )
        }
        rows = []
        for i in range(n):
            farm = farms[rng.randrange(len(farms))]
            opened = now - timedelta(minutes=rng.randint(1, 365 * 24 * 60))
            open_now = rng.random() < 0.01
            acked = (
                opened + timedelta(minutes=rng.expovariate(1 / 25)) if rng.random() < 0.8 else None
            )
            rows.append(
                Incident(
                    rule=rules[farm.organisation_id],
                    target_key=f"site:synthetic-{i}",
                    farm=farm,
                    severity=rng.choices(["critical", "warning", "info"], [2, 6, 2])[0],
                    title=f"{farm.name} 溶解氧低于3 mg/L",
                    opened_at=opened,
                    acknowledged_at=acked,
                    resolved_at=None if open_now else opened + timedelta(hours=rng.randint(1, 30)),
                )  # fmt: skip
            )
        Incident.objects.bulk_create(rows, batch_size=5000)

    def traps(self, rng: random.Random, farms: list[Farm], now: datetime) -> None:
        plots = list(Site.objects.filter(farm__in=farms[:400], kind="plot")[:200])
        cameras = Camera.objects.bulk_create(
            [Camera(site=s, name="虫情灯", kind="insect_trap", source_kind="upload") for s in plots]
        )
        photos = []
        for cam in cameras:
            for d in range(56):
                photos.append(TrapPhoto(camera=cam, taken_at=now - timedelta(days=d, hours=2),
                                        width=640, height=480, image="vision/traps/synthetic.jpg",
                                        status=rng.choice(["reviewed", "pending"])))  # fmt: skip
        photos = TrapPhoto.objects.bulk_create(photos, batch_size=5000)
        counts = []
        for p in photos:
            for species in ("brown_planthopper", "moth"):
                raw = rng.randint(0, 30)
                counts.append(TrapCount(photo=p, species=species, raw_new=raw, raw_present=raw,
                                        reviewed_new=max(0, raw - rng.randint(0, 5))
                                        if p.status == "reviewed" else None))  # fmt: skip
        TrapCount.objects.bulk_create(counts, batch_size=10000)

    def reviewer(self) -> None:
        """``bureau_hubei``: a province reviewer, for the province page."""
        user, _ = get_user_model().objects.get_or_create(username="bureau_hubei")
        user.set_unusable_password()
        user.save()
        Membership.objects.get_or_create(user=user, role=Role.BUREAU, region_id="420000")

    def rollups(self, rng: random.Random, ponds: list[Site], days: int, now: datetime) -> int:
        """Hourly DO/NH3 roll-ups per pond: a daily cycle, some ponds with low nights."""
        ts = TimeSeries.from_config()
        ts.ensure_database("400d")
        farms = dict(
            Farm.objects.filter(pk__in={p.farm_id for p in ponds}).values_list(
                "pk", "organisation_id"
            )
        )
        regions = dict(
            Farm.objects.filter(pk__in={p.farm_id for p in ponds}).values_list("pk", "region_id")
        )
        start_s = int((now - timedelta(days=days)).timestamp())
        hours = days * 24
        cycle = [math.sin(2 * math.pi * (h % 24 - 9) / 24) for h in range(24)]
        buffer: list[str] = []
        written = 0
        local = threading.local()

        def write(body: str) -> None:
            """One batch, on a writer thread with its own HTTP session."""
            if not hasattr(local, "ts"):
                base = TimeSeries.from_config()
                local.ts = TimeSeries(base.url, base.database, timeout=120)
            for attempt in range(3):  # a busy server may time out: the write is idempotent
                try:
                    local.ts.write_lines(body, rp=ROLLUP_RP, precision="s")
                    return
                except InfluxUnavailable:
                    if attempt == 2:
                        raise
                    time.sleep(5)

        pool = ThreadPoolExecutor(max_workers=WRITERS)
        pending: list = []
        for pond in ponds:
            # the identity tags exactly as the bridge writes them (sorted, escaped)
            head = "water_1h" + tag_set(
                {"org": str(farms[pond.farm_id]), "region": regions[pond.farm_id],
                 "farm": str(pond.farm_id), "site": str(pond.pk)}
            )  # fmt: skip
            base = rng.uniform(5.0, 7.5)
            swing = rng.uniform(1.0, 3.0)
            noise = [rng.uniform(-0.3, 0.3) for _ in range(997)]
            for h in range(hours):
                mean = base + swing * cycle[(h + 8) % 24] + noise[h % 997]
                nh3 = 0.002 + 0.028 * ((h * 7919 + pond.pk) % 1000) / 1000
                buffer.append(
                    f"{head} mean_do={mean:.2f},min_do={mean - 0.4:.2f},"
                    f"max_do={mean + 0.4:.2f},count_do=6i,mean_nh3={nh3:.4f},"
                    f"max_nh3={nh3 * 1.3:.4f},count_nh3=6i {start_s + h * 3600}"
                )
                if len(buffer) >= BATCH_LINES:
                    pending.append(pool.submit(write, "\n".join(buffer)))
                    written += len(buffer)
                    buffer.clear()
                    while len(pending) > WRITERS * 2:  # bound memory: wait for the oldest
                        pending.pop(0).result()
        if buffer:
            pending.append(pool.submit(write, "\n".join(buffer)))
            written += len(buffer)
        for f in pending:
            f.result()
        pool.shutdown()
        ts.close()
        return written
