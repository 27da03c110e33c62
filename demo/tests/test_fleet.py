"""The virtual fleet behaves like ponds and fields, and speaks ChirpStack v4."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command

from demo.fleet import BurstTemplates, Fleet, VirtualNode, register_fleet
from sensors.bridge.events import parse
from sensors.codecs.native import decode_soil, decode_water
from sensors.models import Device
from sensors.tests.conftest import wait_until

DAY = datetime(2026, 7, 1, tzinfo=UTC)


def water_node() -> VirtualNode:
    return Fleet(2, seed=3).nodes[1]


def test_pond_do_falls_through_the_night_and_recovers_after_sunrise():
    node = water_node()
    do = {h: node.measure(DAY + timedelta(hours=h), 3600)["do"] for h in range(24)}
    night_low = min(do, key=do.get)
    assert 2 <= night_low <= 6  # lowest before dawn
    assert do[21] > do[1] > do[night_low]  # falling through the night
    assert do[10] > do[night_low] + 2  # recovering after sunrise
    assert max(do, key=do.get) in range(13, 19)  # afternoon peak


def test_soil_dries_out_and_is_irrigated():
    node = Fleet(1, seed=5).nodes[0]
    vwc = [
        node.measure(DAY + timedelta(minutes=10 * i), 600)["soil_vwc"] for i in range(6 * 24 * 7)
    ]
    rises = [b - a for a, b in zip(vwc, vwc[1:], strict=False) if b - a > 10]
    assert rises, "no irrigation event in a week"
    assert min(vwc) >= 15 and max(vwc) <= 40


def test_battery_drains_with_uplinks():
    node = water_node()
    first = node.measure(DAY, 600)["battery_v"]
    for i in range(5000):
        node.measure(DAY + timedelta(minutes=10 * i), 600)
    assert node.measure(DAY, 600)["battery_v"] < first


def test_lost_packets_advance_the_counter_and_corrupt_ones_fail_to_decode():
    fleet = Fleet(50, seed=9, lost=0.1, corrupt=0.1)
    t = 1_700_000_000 * 10**9
    ups = []
    for i in range(10):
        ups += fleet.tick(t + i * 60 * 10**9, 60)
    assert 350 < len(ups) < 500  # about 10 % lost
    corrupt = 0
    multi_gateway = 0
    for u in ups:
        ev = parse(u.topic, u.body, 0)
        decode = decode_water if ev.dev_eui[3] == "2" else decode_soil
        multi_gateway += len(ev.gateways) > 1
        try:
            decode(ev.f_port, ev.payload)
        except ValueError:
            corrupt += 1
            assert u.corrupt
        else:
            assert not u.corrupt
    assert 20 < corrupt < 80
    assert multi_gateway > 0
    assert max(n.f_cnt for n in fleet.nodes) == 10


def test_burst_templates_stamp_time_and_counter_per_message():
    fleet = Fleet(3, seed=1)
    burst = BurstTemplates(fleet)
    first = burst.round()
    second = burst.round()
    a = parse(first[0][0], first[0][1], 0)
    b = parse(second[0][0], second[0][1], 0)
    assert (a.f_cnt, b.f_cnt) == (1, 2) and b.time_ns > a.time_ns
    assert decode_soil(a.f_port, a.payload).readings


def test_register_fleet_creates_missing_devices_only(farm):
    fleet = Fleet(6)
    assert register_fleet(fleet) == 6
    assert register_fleet(fleet) == 0
    kinds = {d.profile_id for d in Device.objects.all()}
    assert kinds == {"native-soil", "native-water"}
    assert all(d.site.kind == "pond" for d in Device.objects.filter(profile_id="native-water"))


def _subscribe(mosquitto: str, topic: str):
    host, port = mosquitto.removeprefix("mqtt://").split(":")
    got = []
    ready = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_subscribe = lambda *a: ready.set()
    sub.on_connect = lambda c, *a: c.subscribe(topic, 1)
    sub.on_message = lambda c, u, m: got.append((m.topic, m.payload))
    sub.connect(host, int(port))
    sub.loop_start()
    wait_until(ready.is_set, 10, "subscription")
    return sub, got


@pytest.mark.django_db
def test_simulate_fleet_in_real_time_spreads_nodes_over_the_interval(mosquitto):
    sub, got = _subscribe(mosquitto, "rt/application/+/device/+/event/up")
    try:
        call_command(
            "simulate_fleet",
            "--nodes=4",
            "--interval=0.2",
            "--count=8",
            "--lost=0",
            "--corrupt=0",
            "--topic-prefix=rt/",
            f"--mqtt-url={mosquitto}",
            stdout=io.StringIO(),
        )
        wait_until(lambda: len(got) == 8, 20, "8 uplinks")
    finally:
        sub.disconnect()
        sub.loop_stop()
    counters = sorted(parse(t, b, 0).f_cnt for t, b in got)
    assert counters == [1, 1, 1, 1, 2, 2, 2, 2]


@pytest.mark.django_db
def test_simulate_fleet_command_publishes_chirpstack_uplinks(mosquitto):
    sub, got = _subscribe(mosquitto, "simtest/application/+/device/+/event/up")
    try:
        out = io.StringIO()
        call_command(
            "simulate_fleet",
            "--nodes=4",
            "--rate=1000",
            "--count=40",
            "--topic-prefix=simtest/",
            f"--mqtt-url={mosquitto}",
            stdout=out,
        )
        assert "registered 4" in out.getvalue()
        wait_until(lambda: len(got) == 40, 20, "40 uplinks")
    finally:
        sub.disconnect()
        sub.loop_stop()
    euis = {parse(t, b, 0).dev_eui for t, b in got}
    assert euis == set(Device.objects.values_list("dev_eui", flat=True))
