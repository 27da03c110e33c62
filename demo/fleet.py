"""A fleet of virtual soil and water nodes speaking ChirpStack v4 over MQTT.

Behaviour, so that charts and alerts have something believable to show:

* pond DO follows the photosynthesis cycle — falling through the night to a
  minimum before dawn, recovering after sunrise, peaking mid-afternoon; pH
  follows DO (CO2 uptake), water temperature lags the sun;
* soil moisture dries towards the wilting point and jumps back at irrigation;
* batteries drain a little with every uplink;
* packets are lost (the frame counter still advances), uplinks are heard by
  one to three gateways, and a few payloads are corrupt.

Payloads use the project's native codec, encoded by the firmware's own encoder
(``firmware/lora_nodes/lib/payload.py``) so the simulator sends what real nodes send.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
TENANT_ID = "52f14cd4-c6f1-4fbd-8f87-4025e1d49242"
APPLICATION_ID = "6f7e3a52-0a4c-4f0e-9d55-3b1c2f0e5a01"
GATEWAYS = ("7276ff002e062a01", "7276ff002e062a02", "7276ff002e062a03")
CORRUPT_HEADER = 0xF0  # payload version 15: no codec accepts it


@cache
def firmware_payload() -> ModuleType:
    """The firmware's encoder module, loaded from its file (it is MicroPython code)."""
    path = REPO / "firmware" / "lora_nodes" / "lib" / "payload.py"
    spec = importlib.util.spec_from_file_location("lora_nodes_payload", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rfc3339(ns: int) -> str:
    seconds, frac = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:09d}+00:00"


def sim_dev_eui(index: int, kind: str) -> str:
    """Stable DevEUIs: 5a 01 (soil) or 5a 02 (water) then the node number."""
    return f"5a{1 if kind == 'soil' else 2:02x}{index:012x}"


@dataclass
class VirtualNode:
    dev_eui: str
    kind: str  # "soil" or "water"
    rng: random.Random
    f_cnt: int = 0
    battery_v: float = 4.1
    vwc: float = 32.0
    phase_h: float = 0.0  # small per-node offset so ponds are not identical
    gateways: tuple[str, ...] = field(default=GATEWAYS)

    def measure(self, when: datetime, interval_s: float) -> dict[str, float]:
        hour = when.hour + when.minute / 60 + self.phase_h
        rng = self.rng
        self.battery_v = max(3.0, self.battery_v - 0.00002 * max(1.0, interval_s / 60))
        if self.kind == "water":
            # Minimum near 04:00, maximum near 16:00 (Boyd, pond DO budget).
            day = math.sin(2 * math.pi * (hour - 10) / 24)
            temp = 26.0 + 2.0 * math.sin(2 * math.pi * (hour - 9) / 24)
            return {
                "do": round(max(0.2, 6.5 + 3.2 * day + rng.gauss(0, 0.15)), 2),
                "water_temp": round(temp + rng.gauss(0, 0.05), 2),
                "ph": round(7.6 + 0.5 * day + rng.gauss(0, 0.03), 2),
                "battery_v": round(self.battery_v, 2),
                "tan": round(max(0.0, 0.6 + 0.2 * math.sin(hour / 3) + rng.gauss(0, 0.03)), 2),
                "salinity": 0.3,
            }
        # Evapotranspiration peaks at midday; irrigation when the plot gets dry.
        sun = max(0.0, math.sin(math.pi * (hour - 6) / 12))
        self.vwc -= (0.02 + 0.25 * sun) * (self.vwc - 8.0) / 30 * max(1.0, interval_s / 600)
        if self.vwc < 18.0:
            self.vwc = 36.0 + rng.uniform(-1, 1)
        return {
            "soil_vwc": round(self.vwc + rng.gauss(0, 0.2), 1),
            "soil_temp": round(21.0 + 4.0 * math.sin(2 * math.pi * (hour - 10) / 24), 2),
            "soil_ec": float(round(120 + 30 * self.vwc + rng.gauss(0, 10))),
            "battery_v": round(self.battery_v, 2),
        }

    def payload(self, readings: dict[str, float]) -> bytes:
        return firmware_payload().encode(self.kind, readings)

    def hearing_gateways(self) -> list[tuple[str, int, float]]:
        n = self.rng.choice((1, 1, 2, 3))
        return [
            (gw, -60 - self.rng.randint(0, 55), round(self.rng.uniform(-8, 11), 1))
            for gw in self.gateways[:n]
        ]


def chirpstack_up(
    node: VirtualNode,
    payload: bytes,
    time_ns: int,
    gateways: list[tuple[str, int, float]],
) -> dict:
    """A ChirpStack v4 ``up`` event as a 4.6+ server emits it (all fields present)."""
    now = rfc3339(time_ns)
    return {
        "deduplicationId": str(uuid.UUID(int=node.rng.getrandbits(128), version=4)),
        "time": now,
        "deviceInfo": {
            "tenantId": TENANT_ID,
            "tenantName": "Agrimon",
            "applicationId": APPLICATION_ID,
            "applicationName": "fleet",
            "deviceProfileId": "0b9c5a7e-1f2d-4c3b-8a69-5d4e3f2a1b0c",
            "deviceProfileName": f"native-{node.kind}",
            "deviceName": f"sim-{node.kind}-{node.dev_eui[-4:]}",
            "devEui": node.dev_eui,
            "deviceClassEnabled": "CLASS_A",
            "tags": {},
        },
        "devAddr": node.dev_eui[-8:],
        "adr": True,
        "dr": 3,
        "fCnt": node.f_cnt,
        "fPort": 1,
        "confirmed": False,
        "data": base64.b64encode(payload).decode("ascii"),
        "rxInfo": [
            {
                "gatewayId": gw,
                "uplinkId": node.rng.getrandbits(32),
                "nsTime": now,
                "rssi": rssi,
                "snr": snr,
                "channel": 2,
                "location": {},
                "context": "AAAAAA==",
                "metadata": {"region_config_id": "cn470_10", "region_common_name": "CN470"},
                "crcStatus": "CRC_OK",
            }
            for gw, rssi, snr in gateways
        ],
        "txInfo": {
            "frequency": 470300000,
            "modulation": {
                "lora": {"bandwidth": 125000, "spreadingFactor": 9, "codeRate": "CR_4_5"}
            },
        },
        "regionConfigId": "cn470_10",
    }


def up_topic(dev_eui: str, prefix: str = "") -> str:
    return f"{prefix}application/{APPLICATION_ID}/device/{dev_eui}/event/up"


@dataclass
class Uplink:
    topic: str
    body: bytes
    dev_eui: str
    f_cnt: int
    corrupt: bool


class Fleet:
    """Virtual nodes; ``tick`` yields the uplinks of one reporting round."""

    def __init__(
        self,
        nodes: int,
        *,
        seed: int = 1,
        lost: float = 0.02,
        corrupt: float = 0.01,
        prefix: str = "",
        first: int = 0,
    ) -> None:
        rng = random.Random(seed)
        self.nodes = [
            VirtualNode(
                sim_dev_eui(i, "water" if i % 2 else "soil"),
                "water" if i % 2 else "soil",
                random.Random(rng.getrandbits(64)),
                vwc=rng.uniform(20, 36),
                phase_h=rng.uniform(-0.5, 0.5),
            )
            for i in range(first, first + nodes)
        ]
        self.lost = lost
        self.corrupt = corrupt
        self.prefix = prefix

    def uplink(self, node: VirtualNode, time_ns: int, interval_s: float) -> Uplink | None:
        node.f_cnt += 1
        if node.rng.random() < self.lost:
            return None  # sent but heard by no gateway: the counter still advanced
        when = datetime.fromtimestamp(time_ns / 1e9, UTC)
        payload = node.payload(node.measure(when, interval_s))
        corrupt = node.rng.random() < self.corrupt
        if corrupt:
            payload = bytes([CORRUPT_HEADER]) + payload[1:]
        doc = chirpstack_up(node, payload, time_ns, node.hearing_gateways())
        body = json.dumps(doc, separators=(",", ":")).encode()
        return Uplink(up_topic(node.dev_eui, self.prefix), body, node.dev_eui, node.f_cnt, corrupt)

    def tick(self, time_ns: int, interval_s: float) -> list[Uplink]:
        out = []
        for i, node in enumerate(self.nodes):
            up = self.uplink(node, time_ns + i, interval_s)  # distinct timestamps per node
            if up is not None:
                out.append(up)
        return out


KIND_NAMES = {"soil": "土壤", "water": "水质"}


def register_fleet(fleet: Fleet) -> int:
    """Create the DeviceProfile and Device rows of simulated nodes that are missing."""
    from farm.models import Plot, Pond
    from sensors.models import Device, DeviceProfile

    for kind in ("soil", "water"):
        DeviceProfile.objects.get_or_create(
            id=f"native-{kind}",
            defaults={"name": f"Agrimon {KIND_NAMES[kind]}节点", "vendor": "Agrimon"},
        )
    plots = list(Plot.objects.select_related("farm").order_by("pk"))
    ponds = list(Pond.objects.select_related("farm").order_by("pk"))
    if not plots or not ponds:
        plot, pond = simulation_sites()
        plots, ponds = plots or [plot], ponds or [pond]
    existing = set(
        Device.objects.filter(dev_eui__in=[n.dev_eui for n in fleet.nodes]).values_list(
            "dev_eui", flat=True
        )
    )
    new = []
    for i, node in enumerate(fleet.nodes):
        if node.dev_eui in existing:
            continue
        site = (ponds if node.kind == "water" else plots)[
            i % len(ponds if node.kind == "water" else plots)
        ]
        new.append(
            Device(
                dev_eui=node.dev_eui,
                name=f"模拟{KIND_NAMES[node.kind]}节点 {i}",  # demo data, in the demo's language
                farm=site.farm,
                site=site,
                profile_id=f"native-{node.kind}",
                install_depth_cm=50 if node.kind == "water" else 20,
            )
        )
    Device.objects.bulk_create(new)
    return len(new)


class BurstTemplates:
    """Pre-rendered uplinks for benchmark bursts: only time and counter change per message.

    Building a full JSON document costs more than publishing it; at thousands of
    uplinks a second the simulator would measure itself instead of the bridge.
    Readings are re-measured every ``refresh`` rounds.
    """

    TIME = "2000-01-01T00:00:00.000000000+00:00"
    FCNT = 999_999_999

    def __init__(self, fleet: Fleet, refresh: int = 200) -> None:
        self.fleet = fleet
        self.refresh = refresh
        self.rounds = 0
        self.parts: list[tuple[str, str, str, str]] = []

    def _render(self, time_ns: int) -> None:
        self.parts = []
        when = datetime.fromtimestamp(time_ns / 1e9, UTC)
        for node in self.fleet.nodes:
            payload = node.payload(node.measure(when, 60))
            doc = chirpstack_up(node, payload, 0, node.hearing_gateways())
            doc["time"] = self.TIME
            doc["fCnt"] = self.FCNT
            for rx in doc["rxInfo"]:
                rx["nsTime"] = self.TIME
            text = json.dumps(doc, separators=(",", ":"))
            head, _, rest = text.partition(self.TIME)
            rest = rest.replace(self.TIME, "")  # nsTime copies: dropped, they are optional
            rest = rest.replace('"nsTime":"",', "")
            middle, _, tail = rest.partition(str(self.FCNT))
            self.parts.append((up_topic(node.dev_eui, self.fleet.prefix), head, middle, tail))

    def round(self) -> list[tuple[str, bytes]]:
        """One uplink per node, stamped now (so publish→write latency can be measured)."""
        if self.rounds % self.refresh == 0:
            self._render(time.time_ns())
        self.rounds += 1
        out = []
        for node, (topic, head, middle, tail) in zip(self.fleet.nodes, self.parts, strict=True):
            node.f_cnt += 1
            stamp = rfc3339(time.time_ns())
            out.append((topic, f"{head}{stamp}{middle}{node.f_cnt}{tail}".encode()))
        return out


def simulation_sites():
    """A plot and a pond to put simulated nodes on when the register has none (fresh installs)."""
    from decimal import Decimal

    from farm.models import Farm, Organisation, Plot, Pond, Region

    province, _ = Region.objects.get_or_create(
        code="420000", defaults={"name": "湖北省", "name_en": "Hubei", "level": "province"}
    )
    city, _ = Region.objects.get_or_create(
        code="421000",
        defaults={"name": "荆州市", "name_en": "Jingzhou", "level": "city", "parent": province},
    )
    county, _ = Region.objects.get_or_create(
        code="421083",
        defaults={"name": "洪湖市", "name_en": "Honghu", "level": "county", "parent": city},
    )
    org, _ = Organisation.objects.get_or_create(name="模拟合作社", defaults={"region": county})
    farm, _ = Farm.objects.get_or_create(
        organisation=org, name="模拟基地", defaults={"region": county, "kind": Farm.Kind.MIXED}
    )
    plot = Plot.objects.filter(farm=farm).first() or Plot.objects.create(
        farm=farm, name="模拟地块", area_m2=Decimal("6667"), crop="水稻"
    )
    pond = Pond.objects.filter(farm=farm).first() or Pond.objects.create(
        farm=farm, name="模拟鱼塘", area_m2=Decimal("6667"), species="草鱼", depth_m=Decimal("2.0")
    )
    return plot, pond
