"""Parsing network-server events exactly as ChirpStack v4 and TTS v3 emit them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.bridge.events import EventError, Uplink, parse, rfc3339_ns
from sensors.bridge.pipeline import Dedup


def examples(load_shared_json, server: str) -> list[dict]:
    return load_shared_json("ns_uplinks.json")[server]["examples"]


def test_chirpstack_up_from_the_docs_parses_with_defaults_for_omitted_fields(load_shared_json):
    ex = next(e for e in examples(load_shared_json, "chirpstack_v4") if e["event"] == "up")
    up = parse(ex["topic"], json.dumps(ex["json"]).encode(), 0)
    assert up.dev_eui == "0101010101010101"
    assert up.f_cnt == 0  # ChirpStack 4.0 omitted default values
    assert up.f_port == 1 and up.payload == b"\xaa"
    assert up.rssi == -36 and up.snr == 10.5
    assert up.gateways == ("0016c001f153a14c",)
    assert up.time_ns == rfc3339_ns("2022-07-18T09:34:15.775023242+00:00")
    assert up.time_ns % 1_000_000_000 == 775023242


def test_chirpstack_join_and_status_events_parse(load_shared_json):
    by_event = {e["event"]: e for e in examples(load_shared_json, "chirpstack_v4")}
    join = parse(by_event["join"]["topic"], json.dumps(by_event["join"]["json"]).encode(), 0)
    assert join.kind == "join" and join.dev_eui == "0101010101010101"
    status = parse(by_event["status"]["topic"], json.dumps(by_event["status"]["json"]).encode(), 0)
    assert status.kind == "status" and status.battery_pct == 88.3


def test_chirpstack_log_events_are_not_consumed(load_shared_json):
    ex = next(e for e in examples(load_shared_json, "chirpstack_v4") if e["event"] == "log")
    assert parse(ex["topic"], json.dumps(ex["json"]).encode(), 0) is None


def test_tts_uplinks_parse_with_upper_case_eui_and_omitted_zero_counter(load_shared_json):
    for ex in examples(load_shared_json, "tts_v3"):
        if "json" not in ex or "uplink_message" not in json.dumps(ex["json"]):
            continue
        doc = ex["json"]
        inner = doc.get("result", doc)
        topic = ex["topic"] or f"v3/app@ttn/devices/{inner['end_device_ids']['device_id']}/up"
        up = parse(topic, json.dumps(doc).encode(), 123)
        assert up.dev_eui == inner["end_device_ids"]["dev_eui"].lower()
        assert up.f_cnt == inner["uplink_message"].get("f_cnt", 0)
        assert up.payload  # frm_payload decoded from base64
        assert up.gateways and up.rssi is not None


def test_tts_uplink_without_received_at_falls_back_to_the_receive_time(load_shared_json):
    ex = next(e for e in examples(load_shared_json, "tts_v3") if e["topic"] and "/up" in e["topic"])
    up = parse(ex["topic"], json.dumps(ex["json"]).encode(), 123)
    assert up.time_ns == 123 and up.f_port == 15


def test_tts_starter_kit_uplink_carries_battery_percentage_and_session(load_shared_json):
    ex = next(
        e
        for e in examples(load_shared_json, "tts_v3")
        if "starter" in e["name"].lower()
        or "last_battery_percentage" in json.dumps(e.get("json", {}))
    )
    up = parse(
        "v3/starter-kit@x/devices/eui-70b3d52dd600035a/up", json.dumps(ex["json"]).encode(), 0
    )
    assert up.battery_pct == pytest.approx(90.118576)
    assert up.session == "aAixKtmNZUKQXd4GqpHDsw==" and up.f_cnt == 14


def test_tts_join_carries_the_new_session(load_shared_json):
    ex = next(
        e
        for e in examples(load_shared_json, "tts_v3")
        if e["topic"] and e["topic"].endswith("/join")
    )
    join = parse(ex["topic"], json.dumps(ex["json"]).encode(), 0)
    assert join.kind == "join" and join.session == "AWiZpAyXrAfEkUNkBljRoA=="


def test_the_docs_example_that_is_not_json_is_refused(load_shared_json):
    ex = next(e for e in examples(load_shared_json, "tts_v3") if "raw_text" in e)
    with pytest.raises(EventError, match="JSON"):
        parse("v3/app1@t/devices/dev1/up", ex["raw_text"].encode(), 0)


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        ("foo/bar", b"{}", "neither"),
        ("application/a/device/0101010101010101/event/up", b"[1]", "object"),
        ("application/a/device/0101010101010101/event/up", b"{}", "deviceInfo"),
        (
            "application/a/device/0101010101010101/event/up",
            b'{"deviceInfo": {"devEui": "zz"}}',
            "DevEUI",
        ),
        (
            "application/a/device/0101010101010101/event/up",
            b'{"deviceInfo": {"devEui": "0101010101010101"}, "data": "!!", "time": '
            b'"2024-01-01T00:00:00Z"}',
            "base64",
        ),
        (
            "application/a/device/0101010101010101/event/up",
            b'{"deviceInfo": {"devEui": "0101010101010101"}, "time": "yesterday"}',
            "RFC 3339",
        ),
    ],
)
def test_malformed_messages_raise_an_event_error_with_the_reason(topic, body, reason):
    with pytest.raises(EventError, match=reason):
        parse(topic, body, 0)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:00:01Z", 1_000_000_000),
        ("1970-01-01T00:00:01.5Z", 1_500_000_000),
        ("1970-01-01T08:00:01.000000001+08:00", 1_000_000_001),
        ("1970-01-01T00:00:00.1234567891Z", 123_456_789),
    ],
)
def test_rfc3339_keeps_nanoseconds_and_offsets(text, ns):
    assert rfc3339_ns(text) == ns


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
CHIRPSTACK_KEYS = [
    "deviceInfo",
    "devEui",
    "time",
    "fCnt",
    "fPort",
    "data",
    "rxInfo",
    "rssi",
    "snr",
    "gatewayId",
    "batteryLevel",
]
TTS_KEYS = [
    "end_device_ids",
    "dev_eui",
    "uplink_message",
    "f_cnt",
    "f_port",
    "frm_payload",
    "rx_metadata",
    "received_at",
    "gateway_ids",
    "eui",
    "result",
    "join_accept",
]


@settings(max_examples=400, deadline=None)
@given(
    doc=st.dictionaries(st.sampled_from(CHIRPSTACK_KEYS + TTS_KEYS), json_values, max_size=8),
    topic=st.sampled_from(
        [
            "application/a/device/0101010101010101/event/up",
            "application/a/device/0101010101010101/event/status",
            "application/a/device/0101010101010101/event/join",
            "v3/app@t/devices/dev1/up",
            "v3/app@t/devices/dev1/join",
        ]
    ),
)
def test_arbitrary_json_gives_an_event_or_an_event_error_never_another_exception(doc, topic):
    try:
        parse(topic, json.dumps(doc).encode(), 0)
    except EventError:
        pass


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_give_an_event_error_or_nothing(body):
    try:
        parse("application/a/device/0101010101010101/event/up", body, 0)
    except EventError:
        pass


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _replace(doc, path, value):
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_real_messages_with_one_field_mistyped_never_raise_another_exception(
    load_shared_json, data
):
    examples = [
        (e["topic"] or "v3/app@t/devices/dev1/up", e["json"])
        for server in ("chirpstack_v4", "tts_v3")
        for e in load_shared_json("ns_uplinks.json")[server]["examples"]
        if "json" in e
    ]
    topic, doc = data.draw(st.sampled_from(examples))
    path = data.draw(st.sampled_from(list(_paths(doc))))
    mutated = _replace(doc, path, data.draw(json_values))
    try:
        parse(topic, json.dumps(mutated).encode(), 0)
    except EventError:
        pass


def _up(f_cnt: int, t_s: float, session: str = "") -> Uplink:
    return Uplink("tts", "up", "0011223344556677", int(t_s * 1e9), f_cnt=f_cnt, session=session)


def test_dedup_drops_repeats_within_the_window_only():
    dedup = Dedup(window_s=600)
    assert not dedup.is_repeat(_up(7, 0))
    assert dedup.is_repeat(_up(7, 0))  # redelivered
    assert dedup.is_repeat(_up(7, 3))  # retransmitted
    assert not dedup.is_repeat(_up(7, 3600))  # same counter an hour later: a new frame


def test_dedup_treats_a_new_tts_session_as_a_fresh_counter():
    dedup = Dedup(window_s=600)
    assert not dedup.is_repeat(_up(1, 0, "s1"))
    assert not dedup.is_repeat(_up(1, 5, "s2"))  # rejoined: f_cnt 1 again within seconds
    assert dedup.is_repeat(_up(1, 6, "s2"))


def test_dedup_counts_a_reboot_as_a_counter_reset():
    dedup = Dedup(window_s=600)
    for i in range(1, 50):
        dedup.is_repeat(_up(i, i * 60))
    assert not dedup.is_repeat(_up(0, 50 * 60))
    assert dedup.resets == 1
