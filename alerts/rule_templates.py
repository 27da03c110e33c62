"""Default rule templates from domain.md §5, each threshold with its source.

Source tags follow domain.md: [P] primary, [S] secondary, [V] vendor, [config] our
operational default. Templates are Rule rows without an organisation; ``adopt``
copies them into an organisation, where they apply to every site whose species
or crop matches (e.g. every pond with "草鱼").

Each template has two texts, both translated where they are shown (``alerts.rule_text``):
``summary`` says in plain words what the rule watches and what to do, for everyone;
``description`` is the basis with its sources, stored on the rule and shown to managers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from alerts.models import Rule

C = Rule.Condition
M = timedelta(minutes=1)
H = timedelta(hours=1)

GROUPS = {
    # group: (site kind, species/crop contains, cultivation)
    "grass_carp_pond": ("pond", "草鱼", ""),
    "white_shrimp_pond": ("pond", "对虾", ""),
    "greenhouse_tomato": ("plot", "番茄", "greenhouse"),
    "open_rice_field": ("plot", "水稻", "open_field"),
    "devices": ("", "", ""),
}
GROUP_LABELS = {
    "grass_carp_pond": _("Grass-carp ponds"),
    "white_shrimp_pond": _("White-shrimp ponds"),
    "greenhouse_tomato": _("Greenhouse tomatoes"),
    "open_rice_field": _("Open rice fields"),
    "devices": _("Nodes and gateways"),
}


@dataclass(frozen=True)
class Template:
    key: str
    group: str
    name: str
    description: str
    metric: str
    condition: str
    threshold: float | None = None
    threshold_high: float | None = None
    clear: float | None = None
    clear_high: float | None = None
    for_duration: timedelta = timedelta(0)
    for_readings: int = 1
    window: timedelta | None = None
    severity: str = "warning"
    source: str = Rule.Source.METRIC
    params: dict = field(default_factory=dict)
    summary: str = ""


TEMPLATES: list[Template] = [
    # --- (a) grass-carp pond, domain.md §5.1 -----------------------------------------
    Template(
        "gc.do.daily",
        "grass_carp_pond",
        "草鱼塘 溶解氧日达标（GB 11607）",
        gettext_noop(
            "DO must exceed 5 mg/L for more than 16 h of any 24 h (GB 11607-89 table 1 item 5, "
            "S1 [P]): warn once 8 h of the rolling 24 h were at or below 5.0 mg/L."
        ),
        "do",
        C.TIME_BELOW,
        5.0,
        window=24 * H,
        params={"hours": 8},
        summary=gettext_noop(
            "Warns when the oxygen has been at or below 5 mg/L for 8 hours within the last 24 "
            "hours."
        ),
    ),
    Template(
        "gc.do.aerate",
        "grass_carp_pond",
        "草鱼塘 溶解氧偏低（开增氧机）",
        gettext_noop(
            "DO < 4.0 mg/L: aerate (UF/IFAS FA27, S11 [P]). For 10 min and clear at ≥ 4.5 "
            "mg/L are [config]."
        ),
        "do",
        C.BELOW,
        4.0,
        clear=4.5,
        for_duration=10 * M,
        summary=gettext_noop(
            "Oxygen below 4 mg/L for 10 minutes: switch the aerator on. Clears at 4.5 mg/L."
        ),
    ),
    Template(
        "gc.do.floor",
        "grass_carp_pond",
        "草鱼塘 溶解氧低于3 mg/L",
        gettext_noop(
            "DO never below 3 mg/L (GB 11607-89 table 1 item 5, S1 [P]); catfish and shrimp "
            "do better above 3 mg/L (Boyd & Hanson, S12 [P]). For 5 min, clear ≥ 3.5 [config]."
        ),
        "do",
        C.BELOW,
        3.0,
        clear=3.5,
        for_duration=5 * M,
        severity="critical",
        summary=gettext_noop(
            "Oxygen below 3 mg/L for 5 minutes, the lowest the fishery water standard allows. "
            "Clears at 3.5 mg/L."
        ),
    ),
    Template(
        "gc.do.piping",
        "grass_carp_pond",
        "草鱼塘 溶解氧低于2 mg/L（浮头）",
        gettext_noop(
            "Piping and mortality below 2 mg/L (FA27, S11 [P]). Two consecutive readings "
            "and clear at ≥ 3.0 mg/L are [config]."
        ),
        "do",
        C.BELOW,
        2.0,
        clear=3.0,
        for_readings=2,
        severity="critical",
        summary=gettext_noop(
            "Oxygen below 2 mg/L in two readings in a row: fish gasp at the surface and may "
            "die. Clears at 3 mg/L."
        ),
    ),
    Template(
        "gc.do.dawn",
        "grass_carp_pond",
        "草鱼塘 黎明溶解氧预测",
        gettext_noop(
            "Linear projection of the 17:00–18:00 and 20:00–22:00 readings to 07:00; warn "
            "below 4.0 mg/L, critical below 2.0 (FA27 practice, S11 [P]; Boyd–Romaire–Johnston "
            "projection, S47 [P]; method domain.md §1.6). Clears next morning."
        ),
        "do",
        C.DAWN_FORECAST,
        4.0,
        params={"critical_below": 2.0, "deadline": "07:00"},
        summary=gettext_noop(
            "Projects the evening readings to 07:00 and warns when dawn oxygen will fall "
            "below 4 mg/L (critical below 2 mg/L), so aerators start in time."
        ),
    ),
    Template(
        "gc.ph.range",
        "grass_carp_pond",
        "草鱼塘 pH超出6.5–8.5",
        gettext_noop(
            "Freshwater pH 6.5–8.5 (GB 11607-89, S1 [P]). For 60 min and clear inside "
            "6.6–8.4 are [config]."
        ),
        "ph",
        C.OUTSIDE,
        6.5,
        8.5,
        6.6,
        8.4,
        60 * M,
        summary=gettext_noop("pH outside 6.5–8.5 for an hour. Clears back inside 6.6–8.4."),
    ),
    Template(
        "gc.ph.extreme",
        "grass_carp_pond",
        "草鱼塘 pH严重异常",
        gettext_noop(
            "Carp growth inhibited below 6.0 or above 10.0 (S21 [S]). For 30 min, clear "
            "inside 6.5–9.5 [config]."
        ),
        "ph",
        C.OUTSIDE,
        6.0,
        10.0,
        6.5,
        9.5,
        30 * M,
        severity="critical",
        summary=gettext_noop(
            "pH below 6 or above 10 for 30 minutes: carp stop growing. Clears inside 6.5–9.5."
        ),
    ),
    Template(
        "gc.nh3",
        "grass_carp_pond",
        "草鱼塘 非离子氨偏高",
        gettext_noop(
            "NH3 > 0.02 mg/L: aquaculture rule of thumb (S4 [S]), widely attributed to "
            "GB 11607 (row not verified). For 2 h, clear < 0.015 [config]."
        ),
        "nh3",
        C.ABOVE,
        0.02,
        clear=0.015,
        for_duration=2 * H,
        summary=gettext_noop(
            "Un-ionised ammonia above 0.02 mg/L for 2 hours. Clears below 0.015 mg/L."
        ),
    ),
    Template(
        "gc.nh3.high",
        "grass_carp_pond",
        "草鱼塘 非离子氨过高",
        gettext_noop(
            "NH3 > 0.05 mg/L may harm fish, gill damage (UF/IFAS FA16, S38 [P]). For 30 min, "
            "clear < 0.04 [config]."
        ),
        "nh3",
        C.ABOVE,
        0.05,
        clear=0.04,
        for_duration=30 * M,
        severity="critical",
        summary=gettext_noop(
            "Un-ionised ammonia above 0.05 mg/L for 30 minutes: it can damage the gills. "
            "Clears below 0.04 mg/L."
        ),
    ),
    Template(
        "gc.temp.high",
        "grass_carp_pond",
        "草鱼塘 水温过高",
        gettext_noop("Carp appetite drops above 32 °C (S22 [S]). For 2 h [config], clear < 31 °C."),
        "water_temp",
        C.ABOVE,
        32.0,
        clear=31.0,
        for_duration=2 * H,
        summary=gettext_noop(
            "Water above 32 °C for 2 hours: the fish eat less. Clears below 31 °C."
        ),
    ),
    Template(
        "gc.temp.low",
        "grass_carp_pond",
        "草鱼塘 水温偏低（减少投喂）",
        gettext_noop("Below 15 °C carp appetite drops (S22 [S]). For 6 h [config], clear > 16 °C."),
        "water_temp",
        C.BELOW,
        15.0,
        clear=16.0,
        for_duration=6 * H,
        severity="info",
        summary=gettext_noop("Water below 15 °C for 6 hours: feed less. Clears above 16 °C."),
    ),
    Template(
        "gc.nodata",
        "grass_carp_pond",
        "草鱼塘 溶解氧无数据",
        gettext_noop(
            "No DO reading for 3 × the 10 min report interval (S94 [V] default interval; "
            "the multiple is [config])."
        ),
        "do",
        C.NO_DATA,
        window=30 * M,
        summary=gettext_noop("No oxygen reading for 30 minutes (three missed reports)."),
    ),
    # --- (b) white-shrimp pond, domain.md §5.2 ---------------------------------------
    Template(
        "ws.do.stress",
        "white_shrimp_pond",
        "对虾塘 溶解氧偏低",
        gettext_noop(
            "Shrimp stressed below 3–4 mg/L for several hours (GAA operating procedures, "
            "S13 [P]). For 30 min [config], clear ≥ 4.5."
        ),
        "do",
        C.BELOW,
        4.0,
        clear=4.5,
        for_duration=30 * M,
        summary=gettext_noop(
            "Oxygen below 4 mg/L for 30 minutes: the shrimp are stressed. Clears at 4.5 mg/L."
        ),
    ),
    Template(
        "ws.do.floor",
        "white_shrimp_pond",
        "对虾塘 溶解氧低于3 mg/L",
        gettext_noop(
            "DO below 3 mg/L is stressful to shrimp (S13, S14 [P]). For 10 min [config], "
            "clear ≥ 3.5."
        ),
        "do",
        C.BELOW,
        3.0,
        clear=3.5,
        for_duration=10 * M,
        severity="critical",
        summary=gettext_noop("Oxygen below 3 mg/L for 10 minutes. Clears at 3.5 mg/L."),
    ),
    Template(
        "ws.do.lethal",
        "white_shrimp_pond",
        "对虾塘 溶解氧致死水平",
        gettext_noop("Shrimp die below 1 mg/L within hours (S13 [P]). One reading; clear ≥ 2.0."),
        "do",
        C.BELOW,
        1.0,
        clear=2.0,
        severity="critical",
        summary=gettext_noop(
            "Oxygen below 1 mg/L in any reading: shrimp die within hours. Clears at 2 mg/L."
        ),
    ),
    Template(
        "ws.do.dawn",
        "white_shrimp_pond",
        "对虾塘 黎明溶解氧预测",
        gettext_noop(
            "Linear projection (domain.md §1.6; S11, S47 [P]) below 3.0 mg/L, the minimum "
            "daily DO for shrimp growth (Boyd & Hanson, S12 [P]); deadline 07:00 stands in "
            "for sunrise."
        ),
        "do",
        C.DAWN_FORECAST,
        3.0,
        params={"deadline": "07:00"},
        summary=gettext_noop(
            "Projects the evening readings to 07:00 and warns when dawn oxygen will fall "
            "below 3 mg/L."
        ),
    ),
    Template(
        "ws.temp",
        "white_shrimp_pond",
        "对虾塘 水温超出25–32 °C",
        gettext_noop(
            "Penaeids best 26–30 °C, > 32 °C cause for concern (Boyd, S25 [P]; FAO, S26 [P]). "
            "For 2 h [config], clear inside 26–31 °C."
        ),
        "water_temp",
        C.OUTSIDE,
        25.0,
        32.0,
        26.0,
        31.0,
        2 * H,
        summary=gettext_noop("Water outside 25–32 °C for 2 hours. Clears inside 26–31 °C."),
    ),
    Template(
        "ws.salinity",
        "white_shrimp_pond",
        "对虾塘 盐度过低",
        gettext_noop("L. vannamei tolerates 0.5–45 ppt (S24 [S]). For 1 h [config], clear ≥ 0.6."),
        "salinity",
        C.BELOW,
        0.5,
        clear=0.6,
        for_duration=H,
        summary=gettext_noop("Salinity below 0.5 ppt for an hour. Clears at 0.6 ppt."),
    ),
    Template(
        "ws.nh3",
        "white_shrimp_pond",
        "对虾塘 非离子氨超过安全水平",
        gettext_noop(
            # xgettext:no-python-format
            "NH3-N safety level 0.12 mg/L at 15 ppt (Lin & Chen 2001, S27 [P]); the lowest "
            "bracket is used (0.16 applies from 20 ppt). The Emerson formula over-estimates "
            "NH3 in brackish water, a conservative error. For 1 h [config], clear < 80 %."
        ),
        "nh3",
        C.ABOVE,
        0.12,
        clear=0.096,
        for_duration=H,
        severity="critical",
        summary=gettext_noop(
            "Un-ionised ammonia above 0.12 mg/L for an hour. Clears below 0.096 mg/L."
        ),
    ),
    Template(
        "ws.ph",
        "white_shrimp_pond",
        "对虾塘 pH超出范围",
        gettext_noop(
            "GB 11607-89 (S1 [P]): freshwater 6.5–8.5, seawater 7.0–8.5; the template uses "
            "the freshwater band for ponds acclimated to low salinity (raise the lower limit "
            "to 7.0 for sea water). No shrimp-specific pH source found. For 60 min [config]."
        ),
        "ph",
        C.OUTSIDE,
        6.5,
        8.5,
        for_duration=60 * M,
        summary=gettext_noop(
            "pH outside 6.5–8.5 for an hour (raise the lower limit to 7.0 for sea water)."
        ),
    ),
    Template(
        "ws.nodata",
        "white_shrimp_pond",
        "对虾塘 溶解氧无数据",
        gettext_noop("No DO reading for 3 × the 10 min report interval [config]."),
        "do",
        C.NO_DATA,
        window=30 * M,
        summary=gettext_noop("No oxygen reading for 30 minutes (three missed reports)."),
    ),
    # --- (c) greenhouse tomato, domain.md §5.3 ---------------------------------------
    Template(
        "gt.irrigate",
        "greenhouse_tomato",
        "番茄大棚 需要灌溉",
        gettext_noop(
            # xgettext:no-python-format
            "θ ≤ θFC − 0.40 (θFC − θWP): FAO-56 ch. 8 with tomato p = 0.40 (Table 22, S59, "
            "S60 [P]); loam θFC 0.28 / θWP 0.14 (Rawls et al., S62 [P]) gives 22.4 %. Adjust "
            "for the plot's texture. For 30 min, clear at trigger + 2 % [config]."
        ),
        "soil_vwc",
        C.BELOW,
        22.4,
        clear=24.4,
        for_duration=30 * M,
        summary=gettext_noop(
            # xgettext:no-python-format
            "Soil moisture below 22.4 % for 30 minutes: time to irrigate. Clears at 24.4 %."
        ),
    ),
    Template(
        "gt.drought",
        "greenhouse_tomato",
        "番茄大棚 土壤干旱",
        gettext_noop(
            # xgettext:no-python-format
            "θ at Ks = 0.5: θFC − 0.70 (θFC − θWP) (FAO-56 Ks equation, S59 [P]); loam → "
            "18.2 %. Ks 0.5 is our policy [config]. Clear above the irrigation trigger."
        ),
        "soil_vwc",
        C.BELOW,
        18.2,
        clear=22.4,
        for_duration=30 * M,
        severity="critical",
        summary=gettext_noop(
            # xgettext:no-python-format
            "Soil moisture below 18.2 % for 30 minutes: the crop suffers from drought. Clears "
            "above the irrigation level."
        ),
    ),
    Template(
        "gt.heat",
        "greenhouse_tomato",
        "番茄大棚 气温过高",
        gettext_noop(
            "Poor fertilisation above 30 °C at flowering/fruit set (S70 [S]). For 2 h "
            "[config], clear < 29 °C."
        ),
        "air_temp",
        C.ABOVE,
        30.0,
        clear=29.0,
        for_duration=2 * H,
        summary=gettext_noop(
            "Air above 30 °C for 2 hours: flowers set fruit poorly. Clears below 29 °C."
        ),
    ),
    Template(
        "gt.heat.severe",
        "greenhouse_tomato",
        "番茄大棚 高温停止生长",
        gettext_noop("Tomato growth stops at 40 °C (S70 [S]). For 15 min [config], clear < 35 °C."),
        "air_temp",
        C.ABOVE,
        39.9,
        clear=35.0,
        for_duration=15 * M,
        severity="critical",
        summary=gettext_noop(
            "Air at 40 °C for 15 minutes: tomatoes stop growing. Clears below 35 °C."
        ),
    ),
    Template(
        "gt.cold",
        "greenhouse_tomato",
        "番茄大棚 低温",
        gettext_noop(
            "Growth stops at 5 °C, dies at −1 to −2 °C (S70 [S]). ≤ 5 °C for 15 min "
            "[config], clear > 6 °C."
        ),
        "air_temp",
        C.BELOW,
        5.01,
        clear=6.0,
        for_duration=15 * M,
        severity="critical",
        summary=gettext_noop(
            "Air at or below 5 °C for 15 minutes: growth stops, and frost kills below −1 °C. "
            "Clears above 6 °C."
        ),
    ),
    Template(
        "gt.rootzone",
        "greenhouse_tomato",
        "番茄大棚 地温偏低",
        gettext_noop(
            "Root-zone optimum 20–23 °C; < 15 °C slows growth (S70 [S]). For 6 h [config], "
            "clear ≥ 16 °C."
        ),
        "soil_temp",
        C.BELOW,
        15.0,
        clear=16.0,
        for_duration=6 * H,
        severity="info",
        summary=gettext_noop("Soil below 15 °C for 6 hours: roots grow slowly. Clears at 16 °C."),
    ),
    Template(
        "gt.humidity",
        "greenhouse_tomato",
        "番茄大棚 湿度高（灰霉病风险）",
        gettext_noop(
            # xgettext:no-python-format
            "Keep RH < 90 % (S74 [P]); infection risk grows with wetness > 4 h (METOS, "
            "S73 [V]). This template watches the RH part only (≥ 90 % for 4 h, clear < 85 % "
            "[config]); the 15–28 °C condition of domain.md §5.3 is not applied."
        ),
        "air_rh",
        C.ABOVE,
        89.9,
        clear=85.0,
        for_duration=4 * H,
        summary=gettext_noop(
            # xgettext:no-python-format
            "Humidity at 90 % or more for 4 hours: risk of grey mould, ventilate. Clears "
            "below 85 %."
        ),
    ),
    # --- (d) open rice field, domain.md §5.4 -----------------------------------------
    Template(
        "rf.irrigate",
        "open_rice_field",
        "稻田 需要灌溉（非淹水期）",
        gettext_noop(
            # xgettext:no-python-format
            "θ ≤ θFC − 0.20 (θFC − θWP): FAO-56 rice p = 0.20 (Table 22, S60 [P]); loam "
            "0.28 / 0.14 (S62 [P]) gives 25.2 %. Non-flooded phases only: disable while the "
            "field is flooded. For 1 h, clear + 2 % [config]."
        ),
        "soil_vwc",
        C.BELOW,
        25.2,
        clear=27.2,
        for_duration=H,
        summary=gettext_noop(
            # xgettext:no-python-format
            "Soil moisture below 25.2 % for an hour: irrigate. Disable this rule while the "
            "field is flooded."
        ),
    ),
    Template(
        "rf.heading.heat",
        "open_rice_field",
        "稻田 抽穗期高温",
        gettext_noop(
            "Avoid > 35 °C at heading/flowering (S68 [S]). For 2 h [config], clear < 34 °C."
        ),
        "air_temp",
        C.ABOVE,
        35.0,
        clear=34.0,
        for_duration=2 * H,
        summary=gettext_noop(
            "Air above 35 °C for 2 hours at heading and flowering. Clears below 34 °C."
        ),
    ),
    Template(
        "rf.bph.field",
        "open_rice_field",
        "稻田 稻飞虱达防治指标",
        gettext_noop(
            "Treat at 1 000 brown planthoppers per 100 hills (韶关 bulletin, S84 [P]); the "
            "count must be a field survey or camera estimate per 100 hills, not a lamp count."
        ),
        "brown_planthopper_per_100_hills",
        C.ABOVE,
        999.0,
        clear=999.0,
        severity="critical",
        source=Rule.Source.DETECTION,
        summary=gettext_noop(
            "Brown planthoppers reach 1,000 per 100 hills: time to treat. Needs a field "
            "survey or a camera estimate per 100 hills, not a light-trap count."
        ),
    ),
    # --- devices ---------------------------------------------------------------------
    Template(
        "device.battery",
        "devices",
        "节点电池电压低",
        gettext_noop(
            "Dragino recommends replacing Li-SOCl2 batteries below 2.7 V (S104 [V]); clear "
            "at 2.9 V [config]."
        ),
        "battery_v",
        C.BATTERY_BELOW,
        2.7,
        clear=2.9,
        source=Rule.Source.DEVICE,
        summary=gettext_noop("A node's battery is below 2.7 V: replace it. Clears at 2.9 V."),
    ),
    Template(
        "device.gateway",
        "devices",
        "网关离线",
        gettext_noop(
            "No uplink through the gateway for 15 min [config]; holds back the no-data "
            "alerts of its farm."
        ),
        "",
        C.GATEWAY_SILENT,
        window=15 * M,
        severity="critical",
        source=Rule.Source.DEVICE,
        summary=gettext_noop(
            "No uplink through a gateway for 15 minutes; meanwhile the farm's no-data alerts "
            "are held back."
        ),
    ),
]


def _fields(t: Template) -> dict:
    kind, text, cultivation = GROUPS[t.group]
    return {
        "name": t.name,
        "description": t.description,
        "source": t.source,
        "metric": t.metric,
        "match_kind": kind,
        "match_text": text,
        "match_cultivation": cultivation,
        "condition": t.condition,
        "threshold": t.threshold,
        "threshold_high": t.threshold_high,
        "clear_threshold": t.clear,
        "clear_threshold_high": t.clear_high,
        "window": t.window,
        "for_duration": t.for_duration,
        "for_readings": t.for_readings,
        "params": t.params,
        "severity": t.severity,
    }


def by_key(key: str) -> Template | None:
    return next((t for t in TEMPLATES if t.key == key), None)


def fields_of(key: str) -> dict | None:
    """A template's rule fields, to start a new rule from (the form may change them)."""
    t = by_key(key)
    return None if t is None else {"template_key": t.key, **_fields(t)}


@transaction.atomic
def seed() -> int:
    """Create or refresh the template rows; running it twice changes nothing."""
    for t in TEMPLATES:
        Rule.objects.update_or_create(
            organisation=None, is_template=True, template_key=t.key, defaults=_fields(t)
        )
    return len(TEMPLATES)


@transaction.atomic
def adopt(organisation_id: int, groups: list[str] | None = None) -> list[Rule]:
    """Copy templates into an organisation; a rule it already adopted is left as edited."""
    adopted = []
    for t in TEMPLATES:
        if groups and t.group not in groups:
            continue
        rule, _ = Rule.objects.get_or_create(
            organisation_id=organisation_id,
            is_template=False,
            template_key=t.key,
            defaults=_fields(t),
        )
        adopted.append(rule)
    return adopted
