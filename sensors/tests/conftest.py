"""Fixtures for the ingestion tests: real InfluxDB databases, a farm to hang devices on."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.db import connections

from agrimon.config import load
from farm.models import Farm, Organisation, Plot, Pond, Region
from sensors.models import DeviceProfile
from sensors.timeseries import TimeSeries
from tests.servers import PrivateInflux


@pytest.fixture
def influx() -> Iterator[TimeSeries]:
    """A fresh, uniquely named database on the shared InfluxDB, dropped afterwards."""
    ts = TimeSeries.from_config(load(), database=f"test_ingest_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    try:
        yield ts
    finally:
        ts.drop_database()
        ts.close()


def make_farm(suffix: str = "") -> dict:
    province = Region.objects.get_or_create(
        code="420000", defaults={"name": "湖北省", "level": "province"}
    )[0]
    city = Region.objects.get_or_create(
        code="421000", defaults={"name": "荆州市", "level": "city", "parent": province}
    )[0]
    county = Region.objects.get_or_create(
        code="421083", defaults={"name": "洪湖市", "level": "county", "parent": city}
    )[0]
    org = Organisation.objects.create(name=f"清水湖合作社{suffix}", region=county)
    farm = Farm.objects.create(
        organisation=org, region=county, name=f"清水湖基地{suffix}", kind=Farm.Kind.MIXED
    )
    pond = Pond.objects.create(
        farm=farm, name="1号塘", area_m2=Decimal("6700"), species="草鱼", depth_m=Decimal("2.0")
    )
    plot = Plot.objects.create(farm=farm, name="东片", area_m2=Decimal("5000"), crop="水稻")
    for pid in ("cayenne-lpp", "native-soil", "native-water"):
        DeviceProfile.objects.get_or_create(id=pid, defaults={"name": pid})
    return {"org": org, "farm": farm, "pond": pond, "plot": plot, "county": county}


@pytest.fixture
def farm(db) -> dict:
    return make_farm()


# --- servers and the bridge for end-to-end tests -------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 30.0, what: str = "condition", interval: float = 0.05):
    """Poll ``check`` until it returns a truthy value; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory) -> Iterator[str]:
    """A private Mosquitto configured like ``deploy/mosquitto.conf`` (no queue cap)."""
    if not shutil.which("mosquitto") and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed: scripts/services.sh installs it")
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    state = tmp_path_factory.mktemp("mosquitto")
    port = free_port()
    template = (REPO / "deploy" / "mosquitto.conf").read_text()
    conf = template.replace("listener 1883 ", f"listener {port} ").replace("@STATE@", str(state))
    # In memory and quiet: root-run mosquitto drops to its own user, which cannot write here.
    conf = conf.replace("persistence true", "persistence false")
    conf = "\n".join(line for line in conf.splitlines() if not line.startswith("log_dest"))
    (state / "mosquitto.conf").write_text(conf + "\nlog_dest none\n")
    proc = subprocess.Popen(
        [binary, "-c", str(state / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: port_open(port), 20, "mosquitto to listen")
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def private_influx(tmp_path) -> Iterator[PrivateInflux]:
    if not shutil.which("influxd"):
        pytest.fail("influxd is not installed: scripts/services.sh installs it")
    server = PrivateInflux(tmp_path / "influx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Publisher:
    """A QoS 1 publisher, as a network server's MQTT integration would be."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}"
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect(host, int(port))
        self.client.loop_start()

    def publish(self, messages) -> None:
        infos = [self.client.publish(topic, body, qos=1) for topic, body in messages]
        for info in infos:
            info.wait_for_publish(30)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mosquitto) -> Iterator[Publisher]:
    pub = Publisher(mosquitto)
    try:
        yield pub
    finally:
        pub.close()


class BridgeThread:
    """The bridge's run loop in a thread of the test process, stopped like SIGTERM would."""

    def __init__(self, config, on_readings=None) -> None:
        from sensors.bridge.runner import Bridge

        self.bridge = Bridge(config, on_readings=on_readings)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.bridge.run()
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
        finally:
            connections.close_all()

    def start(self) -> BridgeThread:
        self.thread.start()
        wait_until(lambda: self.bridge.connected or self.error, 20, "bridge to connect")
        return self

    def stop(self) -> None:
        self.bridge.stop()
        self.thread.join(30)
        if self.error:
            raise self.error


def make_bridge_config(mqtt_url: str, influx_url: str, influx_db: str, state_dir: Path, **kw):
    from sensors.bridge.config import bridge_config

    options = dict(
        mqtt_url=mqtt_url,
        influx_url=influx_url,
        influx_db=influx_db,
        client_id=f"bridge-{uuid.uuid4().hex[:8]}",
        topic_prefix=f"t{uuid.uuid4().hex[:8]}/",
        state_dir=str(state_dir),
        log_interval_s=0.5,
        status_flush_s=0.5,
        influx_retention="30d",
    )
    options.update(kw)
    return bridge_config(load(), **options)


def count_uplinks(ts: TimeSeries) -> int:
    """Uplinks in InfluxDB: every written uplink has exactly one ``device`` point."""
    rows = ts.query('SELECT count("f_cnt") FROM "raw"."device"')
    return rows[0]["values"][0][1] if rows else 0


def env_for_subprocess(database_url: str, state_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, AGRIMON_STATE_DIR=str(state_dir), PYTHONUNBUFFERED="1")
    return env
