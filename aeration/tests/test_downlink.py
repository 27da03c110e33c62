"""Downlink messages as each network server documents them, published to a real broker."""

from __future__ import annotations

import base64
import uuid

import pytest

from aeration import control
from aeration.models import Command, RelayController
from sensors import downlink

from .conftest import wait_until


def test_chirpstack_command_down_message():
    d = downlink.chirpstack("9a1d3a4e-0c8b-4f8e", "A84041000181C1E1", 1, b"\x03\x01\x11")
    assert d.topic == "application/9a1d3a4e-0c8b-4f8e/device/a84041000181c1e1/command/down"
    assert d.qos == 1
    assert (
        d.body == b'{"devEui": "a84041000181c1e1", "confirmed": false, "fPort": 1, "data": "AwER"}'
    )


def test_the_things_stack_down_push_message():
    d = downlink.the_things_stack(
        "pond-app", "lt22222-01", 20, b"\x01\x01", tenant_id="agrimon", confirmed=True
    )
    assert d.topic == "v3/pond-app@agrimon/devices/lt22222-01/down/push"
    assert d.qos == 0  # The Things Stack's MQTT server speaks QoS 0 only
    import json

    assert json.loads(d.body) == {
        "downlinks": [
            {"f_port": 20, "frm_payload": "AQE=", "confirmed": True, "priority": "NORMAL"}
        ]
    }
    assert downlink.the_things_stack("app1", "dev1", 1, b"\x01").topic == (
        "v3/app1/devices/dev1/down/push"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: downlink.chirpstack("app/+", "a84041000181c1e1", 1, b"\x01"),
        lambda: downlink.chirpstack("app", "a84041000181c1e#", 1, b"\x01"),
        lambda: downlink.chirpstack("app", "a84041000181c1e1", 0, b"\x01"),
        lambda: downlink.chirpstack("app", "a84041000181c1e1", 224, b"\x01"),
        lambda: downlink.chirpstack("app", "a84041000181c1e1", 1, b""),
        lambda: downlink.chirpstack("app", "a84041000181c1e1", 1, bytes(243)),
        lambda: downlink.the_things_stack("app", "dev/#", 1, b"\x01"),
        lambda: downlink.the_things_stack("App", "dev", 1, b"\x01"),
        lambda: downlink.the_things_stack("app", "dev", 1, b"\x01", tenant_id="x+y"),
        lambda: downlink.the_things_stack("app", "dev", 1, b"\x01", priority="URGENT"),
    ],
)
def test_identifiers_that_would_change_the_topic_are_refused(build):
    with pytest.raises(downlink.DownlinkError):
        build()


def test_a_tts_controller_gets_its_command_on_the_push_topic(pond, listener_factory, mosquitto):
    c = pond["controller"]
    c.network = RelayController.Network.TTS
    c.application_id = "pond-app"
    c.tenant_id = "agrimon"
    c.network_device_id = f"lt-{uuid.uuid4().hex[:8]}"
    c.save()
    listener = listener_factory(f"v3/pond-app@agrimon/devices/{c.network_device_id}/down/push")
    cmd = control.request(pond["aerator"].pk, False, user=pond["op"], mqtt_url=mosquitto)
    assert cmd.status == Command.Status.PENDING
    wait_until(lambda: listener.messages, 10, "the push on the TTS topic")
    item = listener.json()["downlinks"][0]
    assert base64.b64decode(item["frm_payload"]) == bytes.fromhex("030011")  # RO1 open
    assert item["f_port"] == 1 and item["priority"] == "NORMAL"


def test_a_controller_with_a_bad_address_fails_the_command_without_sending(pond, mosquitto):
    c = pond["controller"]
    c.application_id = "app/#"
    c.save()
    cmd = control.request(pond["aerator"].pk, True, user=pond["op"], mqtt_url=mosquitto)
    assert cmd.status == Command.Status.FAILED and "application id" in cmd.error
    assert cmd.topic == ""


def test_a_repeated_click_does_not_send_a_second_command(pond, mosquitto):
    first = control.request(pond["aerator"].pk, True, user=pond["op"], mqtt_url=mosquitto)
    again = control.request(pond["aerator"].pk, True, user=pond["op"], mqtt_url=mosquitto)
    assert again.pk == first.pk and Command.objects.count() == 1
    off = control.request(pond["aerator"].pk, False, user=pond["op"], mqtt_url=mosquitto)
    first.refresh_from_db()
    assert first.status == Command.Status.SUPERSEDED and off.status == Command.Status.PENDING
