"""The real MQTT path: downlink to the network server's topic, confirming uplink through
the real bridge (with the alert engine and the aeration hook, as the Procfile runs them),
expiry of an unconfirmed command, and an incident when states disagree."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from aeration import control
from aeration.models import Aerator, Command
from alerts.models import Incident
from demo.fleet import rfc3339
from sensors.bridge.hooks import resolve_hook

from .conftest import BridgeThread, make_bridge_config, wait_until

HOOKS = "alerts.engine:on_bridge_readings,aeration.bridge_hook:on_bridge_readings"
LT_RO1_ON_12MA = "04B004B02EE00FA080FF41"
LT_BOTH_OFF = "000000000FA00FA000FF41"


def uplink(app: str, eui: str, f_cnt: int, hex_payload: str, time_ns: int) -> tuple[str, bytes]:
    """A ChirpStack v4 ``up`` event of the relay controller (fPort 2)."""
    body = {
        "deduplicationId": str(uuid.uuid4()),
        "time": rfc3339(time_ns),
        "deviceInfo": {"applicationId": app, "devEui": eui, "deviceName": "lt"},
        "fCnt": f_cnt,
        "fPort": 2,
        "data": base64.b64encode(bytes.fromhex(hex_payload)).decode(),
        "rxInfo": [{"gatewayId": "0016c001ff10a235", "rssi": -80, "snr": 7.5}],
    }
    return f"application/{app}/device/{eui}/event/up", json.dumps(body).encode()


@pytest.fixture
def bridge(mosquitto, influx, committed_pond, tmp_path):
    config = make_bridge_config(
        mosquitto, influx.url, influx.database, tmp_path / "state", on_readings=HOOKS
    )
    b = BridgeThread(config, on_readings=resolve_hook(HOOKS)).start()
    try:
        yield b
    finally:
        b.stop()


def down_topic(p: dict) -> str:
    return f"application/{p['controller'].application_id}/device/{p['device'].dev_eui}/command/down"


def test_command_reaches_the_network_server_and_an_uplink_confirms_it(
    committed_pond, bridge, publisher, listener_factory, mosquitto
):
    p = committed_pond
    listener = listener_factory(down_topic(p))
    cmd = control.request(
        p["aerator"].pk, True, user=p["op"], reason="夜间增氧", mqtt_url=mosquitto
    )
    assert cmd.status == Command.Status.PENDING and cmd.sent_at is not None

    wait_until(lambda: listener.messages, 10, "the downlink on the command topic")
    assert listener.json() == {
        "devEui": p["device"].dev_eui,
        "confirmed": False,
        "fPort": 1,
        "data": base64.b64encode(bytes.fromhex("030111")).decode(),  # RO1 close, RO2 as is
    }

    prefix = bridge.bridge.config.topic_prefix
    app, eui = p["controller"].application_id, p["device"].dev_eui
    topic, body = uplink(app, eui, 7, LT_RO1_ON_12MA, time.time_ns())
    publisher.publish([(prefix + topic, body)])

    def confirmed():
        cmd.refresh_from_db()
        return cmd.status == Command.Status.CONFIRMED

    wait_until(confirmed, 30, "the command confirmed by the uplink")
    a = Aerator.objects.get(pk=p["aerator"].pk)
    assert a.reported_on is True and a.current_a == 10.0  # 12 mA on a 20 A transducer

    # The same uplink again, and an older one reporting "off" that arrives late.
    received = bridge.bridge.counters.received
    older = uplink(app, eui, 6, LT_BOTH_OFF, time.time_ns() - 60 * 10**9)
    publisher.publish([(prefix + topic, body), (prefix + older[0], older[1])])
    wait_until(lambda: bridge.bridge.counters.received >= received + 2, 30, "both received")
    wait_until(lambda: bridge.bridge.counters.hook_pending == 0, 30, "hooks done")
    a.refresh_from_db()
    assert a.reported_on is True
    assert not Incident.objects.filter(site=p["pond"], resolved_at__isnull=True).exists()


def test_a_report_nobody_commanded_opens_an_incident_and_agreement_resolves_it(
    committed_pond, bridge, publisher, mosquitto
):
    p = committed_pond
    cmd = control.request(p["aerator"].pk, True, user=p["op"], mqtt_url=mosquitto)
    prefix = bridge.bridge.config.topic_prefix
    app, eui = p["controller"].application_id, p["device"].dev_eui
    now = time.time_ns()
    publisher.publish(
        [
            (
                prefix + uplink(app, eui, 1, LT_RO1_ON_12MA, now)[0],
                uplink(app, eui, 1, LT_RO1_ON_12MA, now)[1],
            )
        ]
    )
    wait_until(lambda: Command.objects.get(pk=cmd.pk).status == "confirmed", 30, "confirmed")

    # Someone switches it off at the panel: the next uplink says off.
    t, b = uplink(app, eui, 2, LT_BOTH_OFF, now + 10**9)
    publisher.publish([(prefix + t, b)])
    incident = wait_until(
        lambda: Incident.objects.filter(site=p["pond"], resolved_at__isnull=True).first(),
        30,
        "the disagreement incident",
    )
    assert "1号增氧机" in incident.title and incident.severity == "critical"

    t, b = uplink(app, eui, 3, LT_RO1_ON_12MA, now + 2 * 10**9)
    publisher.publish([(prefix + t, b)])

    def resolved():
        incident.refresh_from_db()
        return incident.resolved_at is not None

    wait_until(resolved, 30, "the incident resolved when the states agree again")


def test_an_unconfirmed_command_expires_and_raises_an_incident(committed_pond, mosquitto):
    p = committed_pond
    cmd = control.request(p["aerator"].pk, True, user=p["op"], mqtt_url=mosquitto)
    assert control.expire(timezone.now()) == 0  # not yet
    assert control.expire(timezone.now() + timedelta(minutes=16)) == 1
    cmd.refresh_from_db()
    assert cmd.status == Command.Status.EXPIRED and cmd.confirmed_at is None
    incident = Incident.objects.get(site=p["pond"], resolved_at__isnull=True)
    assert "1号增氧机" in incident.title
    assert control.expire(timezone.now() + timedelta(minutes=30)) == 0  # once only


def test_a_broker_that_does_not_answer_fails_the_command_visibly(pond):
    cmd = control.request(pond["aerator"].pk, True, user=pond["op"], mqtt_url="mqtt://127.0.0.1:1")
    assert cmd.status == Command.Status.FAILED and "unreachable" in cmd.error
    pond["aerator"].refresh_from_db()
    assert pond["aerator"].override_until is None  # automatic mode is not held back by it


def test_a_malformed_relay_uplink_is_a_dead_letter_and_switches_nothing(
    committed_pond, bridge, publisher
):
    from sensors.models import DeadLetter

    p = committed_pond
    prefix = bridge.bridge.config.topic_prefix
    app, eui = p["controller"].application_id, p["device"].dev_eui
    now = time.time_ns()
    short = uplink(app, eui, 1, LT_RO1_ON_12MA[:-2], now)  # 10 bytes
    wrong_port = uplink(app, eui, 2, LT_RO1_ON_12MA, now + 1)
    body = json.loads(wrong_port[1])
    body["fPort"] = 5
    publisher.publish([(prefix + short[0], short[1]), (prefix + wrong_port[0], json.dumps(body))])
    letters = wait_until(
        lambda: (
            list(DeadLetter.objects.filter(dev_eui=eui))
            if DeadLetter.objects.filter(dev_eui=eui).count() == 2
            else None
        ),
        30,
        "two dead letters",
    )
    assert {d.reason for d in letters} == {"decode_error"}
    assert any("10 bytes" in d.detail for d in letters)
    a = Aerator.objects.get(pk=p["aerator"].pk)
    assert a.reported_on is None and a.reported_at is None
