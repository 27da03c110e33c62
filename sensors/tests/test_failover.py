"""Fail-over against a private Mosquitto run from ``deploy/mosquitto.conf``.

Two bridges share a subscription group; one stops (cleanly, or SIGKILLed) mid-stream
and is not restarted. Every uplink must still reach InfluxDB, written once: nothing
may wait in the departed member's session. A broker crash loses nothing published
before the group subscribes again; a lone bridge keeps its session across a stop and
a broker crash; the burst publisher rides out a broker restart.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.db import connection
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from demo.burst_publisher import BurstPublisher
from demo.fleet import Fleet, register_fleet
from sensors.bridge.share_group import Topics
from sensors.tests.conftest import (
    REPO,
    BridgeThread,
    Publisher,
    count_uplinks,
    env_for_subprocess,
    make_bridge_config,
    make_farm,
    wait_until,
)
from sensors.tests.test_bridge_faults import Stream
from tests.servers import PrivateBroker


@pytest.fixture
def broker(tmp_path):
    server = PrivateBroker(tmp_path / "broker").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def committed_farm(transactional_db):
    return make_farm()


def session_exists(url: str, client_id: str) -> bool:
    """Whether the broker still holds a session for ``client_id`` (probe, then end it)."""
    host, port = url.removeprefix("mqtt://").split(":")
    present: list[bool] = []
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.on_connect = lambda c, u, flags, rc, p: present.append(flags.session_present)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    client.connect(host, int(port), clean_start=False, properties=props)
    client.loop_start()
    try:
        return wait_until(lambda: present, 10, "CONNACK") and present[0]
    finally:
        client.disconnect()
        client.loop_stop()


def group_configs(broker, influx, tmp_path, names=("a", "b")):
    prefix = f"t{uuid.uuid4().hex[:8]}/"
    group = f"g{uuid.uuid4().hex[:6]}"
    return [
        make_bridge_config(
            broker.url,
            influx.url,
            influx.database,
            tmp_path / name,
            client_id=f"bridge-{name}-{uuid.uuid4().hex[:6]}",
            topic_prefix=prefix,
            share_group=group,
        )
        for name in names
    ]


def test_a_member_stopped_mid_stream_hands_its_share_over_and_no_uplink_waits_for_it(
    broker, influx, committed_farm, tmp_path
):
    config_a, config_b = group_configs(broker, influx, tmp_path)
    fleet = Fleet(10, prefix=config_a.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    a = BridgeThread(config_a).start()
    b = BridgeThread(config_b).start()
    publisher = Publisher(broker.url)
    stream = Stream(publisher, fleet, per_second=200).start()
    try:
        both = a.bridge.counters, b.bridge.counters
        wait_until(lambda: all(c.uplinks_written >= 50 for c in both), 60, "both bridges writing")
        b.stop()
        stopped_at = len(stream.sent)
        wait_until(lambda: len(stream.sent) >= stopped_at + 400, 60, "uplinks after the stop")
        stream.stop()
        # b stays stopped: every uplink must get through a alone.
        wait_until(lambda: count_uplinks(influx) >= stream.good, 60, "every uplink in InfluxDB")
        wait_until(lambda: not a.bridge.inbox, 30, "a idle")
        assert count_uplinks(influx) == stream.good
        # Stored once each. A batch b wrote but had not yet acknowledged when it stopped is
        # redelivered to a (MQTT is at-least-once) and rewritten in place: a point is keyed by
        # its series and time, so the count above stays exact.
        written = a.bridge.counters.uplinks_written + b.bridge.counters.uplinks_written
        assert written >= stream.good
        assert not session_exists(broker.url, config_b.client_id)
    finally:
        stream.stop()
        publisher.close()
        a.stop()


def _bridge_process(config, database_url: str) -> subprocess.Popen:
    args = [
        sys.executable, "manage.py", "run_bridge",
        "--mqtt-url", broker_url(config),
        "--influx-url", config.influx_url,
        "--influx-db", config.influx_db,
        "--client-id", config.client_id,
        "--share-group", config.share_group,
        "--topic-prefix", config.topic_prefix,
        "--state-dir", str(config.state_dir),
        "--log-interval", "0.5",
        "--status-interval", "0.5",
    ]  # fmt: skip
    env = env_for_subprocess(database_url, config.state_dir)
    env["INFLUX_RETENTION"] = config.influx_retention
    return subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def broker_url(config) -> str:
    return f"mqtt://{config.mqtt_host}:{config.mqtt_port}"


def _test_database_url() -> str:
    s = connection.settings_dict
    user, host, port = s.get("USER") or "postgres", s.get("HOST") or "127.0.0.1", s.get("PORT")
    return f"postgres://{user}@{host}:{port or 5432}/{s['NAME']}"


def _status(config) -> dict:
    try:
        return json.loads(config.status_path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def test_a_member_sigkilled_mid_stream_has_its_session_adopted_and_nothing_is_lost(
    broker, influx, committed_farm, tmp_path
):
    config_a, config_b = group_configs(broker, influx, tmp_path)
    fleet = Fleet(10, prefix=config_a.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    url = _test_database_url()
    procs = [_bridge_process(config_a, url), _bridge_process(config_b, url)]
    publisher = Publisher(broker.url)
    stream = None
    try:
        for config in (config_a, config_b):
            wait_until(lambda c=config: _status(c).get("connected"), 60, "bridges to connect")
        stream = Stream(publisher, fleet, per_second=200).start()
        wait_until(
            lambda: all(_status(c).get("uplinks_written", 0) >= 50 for c in (config_a, config_b)),
            60,
            "both bridges writing",
        )
        procs[1].send_signal(signal.SIGKILL)
        procs[1].wait(10)
        killed_at = len(stream.sent)
        # b's in-flight window and its share until adoption wait in its session; a adopts it.
        wait_until(lambda: _status(config_a).get("adopted") == 1, 60, "a to adopt b's session")
        wait_until(lambda: len(stream.sent) >= killed_at + 400, 60, "uplinks after the kill")
        stream.stop()
        wait_until(lambda: count_uplinks(influx) >= stream.good, 60, "every uplink in InfluxDB")
        wait_until(lambda: _status(config_a).get("inbox") == 0, 30, "a idle")
        assert count_uplinks(influx) == stream.good
        assert procs[0].poll() is None
        assert not session_exists(broker.url, config_b.client_id)
    finally:
        if stream:
            stream.stop()
        publisher.close()
        for proc in procs:
            proc.terminate()
            proc.wait(30)


def test_uplinks_published_after_a_broker_crash_before_the_group_resubscribes_are_written(
    broker, influx, committed_farm, tmp_path
):
    config_a, config_b = group_configs(broker, influx, tmp_path)
    fleet = Fleet(10, prefix=config_a.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    a = BridgeThread(config_a).start()
    b = BridgeThread(config_b).start()
    try:
        members = (a.bridge, b.bridge)
        wait_until(lambda: any(m.mqtt.keeper for m in members), 30, "a member to hold the keeper")
        held = time.time()
        wait_until(lambda: broker.saved_since(held), 30, "the keeper's session on disk", 0.2)
        broker.kill()
        # The members come back only after the publisher: Mosquitto restores no shared
        # subscription, so until then only the keeper's session receives these.
        for member in members:
            member.mqtt.client.loop_stop()
        broker.start()
        host, port = broker.url.removeprefix("mqtt://").split(":")
        publisher = BurstPublisher(host, int(port), "network-server")
        sent = []
        t = time.time_ns() - 3600 * 10**9
        for i in range(20):
            sent += fleet.tick(t + i * 60 * 10**9, 60)
        for up in sent:
            publisher.publish(up.topic, up.body)
        assert publisher.wait_acked(30)
        publisher.close()
        for member in members:
            member.mqtt.client.loop_start()
        wait_until(lambda: count_uplinks(influx) >= len(sent), 60, "every uplink in InfluxDB")
        wait_until(lambda: all(not m.inbox for m in members), 30, "both idle")
        assert count_uplinks(influx) == len(sent)
    finally:
        a.stop()
        b.stop()


def queued_for(url: str, client_id: str, topic_prefix: str) -> int:
    """Messages the broker holds for ``client_id``'s session (taking it over to count)."""
    host, port = url.removeprefix("mqtt://").split(":")
    marker = f"{topic_prefix}probe/{uuid.uuid4().hex}"
    got: list[str] = []
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.on_message = lambda c, u, m: got.append(m.topic)
    client.on_connect = lambda c, u, f, rc, p: (c.subscribe(marker, 0), c.publish(marker, b"."))
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 60
    client.connect(host, int(port), clean_start=False, properties=props)
    client.loop_start()
    try:
        wait_until(lambda: marker in got, 30, "the probe's marker")  # behind all queued
        return got.index(marker)
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_keeper_session_holds_no_queue_between_restarts(
    broker, influx, committed_farm, tmp_path
):
    (config,) = group_configs(broker, influx, tmp_path, names=("a",))
    fleet = Fleet(10, prefix=config.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    bridge = BridgeThread(config).start()
    publisher = Publisher(broker.url)
    try:
        keeper = wait_until(lambda: bridge.bridge.mqtt.keeper, 30, "the bridge to hold the keeper")
        wait_until(lambda: keeper.steady, 30, "the keeper's steady connection")
        # More than the broker's in-flight window (1,000): unacknowledged copies would queue.
        sent = []
        t = time.time_ns() - 6 * 3600 * 10**9
        for i in range(120):
            sent += fleet.tick(t + i * 60 * 10**9, 60)
        publisher.publish([(u.topic, u.body) for u in sent])
        wait_until(lambda: count_uplinks(influx) >= len(sent), 60, "every uplink in InfluxDB")
        keeper_id = Topics(config).keeper_id
        assert queued_for(broker.url, keeper_id, config.topic_prefix) == 0
    finally:
        publisher.close()
        bridge.stop()


def test_a_lone_bridge_keeps_its_session_through_its_stop_and_a_broker_crash(
    broker, influx, committed_farm, tmp_path
):
    config = make_bridge_config(broker.url, influx.url, influx.database, tmp_path / "state")
    fleet = Fleet(6, prefix=config.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    BridgeThread(config).start().stop()
    stopped = time.time()
    # The autosave puts the session on disk; a SIGKILL loses only what came after.
    wait_until(lambda: broker.saved_since(stopped), 30, "the broker to save its sessions", 0.2)
    broker.kill()
    broker.start()
    publisher = Publisher(broker.url)
    sent = []
    t = time.time_ns() - 3600 * 10**9
    for i in range(10):
        sent += fleet.tick(t + i * 60 * 10**9, 60)
    publisher.publish([(u.topic, u.body) for u in sent])
    publisher.close()
    bridge = BridgeThread(config).start()
    try:
        wait_until(lambda: count_uplinks(influx) >= len(sent), 60, "the queued uplinks")
        assert count_uplinks(influx) == len(sent)
    finally:
        bridge.stop()


def test_burst_publisher_resends_what_a_crashed_broker_never_acknowledged(broker):
    host, port = broker.url.removeprefix("mqtt://").split(":")
    received: set[bytes] = set()
    subscriber = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="subscriber", protocol=mqtt.MQTTv5
    )
    subscriber.on_message = lambda c, u, m: received.add(m.payload)
    subscriber.on_connect = lambda c, u, f, rc, p: c.subscribe("burst/#", 1)
    subscriber.reconnect_delay_set(0.1, 0.5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    subscriber.connect(host, int(port), clean_start=False, properties=props)
    subscriber.loop_start()
    publisher = BurstPublisher(host, int(port), "burst", max_backoff_s=0.5)
    try:
        for i in range(100):
            publisher.publish("burst/x", b"%d" % i)
        assert publisher.wait_acked(30)
        wait_until(lambda: len(received) == 100, 30, "the first 100")
        subscribed = time.time()
        wait_until(lambda: broker.saved_since(subscribed), 30, "the session on disk", 0.2)
        # Frozen, the broker reads nothing: these 100 sit unacknowledged when it dies.
        broker.signal(signal.SIGSTOP)
        for i in range(100, 200):
            publisher.publish("burst/x", b"%d" % i)
        publisher.flush()
        broker.kill()
        broker.start()
        assert publisher.wait_acked(60)
        wait_until(lambda: len(received) == 200, 30, "every message at the subscriber")
        assert received == {b"%d" % i for i in range(200)}
        assert publisher.reconnects == 1
        assert publisher.resent == 100
    finally:
        publisher.close()
        subscriber.disconnect()
        subscriber.loop_stop()
