"""Fixtures for the aeration tests: a pond with a relay controller, people with roles, and
the real servers (Mosquitto, InfluxDB, the bridge) from the ingestion tests."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from django.contrib.auth import get_user_model

from aeration.models import Aerator, RelayController
from farm.models import Membership, Role
from sensors.models import Device, DeviceProfile
from sensors.tests.conftest import (  # noqa: F401  (fixtures used by name)
    BridgeThread,
    influx,
    make_bridge_config,
    make_farm,
    mosquitto,
    publisher,
    wait_until,
)


def make_aeration(suffix: str = "", profile: str = "dragino-lt22222l") -> dict:
    world = make_farm(suffix)
    DeviceProfile.objects.get_or_create(id=profile, defaults={"name": profile})
    eui = uuid.uuid4().hex[:16]
    device = Device.objects.create(
        dev_eui=eui, farm=world["farm"], site=world["pond"], profile_id=profile, name="增氧控制器"
    )
    controller = RelayController.objects.create(
        device=device, application_id=str(uuid.uuid4()), confirm_minutes=15
    )
    aerator = Aerator.objects.create(
        pond=world["pond"],
        name="1号增氧机",
        controller=controller,
        channel=1,
        current_full_scale_a=20,
    )
    users = {}
    User = get_user_model()
    for name, role in (("op", Role.OPERATOR), ("mgr", Role.MANAGER), ("bureau", Role.BUREAU)):
        user = User.objects.create_user(f"{name}{suffix}{eui[:6]}", password="pw-for-tests-only")
        m = Membership.objects.create(
            user=user,
            role=role,
            organisation=None if role == Role.BUREAU else world["org"],
            region=world["county"] if role == Role.BUREAU else None,
        )
        if role == Role.OPERATOR:
            m.farms.add(world["farm"])
        users[name] = user
    return {**world, "device": device, "controller": controller, "aerator": aerator, **users}


@pytest.fixture
def pond(db) -> dict:
    return make_aeration()


@pytest.fixture
def committed_pond(transactional_db) -> dict:
    """Rows committed, so the bridge thread's own connection sees them."""
    return make_aeration()


class DownlinkListener:
    """A subscriber on the network server's downlink topics, as ChirpStack or TTS would be."""

    def __init__(self, url: str, topic: str) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.messages: list[tuple[str, bytes]] = []
        self.ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda _c, _u, msg: self.messages.append((msg.topic, msg.payload))
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.connect(host, int(port))
        self.client.loop_start()
        assert self.ready.wait(10), "downlink subscriber not subscribed"

    def json(self, i: int = 0) -> dict:
        return json.loads(self.messages[i][1])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listener_factory(mosquitto) -> Iterator:  # noqa: F811
    made: list[DownlinkListener] = []

    def make(topic: str) -> DownlinkListener:
        made.append(DownlinkListener(mosquitto, topic))
        return made[-1]

    yield make
    for listener in made:
        listener.close()
