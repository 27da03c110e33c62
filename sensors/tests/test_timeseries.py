"""The InfluxDB module against a real InfluxDB: escaping, bind parameters, buckets, roll-ups."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from sensors.timeseries import (
    MAX_POINTS,
    InfluxRejected,
    InfluxUnavailable,
    Point,
    TimeSeries,
    bucket_for,
    encode_line,
    tag_set,
    to_ns,
)

# Recent enough for the test database's 30-day retention; whole hours for the roll-ups.
# Midnight, so a test's first hours never straddle a chart bucket (buckets of a few hours
# are aligned to the epoch); four days back keeps the points inside the raw retention.
T0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=4)
DEV = "0011223344556677"
TAGS = {"org": "1", "region": "421083", "farm": "2", "site": "3", "device": DEV}


def water(minutes: int, **fields) -> Point:
    return Point("water", TAGS, fields, to_ns(T0 + timedelta(minutes=minutes)))


def test_line_protocol_escapes_separators_in_names_and_values():
    line = encode_line(
        "my water", tag_set({"a b": "x,y=z", "empty": ""}), {"f=1": 1.5, "s": 'say "hi"\\'}, 7
    )
    assert line == r'my\ water,a\ b=x\,y\=z f\=1=1.5,s="say \"hi\"\\" 7'


def test_escaped_tag_values_round_trip_through_influxdb(influx):
    odd = 'o,d d="x"\\y'
    influx.write([Point("water", {"device": DEV, "site": odd}, {"do": 5.0, "n": 3}, to_ns(T0))])
    rows = influx.query('SELECT "do", "n" FROM "raw"."water" WHERE "site" = $s', {"s": odd})
    assert rows[0]["values"] == [[to_ns(T0) // 10**6, 5.0, 3]]


def test_series_keeps_each_chart_at_or_below_a_thousand_points(influx):
    # Three days of minutely DO: 4320 raw points must come back as <= 1000 buckets.
    influx.write(water(m, do=5.0 + (m % 60) / 60) for m in range(3 * 24 * 60))
    samples = influx.series(SimpleNamespace(dev_eui=DEV), "do", T0, T0 + timedelta(days=3))
    assert 0 < len(samples) <= MAX_POINTS
    assert all(5.0 <= s.value <= 6.0 for s in samples)


@pytest.mark.parametrize("days", [1 / 24, 1, 7, 30, 365, 3650])
def test_bucket_gives_at_most_a_thousand_buckets(days):
    start = T0
    end = T0 + timedelta(days=days)
    width = bucket_for(start, end)
    assert (end - start).total_seconds() / width + 1 <= MAX_POINTS


INJECTIONS = [
    "3' OR '1'='1",
    '3" OR "1"="1',
    "3; DROP DATABASE x",
    "3\nDROP MEASUREMENT water",
    "/.*/",
    "$start",
]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_series_treats_an_injection_string_as_a_plain_value(influx, evil):
    influx.write([water(1, do=5.0)])
    site = SimpleNamespace(pk=evil)
    assert influx.series(site, "do", T0, T0 + timedelta(hours=1)) == []
    assert influx.query('SELECT count("do") FROM "raw"."water"')[0]["values"][0][1] == 1


@pytest.mark.parametrize("evil", ["0011223344556677' OR 1=1", "*", 'a"b'])
def test_latest_refuses_what_is_not_a_dev_eui(influx, evil):
    with pytest.raises(ValueError):
        influx.latest(evil)


@pytest.mark.parametrize("metric", ['do" FROM water; DROP DATABASE x --', "time", "*"])
def test_series_refuses_a_metric_outside_the_allow_list(influx, metric):
    with pytest.raises(ValueError):
        influx.series(SimpleNamespace(pk=3), metric, T0, T0 + timedelta(hours=1))


def test_latest_gives_each_metric_its_own_last_value_and_time(influx):
    influx.write([water(1, do=5.0, ph=7.5), water(2, do=4.0)])
    influx.write([Point("device", TAGS, {"battery_v": 3.6}, to_ns(T0))])
    last = influx.latest(DEV)
    assert last["do"] == (T0 + timedelta(minutes=2), 4.0)
    assert last["ph"] == (T0 + timedelta(minutes=1), 7.5)
    assert last["battery_v"] == (T0, 3.6)


def test_hourly_rollup_writes_mean_min_max_count_and_is_idempotent(influx):
    influx.write(water(m, do=float(m)) for m in range(120))
    influx.rollup_hours(T0, T0 + timedelta(hours=2))
    influx.rollup_hours(T0, T0 + timedelta(hours=2))
    rows = influx.query(
        'SELECT "mean_do", "min_do", "max_do", "count_do" FROM "rollup"."water_1h"'
    )[0]["values"]
    assert [r[1:] for r in rows] == [[29.5, 0.0, 59.0, 60], [89.5, 60.0, 119.0, 60]]


def test_regional_aggregate_matches_by_division_code_prefix(influx):
    other = dict(TAGS, region="110101", device="00000000000000ff")
    influx.write(water(m, do=4.0) for m in range(60))
    influx.write(
        Point("water", other, {"do": 9.0}, to_ns(T0 + timedelta(minutes=m))) for m in range(60)
    )
    influx.rollup_hours(T0, T0 + timedelta(hours=1))
    end = T0 + timedelta(hours=1)
    hubei = influx.regional("do", "42", T0, end)
    assert [(r["mean"], r["count"]) for r in hubei] == [(4.0, 60)]
    assert [r["mean"] for r in influx.regional("do", "4210", T0, end)] == [4.0]
    assert influx.regional("do", "43", T0, end) == []
    with pytest.raises(ValueError):
        influx.regional("do", "42|.*", T0, end)


def test_ensure_database_makes_raw_the_finite_default_policy(influx):
    influx.ensure_database("30d")  # again, with another duration: altered, not duplicated
    rows = {r[0]: r for r in influx.query("SHOW RETENTION POLICIES")[0]["values"]}
    assert rows["raw"][1] == "720h0m0s" and rows["raw"][4] is True
    assert rows["rollup"][1] == "0s"
    with pytest.raises(ValueError):
        influx.ensure_database("INF")


def test_write_to_a_closed_port_raises_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ts = TimeSeries(f"http://127.0.0.1:{port}", "x", timeout=2)
    with pytest.raises(InfluxUnavailable):
        ts.write([water(1, do=1.0)])


def test_a_bad_statement_raises_rejected(influx):
    with pytest.raises(InfluxRejected):
        influx.query("SELECT FROM nothing WHERE")


def test_long_ranges_read_the_hourly_rollup(influx):
    influx.write(water(m, do=float(m)) for m in range(120))
    device = SimpleNamespace(dev_eui=DEV)
    end = T0 + timedelta(days=2)
    start = end - timedelta(days=90)  # 90 days: buckets of hours, served by the roll-up
    assert influx.series(device, "do", start, end) == []  # nothing rolled up yet
    influx.rollup_hours(T0, T0 + timedelta(hours=2))
    samples = influx.series(device, "do", start, end)
    assert len(samples) == 1 and samples[0].value == pytest.approx(59.5)


def test_rollup_task_rolls_up_the_configured_database(influx, monkeypatch):
    from sensors.tasks import rollup_hourly

    monkeypatch.setenv("INFLUX_DB", influx.database)
    # 90 minutes before the current hour began: inside the last three complete hours.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    influx.write([Point("water", TAGS, {"do": 4.0}, to_ns(hour - timedelta(minutes=90)))])
    assert rollup_hourly.apply(kwargs={"hours": 3}).get() == 1
    rows = influx.query('SELECT "count_do" FROM "rollup"."water_1h"')[0]["values"]
    assert rows[0][1] == 1
