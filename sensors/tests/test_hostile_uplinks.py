"""Hostile uplinks against the pipeline: forged times, poison numbers, floods and replays.

Each test first builds the attack as a real network-server message (the simulator's
ChirpStack v4 events, or the real TTS example) and runs it through the real
pipeline, codecs, PostgreSQL and Redis. End-to-end cases over MQTT and InfluxDB are
in ``test_hostile_bridge.py``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import math
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from agrimon.config import load
from demo.fleet import Fleet, chirpstack_up, register_fleet, up_topic
from sensors.bridge.dedup import Dedup, SharedDedup
from sensors.bridge.events import EventError, Uplink, parse, settle_time
from sensors.bridge.pipeline import (
    DEAD_LETTER_BODY_BYTES,
    Batch,
    Counters,
    DeadLetterRow,
    DeviceDirectory,
    Limits,
    Pipeline,
)
from sensors.devices import save_radio_status
from sensors.models import DeadLetter, Device, Gateway
from sensors.tests.conftest import make_farm

NOW_NS = time.time_ns()
YEAR_2100_NS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp()) * 10**9
MINUTE_NS = 60 * 10**9


# --- building messages --------------------------------------------------------------------


def rfc3339(ns: int) -> str:
    seconds, frac = divmod(ns, 10**9)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def message(
    fleet: Fleet,
    time_ns: int,
    f_cnt: int,
    *,
    node: int = 1,
    time_text: str | None = None,
    gateways: list[tuple[str, int, float]] | None = None,
    **changes,
) -> tuple[str, bytes]:
    """A ChirpStack ``up`` event of one simulated node; ``changes`` overwrite JSON keys."""
    n = fleet.nodes[node]
    n.f_cnt = f_cnt
    payload = n.payload(n.measure(datetime.fromtimestamp(time_ns / 1e9, UTC), 60))
    doc = chirpstack_up(n, payload, time_ns, gateways or [("7276ff002e062a01", -90, 5.5)])
    if time_text is not None:
        doc["time"] = time_text
    doc.update(changes)
    return up_topic(n.dev_eui), json.dumps(doc).encode()


def with_rx(topic_body: tuple[str, bytes], **rx) -> tuple[str, bytes]:
    topic, body = topic_body
    doc = json.loads(body)
    doc["rxInfo"][0].update(rx)
    return topic, json.dumps(doc).encode()


def device_points(batch: Batch) -> list[tuple[str, int]]:
    """(fields, timestamp) of every ``device`` line of a batch."""
    out = []
    for line in batch.lines:
        if line.startswith("device,"):
            head, fields, stamp = line.rsplit(" ", 2)
            out.append((fields, int(stamp)))
    return out


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def fleet(db) -> Fleet:
    make_farm()
    f = Fleet(4, lost=0.0, corrupt=0.0, seed=11)
    register_fleet(f)
    return f


def new_pipeline(dedup=None, **limits) -> Pipeline:
    directory = DeviceDirectory()
    directory.load()
    return Pipeline(directory, Counters(), dedup=dedup or Dedup(600), limits=Limits(**limits))


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"test:dedup:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(load().redis_url)
    keys = list(client.scan_iter(prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def shared(prefix: str, window_s: float = 600.0) -> SharedDedup:
    return SharedDedup(load().redis_url, prefix, window_s)


# --- 1. event time plausibility -----------------------------------------------------------


def test_an_uplink_stamped_2100_is_stored_at_the_network_servers_receive_time(fleet):
    p = new_pipeline()
    topic, body = message(fleet, NOW_NS, 5, time_text="2100-01-01T00:00:00Z")
    ns_time = rfc3339_ns_of(body)
    batch = p.process([(topic, body)])
    [(fields, stamp)] = device_points(batch)
    assert stamp == ns_time  # the network server's rxInfo.nsTime, not 2100
    skew = float(fields.split("clock_skew_s=")[1].split(",")[0])
    assert skew == pytest.approx((YEAR_2100_NS - ns_time) / 1e9)
    assert p.counters.clock_corrected == 1
    assert all(t <= NOW_NS + 10 * MINUTE_NS for t in batch.times)


def rfc3339_ns_of(body: bytes) -> int:
    from sensors.bridge.events import rfc3339_ns

    return rfc3339_ns(json.loads(body)["rxInfo"][0]["nsTime"])


def test_a_forged_time_without_a_plausible_server_time_is_stored_at_the_bridges_receive_time(
    fleet,
):
    p = new_pipeline()
    forged = with_rx(
        message(fleet, NOW_NS, 5, time_text="2100-01-01T00:00:00Z"),
        nsTime="2100-01-01T00:00:00Z",
    )
    before = time.time_ns()
    batch = p.process([forged])
    [(_, stamp)] = device_points(batch)
    assert before <= stamp <= time.time_ns()


@pytest.mark.parametrize(
    "text", ["1999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]
)
def test_times_before_2000_are_replaced_by_the_receive_time(fleet, text):
    p = new_pipeline()
    topic, body = with_rx(message(fleet, NOW_NS, 5, time_text=text), nsTime=text)
    batch = p.process([(topic, body)])
    [(fields, stamp)] = device_points(batch)
    assert abs(stamp - time.time_ns()) < MINUTE_NS and "clock_skew_s=-" in fields


def test_a_time_older_than_the_raw_retention_is_replaced_by_the_receive_time(fleet):
    p = new_pipeline(max_age_ns=30 * 86400 * 10**9)
    old = NOW_NS - 40 * 86400 * 10**9
    topic, body = with_rx(message(fleet, old, 5), nsTime=rfc3339(old))
    [(_, stamp)] = device_points(p.process([(topic, body)]))
    assert abs(stamp - time.time_ns()) < MINUTE_NS


def test_a_replayed_uplink_of_yesterday_keeps_its_own_time(fleet):
    p = new_pipeline()
    yesterday = NOW_NS - 86400 * 10**9
    batch = p.process([message(fleet, yesterday, 5)])
    [(fields, stamp)] = device_points(batch)
    assert stamp == yesterday and "clock_skew_s" not in fields


def test_a_clock_a_few_minutes_fast_is_within_the_skew_and_kept(fleet):
    p = new_pipeline()
    ahead = NOW_NS + 5 * MINUTE_NS
    [(_, stamp)] = device_points(p.process([message(fleet, ahead, 5)]))
    assert stamp == ahead and p.counters.clock_corrected == 0


def test_settle_time_prefers_a_plausible_network_server_time():
    up = Uplink(
        "chirpstack", "up", "0011223344556677", YEAR_2100_NS, ns_time=rfc3339(NOW_NS - 10**9)
    )
    assert settle_time(up, NOW_NS, 600 * 10**9, 400 * 86400 * 10**9)
    assert up.time_ns == NOW_NS - 10**9 and up.clock_skew_ns == YEAR_2100_NS - up.time_ns


# --- 3. poison messages ---------------------------------------------------------------------

POISON_NUMBERS = ["NaN", "Infinity", "-Infinity", "nan", "1e400", 2**70, -(2**70), True, [1], {}]


@pytest.mark.parametrize("value", POISON_NUMBERS, ids=repr)
@pytest.mark.parametrize("field", ["rssi", "snr"])
def test_poison_radio_metadata_is_dropped_with_its_reason_and_the_reading_kept(fleet, field, value):
    p = new_pipeline()
    batch = p.process([with_rx(message(fleet, NOW_NS, 5), **{field: value})])
    [(fields, _)] = device_points(batch)
    assert f"{field}=" not in fields.replace(f'rejected="{field}', "")
    assert f'rejected="{field}:' in fields
    assert any(line.startswith("water,") for line in batch.lines)  # the readings are stored
    assert p.counters.fields_rejected == 1 and not batch.dead


@pytest.mark.parametrize("value", ["NaN", "Infinity", 2**70, 101, -5])
def test_poison_battery_level_in_a_status_event_is_dropped(fleet, value):
    p = new_pipeline()
    eui = fleet.nodes[1].dev_eui
    doc = {"time": rfc3339(NOW_NS), "deviceInfo": {"devEui": eui}, "batteryLevel": value}
    topic = up_topic(eui).replace("/event/up", "/event/status")
    batch = p.process([(topic, json.dumps(doc).encode())])
    assert not batch.lines and not batch.dead and p.counters.fields_rejected == 1


def test_a_tts_battery_percentage_of_infinity_is_dropped(load_shared_json):
    ex = next(
        e
        for e in load_shared_json("ns_uplinks.json")["tts_v3"]["examples"]
        if "last_battery_percentage" in json.dumps(e.get("json", {}))
    )
    doc = json.loads(json.dumps(ex["json"]))
    doc["uplink_message"]["last_battery_percentage"]["value"] = "Infinity"
    up = parse("v3/a@t/devices/d/up", json.dumps(doc).encode(), NOW_NS)
    assert up.battery_pct is None and up.rejected == "battery_pct:not_finite"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("fCnt", 2**70),
        ("fCnt", -1),
        ("fCnt", "NaN"),
        ("fCnt", 1.5),
        ("fPort", 256),
        ("fPort", True),
    ],
)
def test_counters_outside_their_lorawan_width_are_dead_lettered_not_written(fleet, key, value):
    p = new_pipeline()
    batch = p.process([message(fleet, NOW_NS, 5, **{key: value}), message(fleet, NOW_NS, 6)])
    assert [d.reason for d in batch.dead] == ["bad_message"]
    assert key in batch.dead[0].detail
    assert len(device_points(batch)) == 1  # the next message is written


@pytest.mark.parametrize(
    "text",
    [
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "2026-13-45T00:00:00Z",
    ],
)
def test_impossible_times_are_dead_lettered_not_fatal(fleet, text):
    p = new_pipeline()
    batch = p.process([message(fleet, NOW_NS, 5, time_text=text), message(fleet, NOW_NS, 6)])
    assert [d.reason for d in batch.dead] == ["bad_message"]
    assert len(device_points(batch)) == 1


def test_year_0001_and_9999_times_never_reach_the_device_status_save(fleet):
    p = new_pipeline()
    p.process(
        [
            with_rx(message(fleet, NOW_NS, 5, time_text="0001-01-01T00:00:00Z"), nsTime="x"),
            with_rx(message(fleet, NOW_NS, 6, time_text="9999-12-31T23:59:59Z"), nsTime="x"),
            with_rx(message(fleet, NOW_NS, 7, time_text="9999-12-31T23:59:59-23:59"), nsTime="x"),
        ]
    )
    status, gateways = p.take_status()
    save_radio_status(status, gateways)  # raised "year 10000 is out of range" before
    device = Device.objects.get(dev_eui=fleet.nodes[1].dev_eui)
    assert abs(device.last_seen.timestamp() - time.time()) < 60 and device.f_cnt == 7


def test_device_status_save_skips_times_no_database_can_hold(fleet):
    device = Device.objects.get(dev_eui=fleet.nodes[1].dev_eui)
    save_radio_status(
        {device.pk: [10**30, 3.3, -80.0, 5.0, 7, -1]}, {"7276ff002e062a01": -(10**30)}
    )
    device.refresh_from_db()
    assert device.last_seen is None


def codec_returning(value):
    """A vendor decoder with a bug: it returns a number no float can hold."""
    from sensors.codecs import decode

    def decode_with_bug(profile: str, f_port: int, payload: bytes):
        decoded = decode(profile, f_port, payload)
        if profile == "native-water" and payload:
            decoded.readings[0] = dataclasses.replace(decoded.readings[0], value=value)
        return decoded

    return decode_with_bug


def test_an_unexpected_exception_sends_only_that_message_to_dead_letters(fleet):
    directory = DeviceDirectory()
    directory.load()
    p = Pipeline(directory, Counters(), decode=codec_returning(10**400))
    bad = message(fleet, NOW_NS, 5, node=1)  # a water node: its decoder has the bug
    good = message(fleet, NOW_NS + 1, 5, node=2)  # a soil node
    batch = p.process([bad, good])
    assert [d.reason for d in batch.dead] == ["processing_error"]
    assert "OverflowError" in batch.dead[0].detail
    assert batch.dead[0].dev_eui == fleet.nodes[1].dev_eui
    assert not any(fleet.nodes[1].dev_eui in line for line in batch.lines)  # nothing half-written
    assert len(device_points(batch)) == 1 and p.counters.poisoned == 1


json_numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-0", "0x10", "", " 5"]),
    st.booleans(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(rssi=json_numbers, snr=json_numbers, f_cnt=json_numbers, f_port=json_numbers)
def test_any_number_in_any_radio_field_parses_to_finite_in_range_values_or_an_event_error(
    rssi, snr, f_cnt, f_port
):
    doc = {
        "time": "2026-01-01T00:00:00Z",
        "deviceInfo": {"devEui": "0101010101010101"},
        "fCnt": f_cnt,
        "fPort": f_port,
        "rxInfo": [{"gatewayId": "0016c001f153a14c", "rssi": rssi, "snr": snr}],
    }
    try:
        up = parse("application/a/device/0101010101010101/event/up", json.dumps(doc).encode(), 0)
    except EventError:
        return
    assert 0 <= up.f_cnt < 2**32 and 0 <= up.f_port < 256
    for value in (up.rssi, up.snr):
        assert value is None or (isinstance(value, float) and math.isfinite(value))


# --- 4. de-duplication --------------------------------------------------------------------


def run_counter(fleet: Fleet, start_ns: int, count: int, step_ns: int, node: int = 1) -> list:
    return [message(fleet, start_ns + i * step_ns, i, node=node) for i in range(count)]


@pytest.mark.parametrize("kind", ["local", "shared"])
@pytest.mark.parametrize("before", [20, 1000])
def test_a_node_rebooting_within_the_window_loses_nothing(fleet, redis_prefix, kind, before):
    dedup = Dedup(600) if kind == "local" else shared(redis_prefix)
    p = new_pipeline(dedup=dedup)
    step = 10**8  # 0.1 s apart: the whole run and the reboot fit inside the 10-minute window
    start = NOW_NS - 3600 * 10**9
    first = run_counter(fleet, start, before, step)
    second = run_counter(fleet, start + before * step + 10**9, 1000, step)  # fCnt from 0 again
    stored = 0
    for i in range(0, len(first + second), 250):
        stored += len(p.process((first + second)[i : i + 250]).times)
    assert stored == before + 1000
    assert p.counters.duplicates == 0 and p.dedup.resets == 1


@pytest.mark.parametrize("kind", ["local", "shared"])
def test_retransmissions_and_redeliveries_are_still_dropped(fleet, redis_prefix, kind):
    dedup = Dedup(600) if kind == "local" else shared(redis_prefix)
    p = new_pipeline(dedup=dedup)
    first = message(fleet, NOW_NS, 7)
    retransmitted = message(fleet, NOW_NS + 3 * 10**9, 7)
    batch = p.process([first, first, retransmitted])
    batch2 = p.process([first])
    assert len(batch.times) == 1 and not batch2.times and p.counters.duplicates == 3


@pytest.mark.parametrize("kind", ["local", "shared"])
def test_a_join_or_a_new_session_starts_a_fresh_counter(redis_prefix, kind):
    dedup = Dedup(600) if kind == "local" else shared(redis_prefix)
    eui = "0011223344556677"

    def up(f_cnt: int, seconds: int, session: str = "", event: str = "up") -> Uplink:
        return Uplink("tts", event, eui, NOW_NS + seconds * 10**9, f_cnt=f_cnt, session=session)

    flags = dedup.check([up(1, 0, "s1"), up(1, 5, "s2"), up(1, 6, "s2")])
    assert flags == [False, False, True]
    flags = dedup.check([up(2, 10, "s2"), up(0, 11, event="join"), up(2, 20, "s2")])
    assert flags == [False, False, False]


def copies(fleet: Fleet, count: int) -> tuple[list, list]:
    """Two gateways' copies of each uplink, as two network-server events milliseconds apart."""
    a, b = [], []
    for i in range(count):
        t = NOW_NS - 600 * 10**9 + i * MINUTE_NS
        a.append(message(fleet, t, 100 + i, gateways=[("7276ff002e062a01", -90, 5.0)]))
        b.append(message(fleet, t + 3_000_000, 100 + i, gateways=[("7276ff002e062a02", -99, 1.0)]))
    return a, b


def test_gateway_copies_split_across_two_bridges_sharing_redis_are_written_once(
    fleet, redis_prefix
):
    first, second = (
        new_pipeline(dedup=shared(redis_prefix)),
        new_pipeline(dedup=shared(redis_prefix)),
    )
    a, b = copies(fleet, 20)
    written = 0
    for i in range(0, 20, 5):  # interleaved batches, as a share group delivers them
        written += len(first.process(a[i : i + 5]).times)
        written += len(second.process(b[i : i + 5]).times)
    assert written == 20
    assert first.counters.duplicates + second.counters.duplicates == 20


def test_bridges_in_process_memory_only_write_split_copies_twice(fleet):
    """The failure shared dedup fixes: each bridge sees only its own half."""
    first, second = new_pipeline(), new_pipeline()
    a, b = copies(fleet, 20)
    assert len(first.process(a).times) + len(second.process(b).times) == 40


def test_a_reboot_seen_by_one_bridge_does_not_drop_the_next_frames_on_the_other(
    fleet, redis_prefix
):
    first, second = (
        new_pipeline(dedup=shared(redis_prefix)),
        new_pipeline(dedup=shared(redis_prefix)),
    )
    step = 10**9
    start = NOW_NS - 3600 * 10**9
    before = run_counter(fleet, start, 30, step)
    after = run_counter(fleet, start + 31 * step, 30, step)
    written = 0
    for i, msg in enumerate(before + after):
        written += len((first if i % 2 else second).process([msg]).times)
    assert written == 60


def test_redis_unreachable_falls_back_to_the_process_window_and_logs_once(fleet, caplog):
    dedup = SharedDedup("redis://127.0.0.1:1/0", "x:", 600, retry_s=0.0)
    p = new_pipeline(dedup=dedup)
    msg = message(fleet, NOW_NS, 9)
    with caplog.at_level(logging.WARNING, logger="sensors.bridge.dedup"):
        assert len(p.process([msg]).times) == 1
        assert not p.process([msg]).times  # the in-process window still catches the repeat
        p.process([message(fleet, NOW_NS + MINUTE_NS, 10)])
    assert len([r for r in caplog.records if "Redis unreachable" in r.message]) == 1
    assert p.counters.dedup_fallbacks == 3


def test_a_late_replay_does_not_move_last_seen_counter_or_rssi_backwards(fleet):
    p = new_pipeline()
    eui = fleet.nodes[1].dev_eui
    new = with_rx(message(fleet, NOW_NS, 500), rssi=-70)
    p.process([new])
    save_radio_status(*p.take_status())
    old = with_rx(message(fleet, NOW_NS - 3600 * 10**9, 400), rssi=-119)
    p.process([old])  # a network server replaying its queue an hour late
    save_radio_status(*p.take_status())
    device = Device.objects.get(dev_eui=eui)
    assert device.f_cnt == 500 and device.rssi == -70
    assert device.last_seen.timestamp() == pytest.approx(NOW_NS / 1e9, abs=1e-3)


def test_a_late_replay_does_not_move_a_gateways_last_seen_backwards(fleet):
    save_radio_status({}, {"7276ff002e062a01": NOW_NS})
    save_radio_status({}, {"7276ff002e062a01": NOW_NS - 3600 * 10**9})
    gw = Gateway.objects.get(gateway_eui="7276ff002e062a01")
    assert gw.last_seen.timestamp() == pytest.approx(NOW_NS / 1e9, abs=1e-3)


# --- 5. size cap, bounded dead letters, retention, gateways ---------------------------------


def test_a_message_over_the_size_cap_is_dead_lettered_with_a_bounded_body(fleet):
    p = new_pipeline(max_message_bytes=64 * 1024)
    topic, body = message(fleet, NOW_NS, 5)
    doc = json.loads(body)
    doc["padding"] = "x" * 200_000
    huge = json.dumps(doc).encode()
    batch = p.process([(topic, huge), message(fleet, NOW_NS, 6)])
    [dead] = batch.dead
    assert dead.reason == "too_large" and str(len(huge)) in dead.detail
    assert len(dead.body) == DEAD_LETTER_BODY_BYTES and dead.body == huge[:DEAD_LETTER_BODY_BYTES]
    assert dead.size == len(huge) and dead.sha256 == hashlib.sha256(huge).hexdigest()
    assert len(device_points(batch)) == 1 and p.counters.oversize == 1


def test_every_dead_letter_keeps_at_most_4_kib_with_size_and_digest(db):
    junk = b"{" + b"z" * 20_000
    row = DeadLetterRow(NOW_NS, "bad_message", "not JSON", "t", junk, "", "unknown")
    saved = DeadLetter.objects.create(**row.as_model_kwargs())
    assert len(base64.b64decode(saved.message_b64)) == 4096
    assert saved.size == len(junk) and saved.sha256 == hashlib.sha256(junk).hexdigest()
    assert saved.truncated


def test_dead_letter_text_never_carries_a_nul_that_postgresql_refuses(db):
    row = DeadLetterRow(NOW_NS, "processing_error", "bad \x00 byte \ud800", "a\x00b", b"", "", "x")
    saved = DeadLetter.objects.create(**row.as_model_kwargs())
    assert "\x00" not in saved.detail and "\x00" not in saved.topic


def test_dead_letters_older_than_the_retention_are_purged(db, settings):
    from sensors.tasks import purge_dead_letters

    settings.DEAD_LETTER_RETENTION_DAYS = 30
    now = datetime.now(UTC)
    for age in (31, 29, 1):
        row = DeadLetterRow(0, "bad_message", "", "t", b"x", "", "unknown").as_model_kwargs()
        DeadLetter.objects.create(**{**row, "received_at": now - timedelta(days=age)})
    assert purge_dead_letters() == 1
    assert DeadLetter.objects.count() == 2


def test_the_purge_runs_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "sensors.purge_dead_letters" in tasks


def test_junk_gateway_ids_are_ignored_and_counted(fleet):
    p = new_pipeline()
    junk = [("not-a-gateway-id", -90, 1.0), ("zzzzzzzzzzzzzzzz", -90, 1.0), ("12", -80, 2.0)]
    p.process([message(fleet, NOW_NS, 5, gateways=[*junk, ("7276FF002E062A01", -70, 3.0)])])
    status, gateways = p.take_status()
    assert list(gateways) == ["7276ff002e062a01"]
    assert p.counters.gateways_ignored == 3


def test_one_message_and_one_status_window_create_few_new_gateways(fleet):
    p = new_pipeline(new_gateways_per_uplink=4, new_gateways_per_save=10)
    forged = [(f"{i:016x}", -90, 1.0) for i in range(1, 51)]
    p.process([message(fleet, NOW_NS + i, 5 + i, gateways=forged) for i in range(5)])
    status, gateways = p.take_status()
    save_radio_status(status, gateways)
    assert Gateway.objects.count() == 10
    # Each message names 50; the ones already let in are not ignored (4, 8, 10, 10, 10).
    assert p.counters.gateways_ignored == 46 + 42 + 40 + 40 + 40


def test_known_gateways_are_never_capped(fleet):
    Gateway.objects.bulk_create([Gateway(gateway_eui=f"{i:016x}") for i in range(1, 21)])
    p = new_pipeline(new_gateways_per_uplink=1, new_gateways_per_save=1)
    heard = [(f"{i:016x}", -90, 1.0) for i in range(1, 21)]
    p.process([message(fleet, NOW_NS, 5, gateways=heard)])
    assert len(p.take_status()[1]) == 20 and p.counters.gateways_ignored == 0
