"""Firmware to InfluxDB, end to end: the node's own bytes through the real bridge.

Why: the firmware encoder and the server decoder are each checked against the shared vectors,
and the bridge is tested with simulator payloads. This closes the loop: the soil and water node
applications run on the host HAL (simulated Modbus probes, DS18B20, ADCs and a simulated Wio-E5),
the frames the node asked its modem to send are wrapped as ChirpStack v4 uplinks, published to
Mosquitto, and the real bridge writes them to InfluxDB. Whatever the node measured must come
back out within the payload's resolution, and a failed probe must arrive as a flagged fault,
never as a number. A drift anywhere (probe scaling, encoder, envelope, decoder, calibration,
plausibility limits, line protocol) shows up here.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.fleet import GATEWAYS, VirtualNode, chirpstack_up, up_topic
from sensors.models import Device
from sensors.tests import conftest as ingest
from sensors.tests.conftest import (
    BridgeThread,
    Publisher,
    count_uplinks,
    make_bridge_config,
    make_farm,
    wait_until,
)
from sensors.timeseries import TimeSeries
from vocabulary.events import ReadingEvent

# The ingestion fixtures (a session Mosquitto, a throw-away InfluxDB database, a QoS 1
# publisher), re-exported so pytest finds them here: tests/ does not see sensors/tests/conftest.
mosquitto = ingest.mosquitto
influx = ingest.influx
publisher = ingest.publisher

# The firmware is MicroPython code importable under CPython, as in
# firmware/lora_nodes/tests/conftest.py: put its lib, host HAL and apps on sys.path.
FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware" / "lora_nodes"
for _sub in ("lib", "host", "soil_node", "water_node"):
    _path = str(FIRMWARE_DIR / _sub)
    if _path not in sys.path:
        sys.path.insert(0, _path)

import simprobes  # noqa: E402
import soil_app  # noqa: E402
import water_app  # noqa: E402
from ds18b20 import crc8  # noqa: E402
from hal import ADC, HostUART, Pin  # noqa: E402
from hostclock import VirtualClock  # noqa: E402
from simmodem import SimWioE5  # noqa: E402

# Resolution (1 / multiplier) of every payload field: firmware/lora_nodes/PAYLOAD.md, the
# "Soil core", "Water core" and "Extension records" tables. Encoding rounds to the nearest
# step, so a value comes back within half of it.
RESOLUTION: dict[str, float] = {
    "soil_vwc": 0.1,
    "soil_temp": 0.01,
    "soil_ec": 1,
    "battery_v": 0.02,
    "do": 0.01,
    "water_temp": 0.01,
    "ph": 0.01,
    "soil_ph": 0.01,
    "soil_n": 1,
    "soil_p": 1,
    "soil_k": 1,
    "air_temp": 0.01,
    "air_rh": 0.1,
    "do_sat": 0.1,
    "orp": 1,
    "tan": 0.01,
    "nitrite": 0.001,
    "salinity": 0.01,
    "turbidity": 0.1,
    "water_level": 0.1,
    "battery_pct": 1,
}
SOIL_PROBE_METRICS = ("soil_vwc", "soil_temp", "soil_ec", "soil_ph", "soil_n", "soil_p", "soil_k")
RADIO = {"rssi", "snr", "f_cnt", "gateways"}  # written by the bridge for every uplink
INTERVAL_MS = 15 * 60_000  # the nodes' default report interval
KEYS = {"join_eui": "0000000000000000", "app_key": "2B7E151628AED2A6ABF7158809CF4F3C"}
SOIL_EUI = "70b3d57ed00000a1"
WATER_EUI = "70b3d57ed00000a2"
# pH front end of the water board (water_node/board.py) and a two-buffer calibration with
# the ideal 59.16 mV/pH slope at 25 °C, isopotential point at 0 mV.
PH_MV_PER_COUNT = 3300 / 65535
PH_OFFSET_MV = 1650.0
PH_CAL = [7.0, 0.0, 4.0, 177.48, 25.0]


def ds18b20_scratchpad(temp_c: float) -> bytes:
    """A DS18B20 scratchpad (12-bit, 1/16 °C steps) with its Dallas CRC-8."""
    raw = round(temp_c * 16) & 0xFFFF
    body = bytes([raw & 0xFF, raw >> 8, 0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10])
    return body + bytes([crc8(body)])


def ph_adc_counts(ph: float, temp_c: float) -> int:
    """ADC counts the pH amplifier gives for ``ph`` at ``temp_c`` (Nernst slope, PH_CAL)."""
    slope = 59.16 * (temp_c + 273.15) / 298.15
    return round(((7.0 - ph) * slope + PH_OFFSET_MV) / PH_MV_PER_COUNT)


class TimedWioE5(SimWioE5):
    """The simulated Wio-E5, also noting the virtual time at which each uplink was sent."""

    def __init__(self) -> None:
        SimWioE5.__init__(self)
        self.sent_at: list[int] = []

    def uplink(self, name: str, hexdata: str) -> None:
        before = len(self.uplinks)
        SimWioE5.uplink(self, name, hexdata)
        if len(self.uplinks) > before:
            self.sent_at.append(self.now())


@dataclass
class Sent:
    """One frame the node handed its modem, with the node's latest measurement."""

    dev_eui: str
    kind: str
    frame: bytes
    readings: dict[str, Any]
    time_ns: int
    f_cnt: int


@dataclass
class Measurement:
    """What the node measured and when (virtual clock mapped onto wall time)."""

    time_ns: int
    readings: dict[str, Any]


@dataclass
class HostNode:
    """A node application on the host HAL; ``wake`` runs one cycle and returns its frames."""

    kind: str
    dev_eui: str
    app: Any
    hw: dict[str, Any]
    modem: TimedWioE5
    probe: Any
    start_ns: int
    start_ms: int
    measured: list[Measurement] = field(default_factory=list)
    f_cnt: int = 0

    def __post_init__(self) -> None:
        measure = self.app.measure

        def recording() -> dict[str, Any]:
            readings = measure()
            self.measured.append(Measurement(self.wall_ns(), dict(readings)))
            return readings

        self.app.measure = recording

    def wall_ns(self, ms: int | None = None) -> int:
        ms = self.hw["clock"].ticks_ms() if ms is None else ms
        return self.start_ns + (ms - self.start_ms) * 1_000_000

    def wake(self) -> list[Sent]:
        """One cycle; every frame sent becomes an uplink (fCnt counts up, time = send time)."""
        before, measured_before = len(self.modem.uplinks), len(self.measured)
        self.app.wake()
        assert len(self.measured) == measured_before + 1, "one full measurement per report"
        readings = self.measured[-1].readings
        sent = []
        frames = self.modem.uplinks[before:]
        for (port, frame, _confirmed), at in zip(frames, self.modem.sent_at[before:], strict=True):
            assert port == 1, "native payloads go on FPort 1 (PAYLOAD.md, Transport)"
            self.f_cnt += 1
            sent.append(
                Sent(self.dev_eui, self.kind, frame, readings, self.wall_ns(at), self.f_cnt)
            )
        self.hw["clock"].advance(INTERVAL_MS)
        return sent


def _hw(clock: VirtualClock, modem: TimedWioE5, probe: Any, **extra: Any) -> dict[str, Any]:
    hw = {
        "clock": clock,
        "modem_uart": HostUART(modem, clock),
        "rs485_uart": HostUART(probe, clock, 4800),
        "rs485_de": Pin(6, Pin.OUT),
        "sensor_power": Pin(7, Pin.OUT),
        "battery_adc": ADC(values=(36000,)),
    }
    hw.update(extra)
    return hw


def soil_node(start_ns: int, **overrides: Any) -> HostNode:
    """The soil application with a family-A 7-in-1 RS485 probe (NPK on)."""
    clock, modem = VirtualClock(), TimedWioE5()
    probe = simprobes.soil_probe_family_a(30.0, 20.0, 800, 6.5, 30, 10, 80)
    hw = _hw(clock, modem, probe, moisture_adc=ADC(), ds=simprobes.DS18X20Sim())
    cfg = {"modem": "wio-e5", "soil_probe": "A", "with_npk": True, "dev_eui": SOIL_EUI.upper()}
    cfg.update(KEYS)
    cfg.update(overrides)
    app = soil_app.build(hw, cfg, {})
    return HostNode("soil", SOIL_EUI, app, hw, modem, probe, start_ns, clock.ticks_ms())


def water_node(start_ns: int) -> HostNode:
    """The pond application: optical DO probe, DS18B20, calibrated pH electrode."""
    clock, modem = VirtualClock(), TimedWioE5()
    probe = simprobes.do_probe(85.0, 7.0, 25.0)
    hw = _hw(clock, modem, probe, ph_adc=ADC(), ds=simprobes.DS18X20Sim([ds18b20_scratchpad(25.0)]))
    cfg = {
        "modem": "wio-e5",
        "ph_mv_per_count": PH_MV_PER_COUNT,
        "ph_offset_mv": PH_OFFSET_MV,
        "ph_cal": PH_CAL,
        "dev_eui": WATER_EUI.upper(),
    }
    cfg.update(KEYS)
    app = water_app.build(hw, cfg, {})
    return HostNode("water", WATER_EUI, app, hw, modem, probe, start_ns, clock.ticks_ms())


def set_soil(
    node: HostNode,
    vwc: float,
    temp: float,
    ec: int,
    ph: float,
    n: int,
    p: int,
    k: int,
    battery_counts: int,
) -> None:
    """Program the RS485 probe's registers and the battery divider's ADC."""
    node.probe.registers = simprobes.soil_probe_family_a(vwc, temp, ec, ph, n, p, k).registers
    node.hw["battery_adc"].set(battery_counts)


def set_water(
    node: HostNode, do_sat: float, do: float, temp: float, ph: float, battery_counts: int
) -> None:
    """Program the DO probe, the DS18B20, the pH amplifier's ADC and the battery ADC."""
    simprobes.set_do(node.probe, do_sat, do, temp)
    node.hw["ds"].scratchpads = [ds18b20_scratchpad(temp)]
    node.hw["ph_adc"].set(ph_adc_counts(ph, temp))
    node.hw["battery_adc"].set(battery_counts)


def as_message(sent: Sent, prefix: str) -> tuple[str, bytes]:
    """The frame as ChirpStack v4 would publish it (``demo.fleet.chirpstack_up``)."""
    envelope = VirtualNode(sent.dev_eui, sent.kind, random.Random(sent.f_cnt), f_cnt=sent.f_cnt)
    doc = chirpstack_up(envelope, sent.frame, sent.time_ns, [(GATEWAYS[0], -87, 6.5)])
    return up_topic(sent.dev_eui, prefix), json.dumps(doc).encode()


def within_resolution(metric: str, got: float, measured: float) -> bool:
    return abs(got - measured) <= RESOLUTION[metric] / 2 + 1e-9


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def devices(transactional_db) -> dict[str, Device]:
    """A soil and a water node, committed so the bridge thread's connection sees them.

    ``calibration={}`` is the identity: the bridge must write what the node measured.
    """
    site = make_farm(" 固件")
    common = {"farm": site["farm"], "calibration": {}}
    return {
        "soil": Device.objects.create(
            dev_eui=SOIL_EUI, site=site["plot"], profile_id="native-soil", **common
        ),
        "water": Device.objects.create(
            dev_eui=WATER_EUI, site=site["pond"], profile_id="native-water", **common
        ),
    }


@pytest.fixture
def bridge(mosquitto, influx, devices, tmp_path) -> Iterator[BridgeThread]:
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "state")
    hooked: list[list[ReadingEvent]] = []
    b = BridgeThread(config, on_readings=hooked.append)
    b.hooked = hooked
    b.start()
    try:
        yield b
    finally:
        b.stop()


def publish_and_wait(
    bridge: BridgeThread, publisher: Publisher, influx: TimeSeries, sent: list[Sent]
) -> None:
    prefix = bridge.bridge.config.topic_prefix
    publisher.publish([as_message(s, prefix) for s in sent])
    wait_until(lambda: count_uplinks(influx) == len(sent), 15, f"{len(sent)} uplinks written")
    assert bridge.bridge.counters.dead_lettered == 0
    assert bridge.bridge.counters.duplicates == 0


def window(sent: list[Sent]) -> tuple[datetime, datetime]:
    times = [s.time_ns for s in sent]
    start = datetime.fromtimestamp(min(times) / 1e9, UTC) - timedelta(minutes=1)
    return start, datetime.fromtimestamp(max(times) / 1e9, UTC) + timedelta(minutes=1)


# --- tests ---------------------------------------------------------------------------------


def test_node_measurements_come_out_of_influxdb_as_measured(
    bridge, publisher, influx, devices
) -> None:
    start_ns = (int(time.time()) - 3 * 3600) * 1_000_000_000
    soil, water = soil_node(start_ns), water_node(start_ns + 500_000_000)
    sent: list[Sent] = []
    # vwc %, soil °C, EC µS/cm, soil pH, N, P, K mg/kg, battery ADC counts
    soil_steps = [
        (31.2, 21.1, 860, 6.5, 37, 12, 88, 36000),
        (28.7, 19.4, 1250, 6.8, 41, 15, 92, 35500),
        (25.3, -3.2, 410, 5.9, 30, 9, 75, 34000),  # a frost: negative i16
    ]
    for step in soil_steps:
        set_soil(soil, *step)
        frames = soil.wake()
        assert len(frames) == 1, "a joined soil node sends one 23-byte frame per report"
        sent += frames
        probe_values = dict(zip(SOIL_PROBE_METRICS, step[:7], strict=True))
        assert {m: soil.measured[-1].readings[m] for m in probe_values} == probe_values
    # DO saturation %, DO mg/L, water °C (DS18B20 steps of 1/16), pH, battery ADC counts.
    # DO stays above the 3 mg/L floor and falls slower than 1 mg/L/h: no event re-measure.
    water_steps = [
        (85.0, 6.85, 25.0, 7.50, 36000),
        (88.4, 7.02, 26.125, 7.62, 35800),
        (80.2, 6.90, 24.5, 7.31, 35600),
    ]
    for step in water_steps:
        set_water(water, *step)
        frames = water.wake()
        assert len(frames) == 1, "a joined water node sends one frame per report"
        sent += frames
        got = water.measured[-1].readings
        assert got["do"] == pytest.approx(step[1]) and got["water_temp"] == step[2]
        assert got["ph"] == pytest.approx(step[3], abs=0.005)  # ADC quantisation only
    assert all(not s.frame[0] & 0x07 for s in sent), "plain frames: no event/backlog/split"

    publish_and_wait(bridge, publisher, influx, sent)

    for kind, device in devices.items():
        mine = [s for s in sent if s.kind == kind]
        assert [s.f_cnt for s in mine] == list(range(1, len(mine) + 1))
        metrics = set(mine[0].readings)
        assert all(set(s.readings) == metrics for s in mine)
        start, end = window(mine)
        for metric in sorted(metrics):
            samples = influx.series(device, metric, start, end)
            assert len(samples) == len(mine), f"{kind} {metric}: {samples}"
            for sample, s in zip(samples, mine, strict=True):
                assert abs(sample.time.timestamp() - s.time_ns / 1e9) < 10
                measured = s.readings[metric]
                assert within_resolution(metric, sample.value, measured), (
                    f"{kind} {metric}: node measured {measured}, InfluxDB has {sample.value}"
                )
        # Nothing made up: the device's metrics are exactly what it measured plus radio data
        # (the water node reports do_sat itself, so the bridge derives none; no tan, no nh3).
        latest = influx.latest(device)
        assert set(latest) == metrics | RADIO
        assert latest["f_cnt"][1] == len(mine)
        assert latest["rssi"][1] == -87 and latest["snr"][1] == 6.5

    assert bridge.bridge.counters.faults == 0
    flagged = [r for batch in bridge.hooked for r in batch if r.fault]
    assert flagged == []


def test_a_failed_do_probe_arrives_as_a_fault_and_never_as_a_number(
    bridge, publisher, influx, devices
) -> None:
    water = water_node((int(time.time()) - 3600) * 1_000_000_000)
    set_water(water, 84.0, 6.7, 25.0, 7.4, 36000)
    good = water.wake()
    water.probe.faults = ["silent"] * 3  # the DO probe stops answering: all Modbus retries fail
    bad = water.wake()
    assert len(good) == len(bad) == 1
    measured = bad[0].readings
    assert measured["do"] == "no_response" and measured["do_sat"] == "no_response"
    assert bad[0].frame[1] & 0x03 == 0b10, "core field 0 (DO) has the fault status"

    publish_and_wait(bridge, publisher, influx, good + bad)

    device = devices["water"]
    bad_ms = bad[0].time_ns // 1_000_000
    # The faulted uplink's water point holds what was measured, and no DO of any kind.
    query = 'SELECT * FROM "raw"."water" WHERE "device" = $d'
    water_rows = influx.query(query, {"d": WATER_EUI})[0]
    rows = [dict(zip(water_rows["columns"], v, strict=True)) for v in water_rows["values"]]
    faulted = next(r for r in rows if r["time"] == bad_ms)
    assert faulted["do"] is None and faulted["do_sat"] is None
    assert within_resolution("water_temp", faulted["water_temp"], measured["water_temp"])
    assert within_resolution("ph", faulted["ph"], measured["ph"])
    # The fault is flagged on the uplink's device point and handed to the alert hook.
    dev_rows = influx.query(
        'SELECT "faults" FROM "raw"."device" WHERE "device" = $d AND time = $t',
        {"d": WATER_EUI, "t": bad[0].time_ns},
    )[0]["values"]
    assert dev_rows and set(dev_rows[0][1].split(",")) == {"do:no_response", "do_sat:no_response"}

    # The hook runs after the write is durable, so it may come a moment after the points.
    def flagged() -> set:
        return {(r.metric, r.fault, r.value) for b in list(bridge.hooked) for r in b if r.fault}

    wait_until(lambda: flagged(), 15, "the fault handed to the hook")
    assert flagged() == {("do", "no_response", None), ("do_sat", "no_response", None)}
    # Charts and "latest" show the last real DO, from the good uplink, not a made-up one.
    start, end = window(good + bad)
    assert [s.value for s in influx.series(device, "do", start, end)] == [6.7]
    latest_do_time, latest_do = influx.latest(device)["do"]
    assert latest_do == 6.7
    assert round(latest_do_time.timestamp() * 1000) == good[0].time_ns // 1_000_000


def run_backlog(bridge: BridgeThread, publisher: Publisher, influx: TimeSeries) -> HostNode:
    """Three reports kept in flash while the join fails, sent after the fresh one once joined."""
    soil = soil_node((int(time.time()) - 3 * 3600) * 1_000_000_000, join_attempts=2)
    soil.modem.join_results = [False] * 6
    steps = [
        (33.0, 18.2, 900, 6.1, 35, 11, 81, 36500),
        (31.4, 19.0, 870, 6.2, 34, 11, 80, 36000),
        (29.9, 20.3, 840, 6.3, 33, 10, 79, 35500),
        (28.1, 21.7, 810, 6.4, 32, 10, 78, 35000),
    ]
    for step in steps[:3]:
        set_soil(soil, *step)
        assert soil.wake() == []
    assert len(soil.app.backlog) == 3
    soil.hw["clock"].advance(3_600_000)  # past the join back-off: the gateway is back
    set_soil(soil, *steps[3])
    sent = soil.wake()
    assert len(soil.app.backlog) == 0 and len(soil.measured) == 4
    headers = [s.frame[0] for s in sent]
    assert headers[0] == 0x10, "the fresh report goes first"
    assert 0x12 in headers and 0x13 in headers, "backlog frames, split at 23 bytes (CN470 DR1)"
    publish_and_wait(bridge, publisher, influx, sent)
    return soil


def rows_near(ts: TimeSeries, measurement: str, at_ns: int) -> list[dict[str, Any]]:
    """Points of the soil device from ``at_ns`` to 90 s later.

    A backlog frame's age has a resolution of one minute (floored) and is computed moments
    before the frame goes out, so the bridge's time is at most ~60 s after the measurement.
    """
    q = (
        f'SELECT * FROM "raw"."{measurement}" WHERE "device" = $d '
        "AND time >= $start AND time < $end"
    )
    params = {"d": SOIL_EUI, "start": at_ns, "end": at_ns + 90 * 10**9}
    series = ts.query(q, params, epoch="ns")
    return [dict(zip(s["columns"], v, strict=True)) for s in series for v in s["values"]]


def test_backlog_reports_are_stored_at_the_time_the_node_measured_them(
    bridge, publisher, influx, devices
) -> None:
    soil = run_backlog(bridge, publisher, influx)
    for m in soil.measured:
        rows = rows_near(influx, "soil", m.time_ns)
        for metric in SOIL_PROBE_METRICS:
            values = [r[metric] for r in rows if r.get(metric) is not None]
            assert len(values) == 1, f"{metric} measured at {m.time_ns}: {rows}"
            assert within_resolution(metric, values[0], m.readings[metric])
    latest = influx.latest(devices["soil"])
    fresh = soil.measured[-1].readings
    assert all(within_resolution(k, latest[k][1], fresh[k]) for k in SOIL_PROBE_METRICS)


def test_backlog_battery_readings_are_stored_at_the_time_the_node_measured_them(
    bridge, publisher, influx, devices
) -> None:
    soil = run_backlog(bridge, publisher, influx)
    fresh = soil.measured[-1].readings
    latest = influx.latest(devices["soil"])
    assert within_resolution("battery_v", latest["battery_v"][1], fresh["battery_v"])
    for m in soil.measured:
        rows = rows_near(influx, "device", m.time_ns)
        values = [r["battery_v"] for r in rows if r.get("battery_v") is not None]
        assert len(values) == 1, f"battery measured at {m.time_ns}: {rows}"
        assert within_resolution("battery_v", values[0], m.readings["battery_v"])
    status = wait_until(
        lambda: Device.objects.get(dev_eui=SOIL_EUI).battery_v, 10, "device status saved"
    )
    assert within_resolution("battery_v", status, fresh["battery_v"])
