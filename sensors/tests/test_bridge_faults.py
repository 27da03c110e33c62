"""Faults while uplinks flow: InfluxDB down, the bridge SIGKILLed, corrupt payloads.

Each test counts the points in InfluxDB afterwards: every uplink has exactly one
``device`` point, so the count equals the number of good uplinks published only
if none was lost and none was written twice.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.db import connection

from demo.fleet import Fleet, register_fleet
from sensors.models import DeadLetter
from sensors.tests.conftest import (
    REPO,
    BridgeThread,
    count_uplinks,
    env_for_subprocess,
    make_bridge_config,
    make_farm,
    wait_until,
)
from sensors.timeseries import TimeSeries


class Stream:
    """Publishes fleet rounds from a thread until stopped; remembers what it sent."""

    def __init__(self, publisher, fleet: Fleet, per_second: float) -> None:
        self.publisher = publisher
        self.fleet = fleet
        self.period = len(fleet.nodes) / per_second
        self.sent = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.t = time.time_ns() - 6 * 3600 * 10**9  # simulated time: one minute per round

    def _run(self) -> None:
        while not self.stopped.is_set():
            ups = self.fleet.tick(self.t, 60)
            self.t += 60 * 10**9
            self.publisher.publish([(u.topic, u.body) for u in ups])
            self.sent += ups
            self.stopped.wait(self.period)

    def start(self) -> Stream:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(30)

    @property
    def good(self) -> int:
        return sum(1 for u in self.sent if not u.corrupt)


@pytest.fixture
def committed_farm(transactional_db):
    return make_farm()


def test_influxdb_down_for_30s_loses_nothing_and_writes_nothing_twice(
    mosquitto, publisher, private_influx, committed_farm, tmp_path
):
    db = f"test_ingest_{uuid.uuid4().hex[:10]}"
    config = make_bridge_config(mosquitto, private_influx.url, db, tmp_path / "state")
    fleet = Fleet(10, prefix=config.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    bridge = BridgeThread(config).start()
    ts = TimeSeries(private_influx.url, db)
    stream = Stream(publisher, fleet, per_second=40).start()
    try:
        wait_until(lambda: count_uplinks(ts) >= 50, 60, "uplinks before the outage")
        private_influx.stop()
        outage_started = time.monotonic()
        # Uplinks keep flowing; the bridge must spool them.
        wait_until(lambda: bridge.bridge.counters.spooled > 0, 30, "spooling to start")
        wait_until(lambda: time.monotonic() - outage_started >= 30, 60, "30 s of outage", 0.5)
        assert bridge.bridge.spool.pending
        private_influx.start()
        wait_until(lambda: count_uplinks(ts) > 0 and not bridge.bridge.spool.pending, 60, "replay")
    finally:
        stream.stop()
    try:
        wait_until(lambda: count_uplinks(ts) >= stream.good, 60, "every uplink in InfluxDB")
        # Give nothing a chance to be written twice unnoticed: the bridge is idle and drained.
        wait_until(lambda: not bridge.bridge.inbox and not bridge.bridge.spool.pending, 30, "idle")
        assert count_uplinks(ts) == stream.good
        water = sum(1 for u in stream.sent if fleet.nodes[1].dev_eui[:4] == u.dev_eui[:4])
        rows = ts.query('SELECT count("do") FROM "raw"."water"')
        assert rows[0]["values"][0][1] == water
    finally:
        bridge.stop()
        ts.drop_database()
        ts.close()


def _bridge_process(config, database_url: str) -> subprocess.Popen:
    """``manage.py run_bridge`` with the test's settings, as it runs in production."""
    args = [
        sys.executable, "manage.py", "run_bridge",
        "--mqtt-url", f"mqtt://{config.mqtt_host}:{config.mqtt_port}",
        "--influx-url", config.influx_url,
        "--influx-db", config.influx_db,
        "--client-id", config.client_id,
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


def _test_database_url() -> str:
    s = connection.settings_dict
    user, host, port = s.get("USER") or "postgres", s.get("HOST") or "127.0.0.1", s.get("PORT")
    return f"postgres://{user}@{host}:{port or 5432}/{s['NAME']}"


def _status(config) -> dict:
    try:
        return json.loads(config.status_path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def test_bridge_sigkilled_mid_stream_and_restarted_loses_and_doubles_nothing(
    mosquitto, publisher, influx, committed_farm, tmp_path
):
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "state")
    fleet = Fleet(10, prefix=config.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    url = _test_database_url()
    proc = _bridge_process(config, url)
    stream = None
    try:
        wait_until(lambda: _status(config).get("connected"), 60, "bridge process to connect")
        stream = Stream(publisher, fleet, per_second=200).start()
        wait_until(lambda: count_uplinks(influx) >= 200, 60, "uplinks before the kill")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = count_uplinks(influx)
        wait_until(lambda: len(stream.sent) >= killed_at + 300, 60, "uplinks while it is down")
        config.status_path.unlink(missing_ok=True)
        proc = _bridge_process(config, url)
        wait_until(lambda: _status(config).get("connected"), 60, "restarted bridge")
        wait_until(lambda: len(stream.sent) >= killed_at + 600, 60, "uplinks after restart")
        stream.stop()
        wait_until(lambda: count_uplinks(influx) >= stream.good, 90, "every uplink in InfluxDB")
        wait_until(lambda: _status(config).get("inbox") == 0, 30, "bridge idle")
        assert count_uplinks(influx) == stream.good
        assert proc.poll() is None
    finally:
        if stream:
            stream.stop()
        proc.terminate()
        proc.wait(30)


def test_ten_percent_corrupt_payloads_are_dead_lettered_and_the_rest_written(
    mosquitto, publisher, influx, committed_farm, tmp_path
):
    config = make_bridge_config(mosquitto, influx.url, influx.database, tmp_path / "state")
    fleet = Fleet(20, prefix=config.topic_prefix, lost=0.0, corrupt=0.10, seed=7)
    register_fleet(fleet)
    bridge = BridgeThread(config).start()
    try:
        sent = []
        t = time.time_ns() - 3600 * 10**9
        for i in range(30):
            sent += fleet.tick(t + i * 60 * 10**9, 60)
        publisher.publish([(u.topic, u.body) for u in sent])
        corrupt = [u for u in sent if u.corrupt]
        assert 30 <= len(corrupt) <= 90  # about 10 % of 600
        wait_until(lambda: count_uplinks(influx) == len(sent) - len(corrupt), 60, "good uplinks")
        wait_until(lambda: DeadLetter.objects.count() == len(corrupt), 30, "dead letters")
        letters = list(DeadLetter.objects.all())
        assert {d.reason for d in letters} == {"decode_error"}
        assert all("version" in d.detail for d in letters)
        assert {(d.dev_eui, d.topic) for d in letters} == {(u.dev_eui, u.topic) for u in corrupt}
        # Still alive: one more good uplink goes through.
        fleet.corrupt = 0.0
        more = fleet.tick(time.time_ns(), 60)
        publisher.publish([(u.topic, u.body) for u in more])
        total = len(sent) - len(corrupt) + len(more)
        wait_until(lambda: count_uplinks(influx) == total, 30, "uplinks after the corrupt ones")
        assert bridge.thread.is_alive()
    finally:
        bridge.stop()


def test_bridge_started_while_influxdb_is_down_spools_then_creates_the_database_and_replays(
    mosquitto, publisher, private_influx, committed_farm, tmp_path
):
    private_influx.stop()
    db = f"test_ingest_{uuid.uuid4().hex[:10]}"
    config = make_bridge_config(mosquitto, private_influx.url, db, tmp_path / "state")
    fleet = Fleet(6, prefix=config.topic_prefix, lost=0.0, corrupt=0.0)
    register_fleet(fleet)
    bridge = BridgeThread(config).start()
    ts = TimeSeries(private_influx.url, db)
    try:
        t = time.time_ns() - 3600 * 10**9
        sent = []
        for i in range(20):
            sent += fleet.tick(t + i * 60 * 10**9, 60)
        publisher.publish([(u.topic, u.body) for u in sent])
        wait_until(lambda: bridge.bridge.counters.spooled >= 2 * len(sent), 30, "all spooled")
        private_influx.start()
        wait_until(lambda: not bridge.bridge.spool.pending, 60, "the spool to drain")
        assert count_uplinks(ts) == len(sent)
        assert bridge.bridge.schema_ready
    finally:
        bridge.stop()
        ts.close()
