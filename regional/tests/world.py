"""A week of regional data on the demo world: devices, incidents, hourly roll-ups, traps.

The week is fixed (Monday 2026-11-23, Asia/Shanghai) so the expected figures below are
plain numbers a reader can check by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.base import ContentFile

from alerts.models import Incident, Rule
from farm.models import Farm, Pond, Site
from regional.models import PestThreshold
from regional.services.period import Period, week_of
from sensors.models import Device, DeviceProfile
from sensors.timeseries import ROLLUP_RP, TimeSeries, encode_line, tag_set, to_ns
from vision.models import Camera, TrapCount, TrapPhoto

WEEK = week_of(date(2026, 11, 23))
NOW = WEEK.end + timedelta(hours=8)  # Monday morning after the week


@dataclass
class World:
    period: Period
    pond_a: Pond  # full data, breached on Monday (9 h ≤ 5 mg/L), 21 h below in all
    pond_b: Pond  # 100 of 168 hours, always 6 mg/L
    incidents: list[Incident]


def _rollup_lines(pond: Site, start, hours: list[tuple[float, float, float]]) -> list[str]:
    farm = pond.farm
    tags = tag_set({"org": str(farm.organisation_id), "region": farm.region_id,
                    "farm": str(farm.pk), "site": str(pond.pk)})  # fmt: skip
    lines = []
    for i, (mean, low, nh3) in enumerate(hours):
        if mean is None:
            continue
        t = to_ns(start + timedelta(hours=i))
        fields = {"mean_do": mean, "min_do": low, "max_do": mean + 0.5, "count_do": 6,
                  "mean_nh3": nh3 / 2, "max_nh3": nh3, "count_nh3": 6}  # fmt: skip
        lines.append(encode_line("water_1h", tags, fields, t))
    return lines


def build(ts: TimeSeries) -> World:
    period = WEEK
    dasha = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond_a = Pond.objects.get(farm=dasha, name="1号塘")
    pond_b = Pond.objects.get(farm=dasha, name="2号塘")
    # pond A: Monday 9 hours at 4.5, other days 2 hours at exactly 5.0, the rest 6.5
    hours_a = []
    for day in range(7):
        for h in range(24):
            if day == 0 and h < 9:
                hours_a.append((4.5, 3.5, 0.03))
            elif day > 0 and h < 2:
                hours_a.append((5.0, 4.8, 0.01))
            else:
                hours_a.append((6.5, 6.0, 0.01))
    hours_b = [(6.0, 5.5, 0.005) if i < 100 else (None, None, None) for i in range(168)]
    prev = period.previous()
    hours_a_prev = [(4.0, 3.8, 0.01) if i < 4 else (6.5, 6.0, 0.01) for i in range(168)]
    lines = (
        _rollup_lines(pond_a, period.start, hours_a)
        + _rollup_lines(pond_b, period.start, hours_b)
        + _rollup_lines(pond_a, prev.start, hours_a_prev)
    )
    ts.write_lines("\n".join(lines), rp=ROLLUP_RP)

    profile, _ = DeviceProfile.objects.get_or_create(id="native-water", defaults={"name": "w"})
    for n, (farm_name, seen, battery) in enumerate(
        [
            ("大沙湖草鱼养殖场", NOW - timedelta(minutes=5), 3.6),
            ("大沙湖草鱼养殖场", NOW - timedelta(days=3), 2.5),
            ("大沙湖草鱼养殖场", None, None),
            ("大垸鲫鱼养殖场", NOW - timedelta(minutes=10), 3.5),
        ]
    ):
        Device.objects.create(
            dev_eui=f"bb{n:014x}", farm=Farm.objects.get(name=farm_name), profile=profile,
            last_seen=seen, battery_v=battery,
        )  # fmt: skip

    incidents = []
    for farm_name, severity, opened_h, ack_min in [
        ("大沙湖草鱼养殖场", "critical", 10, 4),
        ("大沙湖草鱼养殖场", "warning", 30, 20),
        ("大垸鲫鱼养殖场", "warning", 50, None),
    ]:
        farm = Farm.objects.get(name=farm_name)
        rule = Rule.objects.create(
            organisation=farm.organisation, name="DO", metric="do", condition="below", threshold=3
        )
        opened = period.start + timedelta(hours=opened_h)
        incidents.append(
            Incident.objects.create(
                rule=rule,
                target_key=f"farm:{farm.pk}",
                farm=farm,
                severity=severity,
                title=f"{farm.name} 溶解氧低于3 mg/L",
                opened_at=opened,
                acknowledged_at=opened + timedelta(minutes=ack_min) if ack_min else None,
            )  # fmt: skip
        )

    plot = Site.objects.get(farm__name="程集稻虾共作示范基地", name="稻虾田1区")
    camera = Camera.objects.create(
        site=plot, name="1号虫情灯", kind="insect_trap", source_kind="upload"
    )
    for when, raw, reviewed in [
        (period.start + timedelta(days=1, hours=2), 10, 7),
        (period.start + timedelta(days=3, hours=2), 5, None),
        (prev.start + timedelta(days=2, hours=2), 4, None),
    ]:
        photo = TrapPhoto.objects.create(
            camera=camera, taken_at=when, width=10, height=10,
            image=ContentFile(b"\xff\xd8\xff", name="trap.jpg"),
            status="reviewed" if reviewed is not None else "pending",
        )  # fmt: skip
        TrapCount.objects.create(
            photo=photo, species="brown_planthopper", raw_new=raw, raw_present=raw,
            reviewed_new=reviewed,
        )  # fmt: skip
    PestThreshold.objects.create(species="brown_planthopper", per_trap_week=10)
    return World(period, pond_a, pond_b, incidents)
