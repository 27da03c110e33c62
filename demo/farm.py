"""A believable demo: three counties of Jingzhou (Hubei), two cooperatives and an
enterprise, ten farms with their plots and ponds, and one user per role.

The passwords are for a local demo only and are printed by ``seed_demo``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from farm.models import Farm, Membership, Organisation, Plot, Pond, Region, Role

DEMO_PASSWORD = "demo-only-2026"  # local demo only; documented in README

ORGS = [
    ("洪湖市清水湖水产养殖专业合作社", Organisation.Kind.COOPERATIVE, "421083"),
    ("监利市稻香虾稻种养专业合作社", Organisation.Kind.COOPERATIVE, "421088"),
    ("公安县绿源果蔬种植有限公司", Organisation.Kind.ENTERPRISE, "421022"),
]

# (org index, county, name, kind, lat, lon, address, plots, ponds)
# plot: (name, crop, cultivation, soil, area m²)
# pond: (name, species, area m², depth m, aeration, kW)
FARMS = [
    (
        0,
        "421083",
        "清水湖河蟹养殖基地",
        Farm.Kind.AQUACULTURE,
        "29.812",
        "113.453",
        "洪湖市螺山镇",
        [],
        [
            ("1号蟹塘", "中华绒螯蟹", 20000, "1.2", "diffused", "3.0"),
            ("2号蟹塘", "中华绒螯蟹", 18000, "1.2", "diffused", "3.0"),
        ],
    ),
    (
        0,
        "421083",
        "大沙湖草鱼养殖场",
        Farm.Kind.AQUACULTURE,
        "29.905",
        "113.571",
        "洪湖市大沙湖农场",
        [],
        [
            ("1号塘", "草鱼", 6700, "2.0", "paddlewheel", "3.0"),
            ("2号塘", "草鱼", 6700, "2.0", "paddlewheel", "3.0"),
            ("3号塘", "鲢鱼/鳙鱼（套养）", 5300, "2.2", "impeller", "1.5"),
        ],
    ),
    (
        0,
        "421083",
        "新滩南美白对虾淡化养殖场",
        Farm.Kind.AQUACULTURE,
        "30.018",
        "113.882",
        "洪湖市新滩镇",
        [],
        [
            ("高位池A", "南美白对虾", 2000, "1.6", "oxygen_cone", "2.2"),
            ("高位池B", "南美白对虾", 2000, "1.6", "oxygen_cone", "2.2"),
        ],
    ),
    (
        0,
        "421083",
        "瞿家湾莲藕种植基地",
        Farm.Kind.CROP,
        "29.854",
        "113.301",
        "洪湖市瞿家湾镇",
        [("藕田东片", "莲藕", "open_field", "clay", 26700)],
        [],
    ),
    (
        1,
        "421088",
        "程集稻虾共作示范基地",
        Farm.Kind.MIXED,
        "29.872",
        "112.735",
        "监利市程集镇",
        [
            ("稻虾田1区", "水稻（中稻）", "open_field", "clay_loam", 33300),
            ("稻虾田2区", "水稻（中稻）", "open_field", "clay_loam", 33300),
        ],
        [("环沟虾塘", "克氏原螯虾", 8000, "1.0", "none", "0")],
    ),
    (
        1,
        "421088",
        "周老嘴优质稻种植基地",
        Farm.Kind.CROP,
        "29.975",
        "112.905",
        "监利市周老嘴镇",
        [
            ("北片稻田", "水稻（一季中稻）", "open_field", "silt_loam", 66700),
            ("南片稻田", "水稻（一季中稻）", "open_field", "silt_loam", 53300),
        ],
        [],
    ),
    (
        1,
        "421088",
        "大垸鲫鱼养殖场",
        Farm.Kind.AQUACULTURE,
        "29.781",
        "112.998",
        "监利市白螺镇",
        [],
        [
            ("鲫鱼1号塘", "鲫鱼", 8000, "1.8", "paddlewheel", "3.0"),
            ("鲫鱼2号塘", "鲫鱼", 8000, "1.8", "paddlewheel", "3.0"),
        ],
    ),
    (
        2,
        "421022",
        "埠河番茄大棚基地",
        Farm.Kind.CROP,
        "30.265",
        "112.276",
        "公安县埠河镇",
        [
            ("1号连栋大棚", "番茄", "greenhouse", "loam", 4000),
            ("2号连栋大棚", "番茄", "greenhouse", "loam", 4000),
            ("育苗棚", "番茄（育苗）", "greenhouse", "sandy_loam", 1200),
        ],
        [],
    ),
    (
        2,
        "421022",
        "斑竹垱油菜种植基地",
        Farm.Kind.CROP,
        "30.060",
        "112.101",
        "公安县斑竹垱镇",
        [("油菜田", "油菜", "open_field", "loam", 40000)],
        [],
    ),
    (
        2,
        "421022",
        "孟家溪葡萄园",
        Farm.Kind.CROP,
        "29.857",
        "112.084",
        "公安县孟家溪镇",
        [("避雨棚葡萄园", "葡萄（阳光玫瑰）", "greenhouse", "sandy_loam", 13300)],
        [],
    ),
]

# username, full name, role, org index or None, region code or None, farm names (operators)
USERS = [
    ("admin", "系统管理员", Role.ADMIN, None, None, []),
    ("manager_honghu", "周建国", Role.MANAGER, 0, None, []),
    ("manager_jianli", "陈红梅", Role.MANAGER, 1, None, []),
    ("manager_gongan", "刘志强", Role.MANAGER, 2, None, []),
    ("farmer_wang", "王德明", Role.OPERATOR, 0, None, ["大沙湖草鱼养殖场"]),
    ("farmer_li", "李春华", Role.OPERATOR, 1, None, ["程集稻虾共作示范基地"]),
    ("farmer_zhang", "张秀兰", Role.OPERATOR, 2, None, ["埠河番茄大棚基地", "孟家溪葡萄园"]),
    ("bureau_jingzhou", "荆州市农业农村局", Role.BUREAU, None, "421000", []),
    ("bureau_honghu", "洪湖市农业农村局", Role.BUREAU, None, "421083", []),
]


@dataclass(frozen=True)
class DemoSummary:
    organisations: int
    farms: int
    plots: int
    ponds: int
    users: list[tuple[str, str]]


# The GB/T 2260 regions are the farm app's fixture; the demo and load tools load it on demand.
REGIONS_FIXTURE = Path(__file__).resolve().parent.parent / "farm" / "fixtures" / "regions.json"


def ensure_regions() -> int:
    """Load the GB/T 2260 fixture unless every one of its regions is already there.

    Other writers (the fleet simulator, a bench) may have created a few regions of their own;
    checking one code and skipping the rest would leave the demo's counties missing. Loading
    overwrites rows by their code, so their names come out as the fixture has them.
    """
    codes = {row["pk"] for row in json.loads(REGIONS_FIXTURE.read_text(encoding="utf-8"))}
    present = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
    if present == codes:
        return 0
    call_command("loaddata", str(REGIONS_FIXTURE), verbosity=0)
    return len(codes - present)


@transaction.atomic
def seed_demo(password: str = DEMO_PASSWORD) -> DemoSummary:
    """Create or refresh the demo; running it twice changes nothing."""
    ensure_regions()
    orgs = []
    for name, kind, county in ORGS:
        org, _ = Organisation.objects.update_or_create(
            name=name, defaults={"kind": kind, "region_id": county}
        )
        orgs.append(org)
    farms: dict[str, Farm] = {}
    n_plots = n_ponds = 0
    for org_i, county, name, kind, lat, lon, address, plots, ponds in FARMS:
        farm, _ = Farm.objects.update_or_create(
            organisation=orgs[org_i],
            name=name,
            defaults={
                "region_id": county,
                "kind": kind,
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "address": address,
            },
        )
        farms[name] = farm
        for pname, crop, cultivation, soil, area in plots:
            Plot.objects.update_or_create(
                farm=farm,
                name=pname,
                defaults={
                    "crop": crop,
                    "cultivation": cultivation,
                    "soil_texture": soil,
                    "area_m2": Decimal(area),
                },
            )
            n_plots += 1
        for pname, species, area, depth, aeration, kw in ponds:
            Pond.objects.update_or_create(
                farm=farm,
                name=pname,
                defaults={
                    "species": species,
                    "area_m2": Decimal(area),
                    "depth_m": Decimal(depth),
                    "aeration": aeration,
                    "aerator_kw": Decimal(kw),
                },
            )
            n_ponds += 1
    User = get_user_model()
    users = []
    for username, full_name, role, org_i, region, farm_names in USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = full_name
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.set_password(password)
        user.save()
        membership, _ = Membership.objects.update_or_create(
            user=user,
            role=role,
            defaults={
                "organisation": orgs[org_i] if org_i is not None else None,
                "region_id": region,
            },
        )
        membership.farms.set([farms[f] for f in farm_names])
        users.append((username, role.label))
    return DemoSummary(len(orgs), len(farms), n_plots, n_ponds, users)
