"""Hostile uplinks end to end: real Mosquitto, InfluxDB, PostgreSQL, Redis and the alert engine."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from alerts.engine import on_bridge_readings
from alerts.models import Incident, Rule
from demo.fleet import Fleet, chirpstack_up, register_fleet, up_topic
from sensors.models import DeadLetter, Device
from sensors.tests.conftest import (
    BridgeThread,
    count_uplinks,
    make_bridge_config,
    make_farm,
    wait_until,
)
from sensors.timeseries import TimeSeries

FUTURE = "2100-01-01T00:00:00Z"


def message(
    fleet: Fleet, time_ns: int, f_cnt: int, *, node: int = 1, gateway: str = "7276ff002e062a01",
    **readings,
) -> tuple[str, bytes]:  # fmt: skip
    n = fleet.nodes[node]
    n.f_cnt = f_cnt
    values = n.measure(datetime.fromtimestamp(time_ns / 1e9, UTC), 60) | readings
    doc = chirpstack_up(n, n.payload(values), time_ns, [(gateway, -90, 5.0)])
    return up_topic(n.dev_eui, fleet.prefix), json.dumps(doc).encode()


def edited(topic_body: tuple[str, bytes], edit) -> tuple[str, bytes]:
    doc = json.loads(topic_body[1])
    edit(doc)
    return topic_body[0], json.dumps(doc).encode()


@pytest.fixture
def world(transactional_db) -> dict:
    return make_farm()


def start_bridge(mosquitto, influx, tmp_path, **kw) -> BridgeThread:
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "state", **kw)
    return BridgeThread(config).start()


@pytest.fixture
def fleet_for():
    def make(bridge: BridgeThread, nodes: int = 2) -> Fleet:
        fleet = Fleet(nodes, prefix=bridge.bridge.config.topic_prefix, lost=0.0, corrupt=0.0)
        register_fleet(fleet)
        bridge.bridge.directory.loaded_at = float("-inf")
        return fleet

    return make


def test_an_uplink_stamped_2100_neither_silences_the_pond_nor_shows_as_latest(
    world, mosquitto, influx, publisher, tmp_path, fleet_for
):
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "s")
    bridge = BridgeThread(config, on_readings=on_bridge_readings).start()
    try:
        fleet = fleet_for(bridge)
        Rule.objects.create(
            organisation=world["org"],
            name="溶解氧低",
            metric="do",
            condition=Rule.Condition.BELOW,
            threshold=3.0,
            for_readings=4,
        )

        def forge(doc):
            doc["time"] = FUTURE
            doc["rxInfo"][0]["nsTime"] = FUTURE

        now = time.time_ns()
        publisher.publish([edited(message(fleet, now, 1, do=8.0), forge)])
        wait_until(lambda: count_uplinks(influx) == 1, 30, "the forged uplink")
        publisher.publish([message(fleet, now + i * 10**9, 1 + i, do=1.0) for i in range(1, 5)])
        wait_until(lambda: Incident.objects.filter(resolved_at__isnull=True).exists(), 30, "alarm")

        device = Device.objects.get(dev_eui=fleet.nodes[1].dev_eui)
        horizon = datetime.now(UTC) + timedelta(minutes=10)
        when, value = influx.latest(device)["do"]
        assert value == 1.0 and when <= horizon
        rows = influx.query('SELECT max("clock_skew_s") FROM "raw"."device"')
        assert rows[0]["values"][0][1] > 70 * 365 * 86400  # the forged offset, kept as a field
        wait_until(lambda: Device.objects.get(pk=device.pk).f_cnt == 5, 30, "device status")
        assert Device.objects.get(pk=device.pk).last_seen <= horizon
        assert bridge.bridge.counters.clock_corrected == 1
    finally:
        bridge.stop()


def test_poison_messages_are_dead_lettered_acknowledged_and_the_bridge_keeps_going(
    world, mosquitto, influx, publisher, tmp_path, fleet_for
):
    # The broker refuses messages over 64 KiB (deploy/mosquitto.conf); the bridge's own cap
    # is for brokers without one, set lower here so that a message reaches it.
    config = make_bridge_config(
        mosquitto, influx.url, influx.database, tmp_path / "s", max_message_bytes=32 * 1024
    )
    bridge = BridgeThread(config).start()
    fleet = fleet_for(bridge)
    now = time.time_ns()

    def nan_rssi(doc):
        doc["rxInfo"][0]["rssi"] = "NaN"
        doc["rxInfo"][0]["snr"] = "Infinity"

    def huge_counter(doc):
        doc["fCnt"] = 2**70

    def year_10000(doc):
        doc["time"] = "10000-01-01T00:00:00Z"

    def padded(doc):
        doc["padding"] = "x" * 40_000

    poison = [
        edited(message(fleet, now, 1), nan_rssi),
        edited(message(fleet, now + 1, 2), huge_counter),
        edited(message(fleet, now + 2, 3), year_10000),
        edited(message(fleet, now + 3, 4), padded),
    ]
    try:
        publisher.publish([*poison, message(fleet, now + 4, 5)])
        wait_until(lambda: count_uplinks(influx) == 2, 30, "the NaN-rssi and the valid uplink")
        wait_until(lambda: DeadLetter.objects.count() == 3, 30, "three dead letters")
        reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
        assert reasons == ["bad_message", "bad_message", "too_large"]
        big = DeadLetter.objects.get(reason="too_large")
        assert big.size > 40_000 and big.truncated
        rejected = influx.query('SELECT "rejected" FROM "raw"."device" WHERE "rejected" != \'\'')
        assert rejected[0]["values"][0][1] == "rssi:not_finite,snr:not_finite"
        assert bridge.thread.is_alive()
    finally:
        bridge.stop()
    # Acknowledged: the same persistent session, resumed, gets nothing again but the new one.
    again = BridgeThread(config).start()
    try:
        publisher.publish([message(fleet, now + 5, 6)])
        wait_until(lambda: count_uplinks(influx) == 3, 30, "the uplink after the restart")
        assert again.bridge.counters.received == 1
    finally:
        again.stop()


def test_points_influxdb_refuses_are_dead_letters_with_its_error_not_written_counts(
    world, mosquitto, influx, publisher, tmp_path, fleet_for
):
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "s")
    bridge = BridgeThread(config).start()
    try:
        fleet = fleet_for(bridge)
        eui = fleet.nodes[1].dev_eui
        now = time.time_ns()
        # Someone wrote "rssi" as text into this shard: every float rssi now conflicts.
        influx.write_lines(f'device,device={eui} rssi="strong" {now - 10**9}')
        publisher.publish([message(fleet, now + i, 1 + i) for i in range(3)])
        wait_until(lambda: DeadLetter.objects.count() == 3, 30, "three refused points")
        letters = list(DeadLetter.objects.all())
        assert {d.reason for d in letters} == {"influx_rejected"}
        assert all("field type conflict" in d.detail and d.dev_eui == eui for d in letters)
        water = influx.query('SELECT count("do") FROM "raw"."water"')[0]["values"][0][1]
        assert water == 3  # the good points of the same batches are in
        counters = bridge.bridge.counters
        assert counters.points_rejected == 3 and counters.written == 3
    finally:
        bridge.stop()


def test_gateway_copies_on_two_bridges_of_a_share_group_are_written_once(
    world, mosquitto, influx, publisher, tmp_path
):
    group = f"g{uuid.uuid4().hex[:8]}"
    first = make_bridge_config(
        mosquitto, influx.url, influx.database, tmp_path / "a", share_group=group
    )
    second = make_bridge_config(
        mosquitto,
        influx.url,
        influx.database,
        tmp_path / "b",
        share_group=group,
        topic_prefix=first.topic_prefix,
    )
    bridges = [BridgeThread(first).start(), BridgeThread(second).start()]
    try:
        fleet = Fleet(4, prefix=first.topic_prefix, lost=0.0, corrupt=0.0)
        register_fleet(fleet)
        for b in bridges:
            b.bridge.directory.loaded_at = float("-inf")
        t0 = time.time_ns() - 3600 * 10**9
        messages = []
        for i in range(20):
            t = t0 + i * 60 * 10**9
            messages.append(message(fleet, t, 10 + i, gateway="7276ff002e062a01"))
            messages.append(message(fleet, t + 2_000_000, 10 + i, gateway="7276ff002e062a02"))
        publisher.publish(messages)
        wait_until(lambda: sum(b.bridge.counters.received for b in bridges) == 40, 60, "40")
        wait_until(lambda: not any(b.bridge.inbox for b in bridges), 30, "both idle")
        wait_until(lambda: count_uplinks(influx) >= 20, 30, "the uplinks")
        assert count_uplinks(influx) == 20
        assert sum(b.bridge.counters.duplicates for b in bridges) == 20
    finally:
        for b in bridges:
            b.stop()


@pytest.fixture
def closed_influx() -> Iterator[TimeSeries]:
    from sensors.tests.conftest import free_port

    ts = TimeSeries(f"http://127.0.0.1:{free_port()}", f"x{uuid.uuid4().hex[:8]}")
    yield ts
    ts.close()


def test_a_bridge_started_while_influxdb_is_down_backs_off_instead_of_spinning(
    world, mosquitto, closed_influx, publisher, tmp_path, fleet_for, caplog
):
    bridge = None
    with caplog.at_level(logging.WARNING, logger="sensors.bridge"):
        bridge = start_bridge(mosquitto, closed_influx, tmp_path)
        try:
            fleet = fleet_for(bridge)
            publisher.publish([message(fleet, time.time_ns(), 1)])
            wait_until(lambda: bridge.bridge.spool.pending, 30, "the uplink spooled")

            def attempts() -> int:
                return sum("cannot prepare InfluxDB" in r.getMessage() for r in caplog.records)

            wait_until(lambda: attempts() >= 3, 30, "three schema attempts")
            # 1 s, 2 s, 4 s apart: after the third attempt a spinning loop would have
            # logged thousands; backing off it has logged three or four.
            assert attempts() <= 4
        finally:
            bridge.stop()
