"""The bridge end to end: real Mosquitto, real InfluxDB, real PostgreSQL, the real run loop."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest

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
from vocabulary.events import ReadingEvent


@pytest.fixture
def fleet_farm(transactional_db):
    """Farm rows committed, so the bridge thread's own connection sees them."""
    return make_farm()


@pytest.fixture
def bridge(mosquitto, influx, fleet_farm, tmp_path) -> Iterator[BridgeThread]:
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "state")
    hooked: list[list[ReadingEvent]] = []
    b = BridgeThread(config, on_readings=hooked.append)
    b.hooked = hooked
    b.start()
    try:
        yield b
    finally:
        b.stop()


def fleet_for(bridge: BridgeThread, nodes: int, **kw) -> Fleet:
    fleet = Fleet(nodes, prefix=bridge.bridge.config.topic_prefix, **kw)
    register_fleet(fleet)
    bridge.bridge.directory.loaded_at = float("-inf")  # as the periodic refresh would
    return fleet


def one_uplink(fleet: Fleet, node_index: int, time_ns: int, f_cnt: int, **readings):
    node = fleet.nodes[node_index]
    node.f_cnt = f_cnt
    values = node.measure(__import__("datetime").datetime.now(), 60) | readings
    doc = chirpstack_up(node, node.payload(values), time_ns, node.hearing_gateways())
    return up_topic(node.dev_eui, fleet.prefix), json.dumps(doc).encode()


def test_every_published_uplink_is_written_exactly_once(bridge, publisher, influx):
    fleet = fleet_for(bridge, 10, lost=0.0, corrupt=0.0)
    t0 = time.time_ns() - 3600 * 10**9
    messages = []
    for round_ in range(30):
        messages += [(u.topic, u.body) for u in fleet.tick(t0 + round_ * 60 * 10**9, 60)]
    publisher.publish(messages)
    wait_until(lambda: count_uplinks(influx) == 300, 60, "300 uplinks in InfluxDB")
    wait_until(lambda: bridge.bridge.counters.uplinks_written == 300, 10, "counters")
    assert bridge.bridge.counters.dead_lettered == 0


def test_device_status_is_saved_in_bulk_from_the_latest_uplink(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    t = time.time_ns()
    publisher.publish([one_uplink(fleet, 1, t - 10**9, 7), one_uplink(fleet, 1, t, 8)])

    def saved():
        d = Device.objects.get(dev_eui=fleet.nodes[1].dev_eui)
        return d.f_cnt == 8 and d.battery_v is not None and d.rssi is not None and d

    device = wait_until(saved, 30, "device status in PostgreSQL")
    assert device.last_seen.timestamp() == pytest.approx(t / 1e9, abs=1e-3)


def test_calibration_is_applied_before_writing(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    Device.objects.filter(dev_eui=fleet.nodes[1].dev_eui).update(
        calibration={"do": {"offset": 0.5, "gain": 2.0}}
    )
    directory = bridge.bridge.directory
    eui = fleet.nodes[1].dev_eui

    def calibrated() -> bool:
        # Ask the loop for the periodic refresh until it has one that read the update (a
        # refresh already under way when the test changed the row carries the old values).
        directory.loaded_at = float("-inf")
        info = directory.by_eui.get(eui)
        return bool(info and info.calibration)

    wait_until(calibrated, 30, "the refreshed calibration")
    publisher.publish([one_uplink(fleet, 1, time.time_ns(), 1, do=3.0)])
    wait_until(lambda: count_uplinks(influx) == 1, 30, "the uplink")
    rows = influx.query('SELECT "do" FROM "raw"."water"')
    assert rows[0]["values"][0][1] == pytest.approx(6.5)


def test_derived_do_saturation_and_unionised_ammonia_are_written(bridge, publisher, influx):
    from sensors import chemistry

    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    publisher.publish(
        [one_uplink(fleet, 1, time.time_ns(), 1, do=8.0, water_temp=25.0, ph=8.0, tan=1.0)]
    )
    wait_until(lambda: count_uplinks(influx) == 1, 30, "the uplink")
    row = influx.query('SELECT "do_sat", "nh3", "salinity" FROM "raw"."water"')[0]["values"][0]
    expected_sat = 100 * 8.0 / chemistry.do_saturation_mg_l(25.0, row[3])
    assert row[1] == pytest.approx(expected_sat)
    assert row[2] == pytest.approx(1.0 * chemistry.unionized_ammonia_fraction(8.0, 25.0))


def test_sensor_faults_and_implausible_values_stay_out_of_the_series(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    t = time.time_ns()
    # DO 25 mg/L fits the payload field but not a real probe (0–20 mg/L); pH NaN is a probe fault.
    publisher.publish([one_uplink(fleet, 1, t, 1, do=25.0, ph=float("nan"))])
    wait_until(lambda: count_uplinks(influx) == 1, 30, "the uplink")
    water = influx.query('SELECT * FROM "raw"."water"')[0]
    cols = water["columns"]
    assert "do" not in cols and "ph" not in cols and "water_temp" in cols
    faults = influx.query('SELECT "faults" FROM "raw"."device"')[0]["values"][0][1]
    assert "do:out_of_range" in faults and "ph:" in faults

    def flagged() -> set[tuple[str, str]]:
        return {(r.metric, r.fault) for batch in bridge.hooked for r in batch if r.fault}

    # The hook runs after the batch is written and acknowledged: wait for it, too.
    wait_until(lambda: ("do", "out_of_range") in flagged(), 30, "the hook")
    assert any(m == "ph" for m, _ in flagged())


def test_a_redelivered_message_and_a_retransmission_are_written_once(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    t = time.time_ns()
    first = one_uplink(fleet, 0, t, 5)
    retransmission = one_uplink(fleet, 0, t + 2 * 10**9, 5)  # same fCnt, two seconds later
    publisher.publish([first, first, retransmission])
    wait_until(lambda: bridge.bridge.counters.duplicates == 2, 30, "two duplicates")
    assert count_uplinks(influx) == 1


def test_a_counter_reset_after_a_reboot_is_not_taken_for_duplicates(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    t = time.time_ns() - 7200 * 10**9
    before = [one_uplink(fleet, 0, t + i * 60 * 10**9, i) for i in range(1, 6)]
    # The node reboots an hour later and counts from 1 again.
    after = [one_uplink(fleet, 0, t + 3600 * 10**9 + i * 60 * 10**9, i) for i in range(1, 4)]
    publisher.publish(before + after)
    wait_until(lambda: count_uplinks(influx) == 8, 30, "all 8 uplinks")
    assert bridge.bridge.counters.duplicates == 0
    assert bridge.bridge.counters.counter_resets == 1


def test_a_join_clears_the_counter_history(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    t = time.time_ns()
    eui = fleet.nodes[0].dev_eui
    join = {"time": "2026-01-01T00:00:00Z", "deviceInfo": {"devEui": eui}, "devAddr": "01020304"}
    join_topic = up_topic(eui, fleet.prefix).replace("/event/up", "/event/join")
    publisher.publish(
        [
            one_uplink(fleet, 0, t, 1),
            (join_topic, json.dumps(join).encode()),
            one_uplink(fleet, 0, t + 10**9, 1),
        ]
    )
    wait_until(lambda: count_uplinks(influx) == 2, 30, "both uplinks")


def test_tts_uplinks_are_written(bridge, publisher, influx, load_shared_json):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    node = fleet.nodes[1]
    ex = next(
        e
        for e in load_shared_json("ns_uplinks.json")["tts_v3"]["examples"]
        if "last_battery_percentage" in json.dumps(e.get("json", {}))
    )
    doc = json.loads(json.dumps(ex["json"]))
    doc["end_device_ids"]["dev_eui"] = node.dev_eui.upper()
    doc["received_at"] = "2026-11-20T11:54:13.995136483Z"
    payload = node.payload(node.measure(__import__("datetime").datetime.now(), 60))
    doc["uplink_message"]["frm_payload"] = base64.b64encode(payload).decode()
    doc["uplink_message"]["f_port"] = 1
    topic = f"{fleet.prefix}v3/starter-kit@tenant/devices/eui-{node.dev_eui}/up"
    publisher.publish([(topic, json.dumps(doc).encode())])
    wait_until(lambda: count_uplinks(influx) == 1, 30, "the TTS uplink")
    row = influx.query('SELECT "battery_pct", "rssi" FROM "raw"."device"')[0]["values"][0]
    assert row[1] == pytest.approx(90.118576) and row[2] == -31


def test_unknown_devices_and_broken_messages_are_dead_lettered_verbatim(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    prefix = fleet.prefix
    stranger = Fleet(1, prefix=prefix, seed=99)
    stranger.nodes[0].dev_eui = "ffeeddccbbaa0099"
    unknown = one_uplink(stranger, 0, time.time_ns(), 1)
    broken = (up_topic(fleet.nodes[0].dev_eui, prefix), b"{not json")
    corrupt_topic, corrupt_body = one_uplink(fleet, 0, time.time_ns(), 1)
    doc = json.loads(corrupt_body)
    doc["data"] = base64.b64encode(b"\xf0\x01\x02").decode()
    corrupt = (corrupt_topic, json.dumps(doc).encode())
    publisher.publish([unknown, broken, corrupt])
    wait_until(lambda: DeadLetter.objects.count() == 3, 30, "three dead letters")
    by_reason = {d.reason: d for d in DeadLetter.objects.all()}
    assert set(by_reason) == {"unknown_device", "bad_message", "decode_error"}
    assert base64.b64decode(by_reason["bad_message"].message_b64) == b"{not json"
    assert by_reason["unknown_device"].dev_eui == "ffeeddccbbaa0099"
    assert (
        by_reason["decode_error"].detail
        and by_reason["decode_error"].network_server == "chirpstack"
    )
    assert base64.b64decode(by_reason["decode_error"].message_b64) == corrupt[1]
    assert count_uplinks(influx) == 0


def test_on_readings_is_called_once_per_batch_with_every_reading(bridge, publisher, influx):
    fleet = fleet_for(bridge, 4, lost=0.0, corrupt=0.0)
    ups = fleet.tick(time.time_ns(), 60)
    publisher.publish([(u.topic, u.body) for u in ups])
    wait_until(lambda: count_uplinks(influx) == 4, 30, "4 uplinks")
    expected = {n.dev_eui for n in fleet.nodes}

    def hooked_devices() -> set[str]:
        return {r.dev_eui for batch in list(bridge.hooked) for r in batch}

    # The hook runs after the write is durable, so it may trail InfluxDB by a moment.
    wait_until(lambda: hooked_devices() == expected, 30, "the hook to see every reading")
    assert all(batch for batch in bridge.hooked)  # never called with an empty batch
    assert len(bridge.hooked) <= 4


def test_readings_wait_for_the_alert_hook_while_its_database_is_away(
    mosquitto, influx, fleet_farm, publisher, tmp_path
):
    """The readings are in InfluxDB either way; their evaluation must not be lost either."""
    from django.db import OperationalError

    database_up = False
    evaluated: list[list[ReadingEvent]] = []

    def hook(readings: list[ReadingEvent]) -> None:
        if not database_up:
            raise OperationalError("connection refused")
        evaluated.append(readings)

    config = make_bridge_config(
        mosquitto, influx.url, influx.database, tmp_path / "state", hook_retry_s=0.2
    )
    b = BridgeThread(config, on_readings=hook).start()
    try:
        fleet = fleet_for(b, 3, lost=0.0, corrupt=0.0)
        first = fleet.tick(time.time_ns(), 60)
        publisher.publish([(u.topic, u.body) for u in first])
        wait_until(lambda: count_uplinks(influx) == 3, 30, "first round written")
        second = fleet.tick(time.time_ns() + 60_000_000_000, 60)
        publisher.publish([(u.topic, u.body) for u in second])
        wait_until(lambda: count_uplinks(influx) == 6, 30, "second round written")
        counters = b.bridge.counters
        assert counters.hook_failures >= 1 and counters.hook_pending > 0 and not evaluated

        database_up = True
        wait_until(lambda: counters.hook_pending == 0, 10, "the backlog evaluated")
        times = [r.time_ns for batch in evaluated for r in batch if r.metric != "rssi"]
        assert times == sorted(times)  # in order, oldest first
        devices = [(r.dev_eui, r.time_ns) for batch in evaluated for r in batch]
        assert len(set(devices)) == 6 and counters.hook_dropped == 0
    finally:
        b.stop()


def test_a_batch_the_hook_rejects_for_good_is_dropped_and_counted(tmp_path):
    """One bad batch must not stall the ones behind it."""
    from sensors.bridge.runner import Bridge

    calls: list[int] = []

    def hook(readings: list[ReadingEvent]) -> None:
        calls.append(len(readings))
        if len(calls) == 1:
            raise ValueError("a bug in a rule")

    config = make_bridge_config("mqtt://127.0.0.1:1", "http://127.0.0.1:1", "x", tmp_path)
    b = Bridge(config, on_readings=hook)  # never started: only the hook queue is exercised
    event = ReadingEvent(1, "0011223344556677", None, 1, "do", 5.0, 1)
    b.hooks.batches.extend([[event], [event, event]])
    b.counters.hook_pending += 3
    b.hooks.run()
    assert calls == [1, 2] and b.counters.hook_dropped == 1 and b.counters.hook_pending == 0


def test_metrics_status_file_reports_the_counters(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    publisher.publish([(u.topic, u.body) for u in fleet.tick(time.time_ns(), 60)])
    path = bridge.bridge.config.status_path

    def reported():
        return path.exists() and json.loads(path.read_text()).get("uplinks_written") == 2

    wait_until(reported, 30, "status file with the counters")
    status = json.loads(path.read_text())
    for key in ("received", "decoded", "written", "dead_lettered", "spooled", "lag_ms"):
        assert key in status


def test_influx_series_of_the_simulated_pond_is_readable(bridge, publisher, influx):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    t0 = time.time_ns() - 3 * 3600 * 10**9
    msgs = []
    for i in range(30):
        msgs += [(u.topic, u.body) for u in fleet.tick(t0 + i * 300 * 10**9, 300)]
    publisher.publish(msgs)
    wait_until(lambda: count_uplinks(influx) == 60, 30, "60 uplinks")
    device = Device.objects.get(dev_eui=fleet.nodes[1].dev_eui)
    from datetime import UTC, datetime, timedelta

    end = datetime.now(UTC)
    samples = TimeSeries.series(influx, device, "do", end - timedelta(hours=4), end)
    assert len(samples) == 30
    assert set(TimeSeries.latest(influx, device)) >= {"do", "ph", "water_temp", "rssi", "battery_v"}


def test_two_bridges_in_a_share_group_split_the_load_and_write_each_uplink_once(
    mosquitto, influx, fleet_farm, tmp_path, publisher
):
    group = f"g{time.time_ns() % 10**8}"
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
        fleet = Fleet(10, prefix=first.topic_prefix, lost=0.0, corrupt=0.0)
        register_fleet(fleet)
        for b in bridges:
            b.bridge.directory.loaded_at = float("-inf")
        t0 = time.time_ns() - 3600 * 10**9
        messages = []
        for i in range(20):
            messages += [(u.topic, u.body) for u in fleet.tick(t0 + i * 60 * 10**9, 60)]
        publisher.publish(messages)
        wait_until(lambda: count_uplinks(influx) == 200, 60, "200 uplinks")
        received = [b.bridge.counters.received for b in bridges]
        assert sum(received) == 200 and min(received) > 0
    finally:
        for b in bridges:
            b.stop()


def test_metrics_endpoint_serves_prometheus_counters(mosquitto, influx, fleet_farm, tmp_path):
    import urllib.request

    from sensors.tests.conftest import free_port

    port = free_port()
    config = make_bridge_config(
        mosquitto, influx.url, influx.database, tmp_path / "state", metrics_port=port
    )
    b = BridgeThread(config).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
        for name in ("received", "decoded", "written", "dead_lettered", "spooled", "duplicates"):
            assert f"agrimon_bridge_{name}_total 0" in text
        assert "agrimon_bridge_lag_ms" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as r:
            assert json.loads(r.read())["connected"] is True
    finally:
        b.stop()


def test_water_too_warm_for_the_solubility_formula_is_flagged_not_extrapolated(
    bridge, publisher, influx
):
    fleet = fleet_for(bridge, 2, lost=0.0, corrupt=0.0)
    # 45 °C is a plausible probe reading but outside Benson & Krause (0-40 °C).
    publisher.publish([one_uplink(fleet, 1, time.time_ns(), 1, do=6.0, water_temp=45.0)])
    wait_until(lambda: count_uplinks(influx) == 1, 30, "the uplink")
    cols = influx.query('SELECT * FROM "raw"."water"')[0]["columns"]
    assert "do" in cols and "do_sat" not in cols
    faults = influx.query('SELECT "faults" FROM "raw"."device"')[0]["values"][0][1]
    assert "do_sat:outside_formula_range" in faults
