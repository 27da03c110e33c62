"""Demo lots for the seeded farms: one per stage of the life-cycle, so every page has content.

- 大沙湖 grass carp: fed, treated with a drug whose withdrawal is counted in days,
  harvested, tested, released and shipped — a complete public scan page.
- 大沙湖 silver/bighead carp, still growing, inside a degree-day withdrawal period: the
  compliance gate shows what blocks it and until when.
- 程集 rice with a GTIN (GS1 Digital Link label): sprayed, harvested after the
  pre-harvest interval, tested, released, packed into cases and sold.
- 程集 crayfish, harvested, whose residue test failed: held, so no label or certificate
  is printed for it and its public page says it is not released and why.

The demo organisations get the address and phone a 合格证 prints, when they have none.

Dates are relative to today, so the demo stays current. Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from farm.models import Organisation, Plot, Pond
from traceability import lots
from traceability.digital_link import gtin_check_digit
from traceability.models import Lot, ProducerDetails

# A GTIN under GS1's demonstration prefix 0950600 (used in GS1's own examples).
RICE_GTIN = "0950600013435" + gtin_check_digit("0950600013435")


@dataclass
class TraceDemo:
    created: list[str]

    def __str__(self) -> str:
        return f"{len(self.created)} demo lot(s) created" if self.created else "demo lots present"


def _user(username: str):
    return get_user_model().objects.filter(username=username).first()


def _ago(days: int) -> date:
    return date.today() - timedelta(days=days)


def _grass_carp(manager) -> Lot:
    pond = Pond.objects.get(farm__name="大沙湖草鱼养殖场", name="1号塘")
    lot = lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="草鱼",
            product_name_en="Grass carp",
            lot_number="DSH-CY-01",
            quantity=Decimal("3000"),
            growing_started=_ago(240),
        ),
        user=manager,
    )
    lots.record_input(
        pond, manager, kind="feed", product="草鱼配合饲料", dose=Decimal("900"),
        dose_unit="kg", applied_on=_ago(30),
    )  # fmt: skip
    lots.record_input(
        pond, manager, kind="vet_drug", product="硫酸新霉素粉", active_ingredient="新霉素",
        dose=Decimal("2"), dose_unit="kg", applied_on=_ago(45), withdrawal_days=21,
        disease="细菌性肠炎",
    )  # fmt: skip
    lots.harvest(lot, _ago(4), user=manager)
    lots.inspect(
        lot, tested_on=_ago(3), result="pass", items=["孔雀石绿", "氯霉素", "硝基呋喃类"],
        lab="洪湖市农产品质量安全检测站", report_ref="HH-2026-1187", user=manager,
    )  # fmt: skip
    lots.release(lot, manager)
    lots.ship(lot, destination="武汉白沙洲农副产品大市场", user=manager)
    return lot


def _growing_carp(manager) -> Lot:
    pond = Pond.objects.get(farm__name="大沙湖草鱼养殖场", name="3号塘")
    lot = lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="鲢鳙鱼",
            product_name_en="Silver and bighead carp",
            lot_number="DSH-LY-01",
            quantity=Decimal("2200"),
            growing_started=_ago(200),
        ),
        user=manager,
    )
    lots.record_input(
        pond, manager, kind="vet_drug", product="氟苯尼考粉", active_ingredient="氟苯尼考",
        dose=Decimal("1.5"), dose_unit="kg", applied_on=_ago(3), withdrawal_degree_days=375,
        disease="细菌性败血症",
    )  # fmt: skip
    return lot


def _rice(manager) -> Lot:
    plot = Plot.objects.get(farm__name="程集稻虾共作示范基地", name="稻虾田1区")
    lot = lots.create_lot(
        lots.NewLot(
            origin=plot,
            product_name="虾稻米",
            product_name_en="Crayfish-paddy rice",
            lot_number="CJ-DM-01",
            quantity=Decimal("5000"),
            gtin=RICE_GTIN,
            growing_started=_ago(160),
        ),
        user=manager,
    )
    lots.record_input(
        plot, manager, kind="fertiliser", product="水稻专用复合肥（15-15-15）",
        dose=Decimal("1000"), dose_unit="kg", applied_on=_ago(120),
    )  # fmt: skip
    lots.record_input(
        plot, manager, kind="pesticide", product="吡虫啉可湿性粉剂", active_ingredient="吡虫啉",
        registration_no="PD20070380", dose=Decimal("6"), dose_unit="kg", applied_on=_ago(60),
        phi_days=14,
    )  # fmt: skip
    lots.harvest(lot, _ago(20), user=manager)
    lots.inspect(
        lot, tested_on=_ago(18), result="pass", items=["吡虫啉", "毒死蜱", "镉"],
        lab="监利市农产品质量安全检测站", report_ref="JL-2026-0452", user=manager,
    )  # fmt: skip
    lots.release(lot, manager)
    lots.pack(lot, 40, Decimal("25"), user=manager)
    lots.sell(lot, "荆州市沙市区粮油批发市场", "INV-2026-0931", user=manager,
              now=datetime.now(UTC))  # fmt: skip
    return lot


def _held_crayfish(manager) -> Lot:
    pond = Pond.objects.get(farm__name="程集稻虾共作示范基地", name="环沟虾塘")
    lot = lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="小龙虾",
            product_name_en="Crayfish",
            lot_number="CJ-LX-01",
            quantity=Decimal("1200"),
            growing_started=_ago(90),
        ),
        user=manager,
    )
    lots.record_input(
        pond, manager, kind="vet_drug", product="恩诺沙星粉", active_ingredient="恩诺沙星",
        dose=Decimal("0.5"), dose_unit="kg", applied_on=_ago(30), withdrawal_days=25,
        disease="细菌性肠炎",
    )  # fmt: skip
    lots.harvest(lot, _ago(2), user=manager)
    lots.inspect(
        lot, tested_on=_ago(1), result="fail", items=["恩诺沙星", "环丙沙星"],
        lab="监利市农产品质量安全检测站", report_ref="JL-2026-0517", user=manager,
    )  # fmt: skip
    return lot


# What a 合格证 prints about the demo producers (invented addresses and numbers).
PRODUCERS = {
    "洪湖市清水湖水产养殖专业合作社": ("湖北省洪湖市大沙湖农场清水湖路 8 号", "0716-2000001"),
    "监利市稻香虾稻种养专业合作社": ("湖北省监利市程集镇稻香大道 16 号", "0716-3000002"),
    "公安县绿源果蔬种植有限公司": ("湖北省公安县斗湖堤镇绿源路 3 号", "0716-5000003"),
}


def _producer_details() -> None:
    for name, (address, phone) in PRODUCERS.items():
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            continue
        ProducerDetails.objects.get_or_create(organisation=org, defaults={"address": address})
        if not org.contact_phone:
            Organisation.objects.filter(pk=org.pk).update(contact_phone=phone)


def seed_trace_demo() -> TraceDemo:
    """Create the demo lots that are missing (needs ``seed_demo`` first)."""
    created = []
    plans = [
        ("DSH-CY-01", "manager_honghu", _grass_carp),
        ("DSH-LY-01", "manager_honghu", _growing_carp),
        ("CJ-DM-01", "manager_jianli", _rice),
        ("CJ-LX-01", "manager_jianli", _held_crayfish),
    ]
    _producer_details()
    for number, username, build in plans:
        if Lot.objects.filter(lot_number=number).exists():
            continue
        build(_user(username))
        created.append(number)
    return TraceDemo(created)
