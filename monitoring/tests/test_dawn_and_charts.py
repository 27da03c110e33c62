"""Tonight's dawn-oxygen outlook, chart data and its CSV, scoped by access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitoring import dawn
from monitoring.tests.conftest import low_do_rule, water
from sensors.timeseries import Point, to_ns

TZ = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=TZ)


def test_outlook_projects_the_evening_fall_to_dawn_and_says_when_it_crosses_the_floor():
    # 6.0 at 17:30, 4.5 at 21:30: −0.375 mg/L per hour → 0.94 at 07:00, 3.0 at 01:30.
    o = dawn.outlook((local(20, 17, 30), 6.0), (local(20, 21, 30), 4.5), 3.0, local(20, 21, 40), TZ)
    assert o.state == "forecast" and o.aerate
    assert o.minimum == 0.94
    assert o.minimum_at == local(21, 7)
    assert o.crosses_at == local(21, 1, 30)


def test_outlook_before_the_second_reading_says_when_a_forecast_comes():
    o = dawn.outlook((local(20, 17, 30), 6.0), None, 3.0, local(20, 18, 30), TZ)
    assert o.state == "waiting" and o.ready_at == local(20, 20)
    # After midnight the evening is yesterday's.
    o = dawn.outlook((local(20, 17, 30), 6.0), (local(21, 2), 5.9), 3.0, local(21, 2, 5), TZ)
    assert o.state == "forecast" and not o.aerate and o.minimum_at == local(21, 7)


def test_outlook_without_evening_readings_or_with_a_rising_line():
    assert dawn.outlook(None, (local(20, 21), 5.0), 3.0, local(20, 21, 5), TZ).state == "nodata"
    o = dawn.outlook((local(20, 17, 30), 5.0), (local(20, 21), 5.5), 3.0, local(20, 21, 5), TZ)
    assert o.state == "forecast" and not o.aerate and o.minimum == 5.5


def test_outlook_reads_the_evening_mean_from_influxdb(farms, readings):
    mine, _ = farms
    rule = low_do_rule(mine, threshold=4.0)
    assert dawn.floors([mine["pond"]]) == {mine["pond"].pk: rule.threshold}
    evening = datetime.now(UTC).astimezone(TZ).replace(hour=17, minute=10) - timedelta(days=1)
    for minute in (0, 20, 40):
        water(readings, mine, evening + timedelta(minutes=minute), do=6.0)
    now = evening.replace(hour=21, minute=30)
    latest = {mine["pond"].pk: (now - timedelta(minutes=5), 4.6)}
    o = dawn.load([mine["pond"]], latest, now, readings)[mine["pond"].pk]
    assert o.state == "forecast" and o.floor == 4.0 and o.aerate


def _points(readings, farm, hours: int, value) -> None:
    now = datetime.now(UTC)
    tags = {
        "farm": str(farm["farm"].pk),
        "site": str(farm["pond"].pk),
        "device": "00000000000000d1",
    }
    readings.write(
        Point("water", tags, {"do": value(h)}, to_ns(now - timedelta(hours=h)))
        for h in range(hours)
    )


def test_chart_data_has_mean_min_max_and_the_rule_limit(operator, farms, readings):
    mine, _ = farms
    low_do_rule(mine)
    _points(readings, mine, 20, lambda h: 5.0 + h % 3)
    r = operator.get("/monitoring/charts/data.json", {"sites": mine["pond"].pk, "metric": "do"})
    assert r.status_code == 200
    series = r.json()["series"]
    assert len(series) == 1 and series[0]["unit"] == "mg/L"
    assert series[0]["limits"] == [
        {"name": "溶解氧过低", "severity": "critical", "low": 3.0, "high": None}
    ]
    points = series[0]["points"]
    assert 0 < len(points) <= 1000
    assert all(p[2] <= p[1] <= p[3] for p in points)


def test_a_30_day_chart_reads_the_hourly_rollups(operator, farms, readings):
    mine, _ = farms
    _points(readings, mine, 6, lambda h: 4.0 + h)
    now = datetime.now(UTC)
    readings.rollup_hours(now - timedelta(hours=8), now + timedelta(hours=1))
    r = operator.get(
        "/monitoring/charts/data.json",
        {"sites": mine["pond"].pk, "metric": "do", "range": "30d"},
    )
    s = r.json()["series"][0]
    assert s["bucket_s"] >= 3600 and s["points"]
    assert min(p[2] for p in s["points"]) == 4.0 and max(p[3] for p in s["points"]) == 9.0


def test_csv_export_holds_the_buckets_shown_with_local_times(operator, farms, readings):
    mine, _ = farms
    _points(readings, mine, 5, lambda h: 6.0)
    r = operator.get(
        "/monitoring/charts/export.csv", {"sites": mine["pond"].pk, "metric": ["do", "ph"]}
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    data = operator.get(
        "/monitoring/charts/data.json", {"sites": mine["pond"].pk, "metric": ["do", "ph"]}
    ).json()
    # Every bucket shown, and one row without values for pH, which has no readings.
    assert len(rows) - 1 == sum(len(s["points"]) or 1 for s in data["series"])
    assert rows[1][0].endswith("+08:00") and rows[1][5] == "6"
    assert rows[1][1] == mine["farm"].name and rows[1][2] == mine["pond"].name


def test_csv_without_sites_covers_every_site_of_the_person_and_names_those_without_data(
    operator, farms, readings
):
    mine, theirs = farms
    _points(readings, mine, 3, lambda h: 6.0)
    r = operator.get("/monitoring/charts/export.csv")
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert {row[2] for row in rows} == {mine["pond"].name, mine["plot"].name}
    assert theirs["farm"].name not in body
    plot = [row for row in rows if row[2] == mine["plot"].name]
    assert len(plot) == 1 and plot[0][0] == "" and plot[0][5] == ""  # no soil readings
    assert plot[0][9] in ("无读数", "no readings")


def test_csv_says_per_pond_that_readings_were_unavailable(operator, farms, monkeypatch):
    mine, _ = farms
    monkeypatch.setenv("INFLUX_URL", "http://127.0.0.1:9")
    r = operator.get("/monitoring/charts/export.csv", {"sites": mine["pond"].pk})
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert r.status_code == 200 and len(rows) == 2
    assert rows[1][2] == mine["pond"].name and rows[1][9] in (
        "暂时无法获取数据",
        "readings unavailable right now",
    )


def test_charts_of_another_farm_or_bad_requests_are_refused_cleanly(operator, farms, readings):
    mine, theirs = farms
    url = "/monitoring/charts/data.json"
    both = f"{mine['pond'].pk},{theirs['pond'].pk}"
    assert operator.get(url, {"sites": both}).status_code == 404
    assert operator.get("/monitoring/charts/export.csv", {"sites": both}).status_code == 404
    for bad in (
        {},
        {"sites": "x"},
        {"sites": mine["pond"].pk, "metric": "drop"},
        {"sites": mine["pond"].pk, "range": "1y"},
        {"sites": mine["pond"].pk, "range": "custom", "start": "2026-07-02", "end": "2026-07-01"},
        {"sites": mine["pond"].pk, "range": "custom", "start": "nonsense", "end": "x"},
        {"sites": mine["pond"].pk, "range": "custom", "start": "2020-01-01", "end": "2026-01-01"},
    ):
        r = operator.get(url, bad)
        assert r.status_code == 400 and r.json()["message"], bad


def test_a_custom_range_is_read_in_the_farms_time_zone(operator, farms, readings):
    mine, _ = farms
    r = operator.get(
        "/monitoring/charts/data.json",
        {
            "sites": mine["pond"].pk,
            "range": "custom",
            "start": "2026-07-01T00:00",
            "end": "2026-07-02T00:00",
        },
    )
    assert r.json()["start"] == int(datetime(2026, 7, 1, tzinfo=TZ).timestamp() * 1000)
