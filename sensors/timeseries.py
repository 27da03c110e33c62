"""The one module that talks to InfluxDB: line protocol out, InfluxQL in.

Speaks the InfluxDB 1.x HTTP API (``POST /write``, ``GET|POST /query``), which
1.x serves natively and 2.x/3.x serve through their v1 compatibility endpoints.

Series layout (DESIGN.md §4): one measurement per domain (``soil``, ``water``,
``air``, ``device``); tags ``org`` (organisation id), ``region`` (county
GB/T 2260 code), ``farm`` (id), ``site`` (id), ``device`` (DevEUI) — bounded
cardinality, never a reading or free text; fields are the canonical metrics.
The bridge adds to each uplink's ``device`` point ``f_cnt`` and ``gateways``, and
when needed ``faults`` (probe faults and implausible readings), ``rejected``
(radio metadata dropped as not finite or out of range, with the reason) and
``clock_skew_s`` (the event's own time minus the receive time it was stored at,
when the event time was implausible).
Raw points live in the finite retention policy ``raw``; hourly roll-ups
(``mean_<metric>``, ``min_…``, ``max_…``, ``count_…``) in ``<domain>_1h`` under
the retention policy ``rollup``.

Queries only ever take user-supplied values as bind parameters (``params=``);
identifiers (measurements, fields, tags) come from the allow-lists below.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import requests

# Canonical metric -> measurement (domain). The allow-list for field identifiers.
METRIC_MEASUREMENT: dict[str, str] = {
    **dict.fromkeys(
        ("soil_vwc", "soil_temp", "soil_ec", "soil_ph", "soil_n", "soil_p", "soil_k"), "soil"
    ),
    **dict.fromkeys(("air_temp", "air_rh"), "air"),
    **dict.fromkeys(
        (
            "water_temp",
            "do",
            "do_sat",
            "ph",
            "orp",
            "tan",
            "nh3",
            "nitrite",
            "salinity",
            "turbidity",
            "water_level",
        ),
        "water",
    ),
    **dict.fromkeys(("battery_v", "battery_pct", "rssi", "snr", "f_cnt", "gateways"), "device"),
    # A relay controller's outputs and inputs are its own state: the device measurement.
    **dict.fromkeys(
        ("relay1", "relay2", "current_a1", "current_a2", "aci1_ma", "aci2_ma"), "device"
    ),
}
MEASUREMENTS = ("soil", "water", "air", "device")
TAGS = ("org", "region", "farm", "site", "device")
RAW_RP = "raw"
ROLLUP_RP = "rollup"
ROLLUP_SUFFIX = "_1h"
MAX_POINTS = 1000
# Bucket widths a chart may get, in seconds; the smallest that keeps <= MAX_POINTS wins.
BUCKETS_S = (
    10, 30, 60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000,
)  # fmt: skip

# How far ahead of now a point may be stamped and still count as the latest value
# (the bridge's default clock-skew allowance).
LATEST_SKEW = timedelta(minutes=10)

_DIVISION = re.compile(r"^\d{2}(\d{2}){0,2}$")
_DEV_EUI = re.compile(r"^[0-9a-f]{16}$")


class InfluxError(RuntimeError):
    """InfluxDB refused or failed a request."""


class InfluxUnavailable(InfluxError):
    """InfluxDB cannot be reached or answered 5xx: retry later, the data is fine."""


class InfluxRejected(InfluxError):
    """InfluxDB answered 4xx: the same request will never succeed."""


class Point(NamedTuple):
    measurement: str
    tags: dict[str, str]
    fields: dict[str, float | int | str | bool]
    time_ns: int


# --- line protocol -------------------------------------------------------------------------

_MEASUREMENT_ESC = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_KEY_ESC = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})


def escape_measurement(name: str) -> str:
    return name.translate(_MEASUREMENT_ESC)


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key (commas, equals signs, spaces)."""
    text = text.translate(_KEY_ESC)
    # A trailing backslash would escape the separator that follows it.
    return text + " " if text.endswith("\\") else text


def tag_set(tags: dict[str, str]) -> str:
    """The ``,k=v,k=v`` part of a line, keys sorted as InfluxDB stores them.

    Empty values are left out: line protocol has no empty tag value. Callers on
    the hot path compute this once per device and reuse it.
    """
    return "".join(
        f",{escape_key(k)}={escape_key(str(v))}" for k, v in sorted(tags.items()) if v != ""
    )


def field_value(value: float | int | str | bool) -> str:
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError("line protocol cannot carry NaN or infinity")
        return repr(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return f"{value}i"
    if isinstance(value, float):
        return field_value(float(value))
    if isinstance(value, int):
        return field_value(int(value))
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


_FIELD_KEYS: dict[str, str] = {}


def _field_key(key: str) -> str:
    """Escaped field key; the bridge uses a handful of names, so they are cached."""
    escaped = _FIELD_KEYS.get(key)
    if escaped is None:
        escaped = escape_key(key)
        if len(_FIELD_KEYS) < 10_000:
            _FIELD_KEYS[key] = escaped
    return escaped


_MEASUREMENTS: dict[str, str] = {}


def encode_line(
    measurement: str, tags: str, fields: dict[str, float | int | str | bool], time_ns: int
) -> str:
    """One line; ``tags`` is a prepared :func:`tag_set` string.

    The bridge calls this twice per uplink, so finite floats and known names take a
    short path; everything else goes through :func:`field_value` and the escapes.
    """
    parts = []
    keys = _FIELD_KEYS
    for k, v in fields.items():
        key = keys.get(k) or _field_key(k)
        if type(v) is float and -1e308 < v < 1e308:  # finite (NaN fails both comparisons)
            parts.append(f"{key}={v!r}")
        else:
            parts.append(f"{key}={field_value(v)}")
    name = _MEASUREMENTS.get(measurement)
    if name is None:
        name = escape_measurement(measurement)
        if len(_MEASUREMENTS) < 1000:
            _MEASUREMENTS[measurement] = name
    return f"{name}{tags} {','.join(parts)} {time_ns}"


def encode(points: Iterable[Point]) -> str:
    return "\n".join(
        encode_line(p.measurement, tag_set(p.tags), p.fields, p.time_ns) for p in points
    )


# --- identifiers and time --------------------------------------------------------------------


def ident(name: str, allowed: Iterable[str]) -> str:
    """A double-quoted InfluxQL identifier, refused unless it is on ``allowed``."""
    if name not in allowed:
        raise ValueError(f"identifier {name!r} is not allowed here")
    return '"' + name + '"'


def measurement_of(metric: str) -> str:
    try:
        return METRIC_MEASUREMENT[metric]
    except KeyError:
        raise ValueError(f"unknown metric {metric!r}") from None


def to_ns(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("naive datetime: give a timezone-aware time")
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def from_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def bucket_for(start: datetime, end: datetime, max_points: int = MAX_POINTS) -> int:
    """Seconds per GROUP BY bucket so ``start..end`` gives at most ``max_points`` buckets."""
    span = (end - start).total_seconds()
    if span <= 0:
        raise ValueError("end must be after start")
    for width in BUCKETS_S:
        # +1: a range rarely starts on a bucket boundary, so it may touch one more.
        if math.ceil(span / width) + 1 <= max_points:
            return width
    return math.ceil(span / (max_points - 1))


# --- the client ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    time: datetime
    value: float


@dataclass(frozen=True, slots=True)
class BandSample:
    """One chart bucket: the mean and the extremes inside it."""

    time: datetime
    mean: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class SitesNow:
    """``TimeSeries.sites_now``: ``{site_id: {metric: (time, value)}}`` twice, and faults."""

    latest: dict[int, dict[str, tuple[datetime, float]]]
    earlier: dict[int, dict[str, tuple[datetime, float]]]
    faults: dict[int, tuple[datetime, str]]  # the last ``faults`` text of the site's devices


class TimeSeries:
    """An InfluxDB database over HTTP with a keep-alive session."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.timeout = timeout
        self.session = requests.Session()
        if username:
            self.session.auth = (username, password)

    @classmethod
    def from_config(cls, config: Any = None, database: str | None = None) -> TimeSeries:
        if config is None:
            from agrimon.config import load

            config = load()
        return cls(
            config.influx_url,
            database or config.influx_db,
            username=config.influx_username,
            password=config.influx_password,
        )

    def close(self) -> None:
        self.session.close()

    # -- transport

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise InfluxUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        # 404 is "database not found": the database is being (re)created, so retry later.
        if response.status_code >= 500 or response.status_code == 404:
            raise InfluxUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise InfluxRejected(f"{method} {path}: HTTP {response.status_code} {response.text}")
        return response

    def ping(self) -> bool:
        try:
            self._request("GET", "/ping")
        except InfluxError:
            return False
        return True

    def write_lines(self, body: str | bytes, *, rp: str | None = RAW_RP, precision="ns") -> None:
        """POST prepared line protocol. Raises InfluxUnavailable or InfluxRejected."""
        if not body:
            return
        params = {"db": self.database, "precision": precision}
        if rp:
            params["rp"] = rp
        if isinstance(body, str):
            body = body.encode()
        self._request("POST", "/write", params=params, data=body)

    def write(self, points: Iterable[Point], *, rp: str | None = RAW_RP) -> None:
        self.write_lines(encode(points), rp=rp)

    def query(
        self, influxql: str, params: dict[str, Any] | None = None, *, epoch: str = "ms"
    ) -> list[dict[str, Any]]:
        """Run one statement; user values go in ``params`` and are referenced as ``$name``."""
        return self.query_all(influxql, params, epoch=epoch)[0]

    def query_all(
        self, influxql: str, params: dict[str, Any] | None = None, *, epoch: str = "ms"
    ) -> list[list[dict[str, Any]]]:
        """Run ``;``-separated statements in one round trip; the series of each, in order."""
        data = {"db": self.database, "q": influxql, "epoch": epoch}
        if params:
            data["params"] = json.dumps(params)
        read_only = influxql.lstrip().upper().startswith(("SELECT", "SHOW"))
        method = "GET" if read_only and len(influxql) < 4000 else "POST"
        kwargs = {"params": data} if method == "GET" else {"data": data}
        body = self._request(method, "/query", **kwargs).json()
        if "error" in body:
            raise InfluxRejected(body["error"])
        out = []
        for result in body["results"]:
            if "error" in result:
                raise InfluxRejected(result["error"])
            out.append(result.get("series", []))
        return out

    # -- schema

    def ensure_database(self, retention: str = "400d") -> None:
        """Create the database, the finite ``raw`` policy (default) and ``rollup``."""
        if not re.fullmatch(r"\d+[hdw]|INF", retention):
            raise ValueError(f"retention {retention!r}: expected e.g. 400d")
        if retention == "INF":
            raise ValueError("raw data needs a finite retention")
        db = _quoted_db(self.database)
        self.query(f"CREATE DATABASE {db}")
        existing = {row[0] for s in self.query("SHOW RETENTION POLICIES") for row in s["values"]}
        verb = "ALTER" if RAW_RP in existing else "CREATE"
        self.query(
            f'{verb} RETENTION POLICY "{RAW_RP}" ON {db} DURATION {retention} REPLICATION 1 DEFAULT'
        )
        if ROLLUP_RP not in existing:
            self.query(f'CREATE RETENTION POLICY "{ROLLUP_RP}" ON {db} DURATION INF REPLICATION 1')

    def drop_database(self) -> None:
        self.query(f"DROP DATABASE {_quoted_db(self.database)}")

    # -- reading

    def series(
        self,
        target: Any,
        metric: str,
        start: datetime,
        end: datetime,
        *,
        max_points: int = MAX_POINTS,
    ) -> list[Sample]:
        """Mean of ``metric`` per bucket for a site or device, at most ``max_points`` buckets.

        Buckets of an hour or more read the hourly roll-up (mean of the hourly means).
        """
        tag, value = _target_tag(target)
        measurement = measurement_of(metric)
        width = bucket_for(start, end, max_points)
        if width >= 3600 and width % 3600 == 0:
            source = f'"{ROLLUP_RP}".{ident(measurement + ROLLUP_SUFFIX, _rollup_names())}'
            field = ident("mean_" + metric, {"mean_" + metric})
        else:
            source = f'"{RAW_RP}".{ident(measurement, MEASUREMENTS)}'
            field = ident(metric, METRIC_MEASUREMENT)
        q = (
            f'SELECT mean({field}) AS "value" FROM {source} '
            f"WHERE {ident(tag, TAGS)} = $target AND time >= $start AND time < $end "
            f"GROUP BY time({width}s) fill(none)"
        )
        rows = self.query(q, {"target": value, "start": to_ns(start), "end": to_ns(end)})
        return [Sample(from_ms(t), v) for s in rows for t, v in s["values"] if v is not None]

    def latest(self, device: Any, now: datetime | None = None) -> dict[str, tuple[datetime, float]]:
        """The last value of every metric of a device: ``{metric: (time, value)}``.

        Points stamped more than ``LATEST_SKEW`` after ``now`` are not "latest": the
        bridge stores none, but one written before it checked times must not sit on
        the device page as the current value until its date comes.
        """
        dev_eui = device if isinstance(device, str) else device.dev_eui
        if not _DEV_EUI.match(dev_eui):
            raise ValueError("not a DevEUI")
        horizon = to_ns((now or datetime.now(UTC)) + LATEST_SKEW)
        statements = [
            f'SELECT last({ident(metric, METRIC_MEASUREMENT)}) FROM "{RAW_RP}".'
            f'{ident(measurement, MEASUREMENTS)} WHERE "device" = $d AND time <= $horizon'
            for metric, measurement in METRIC_MEASUREMENT.items()
        ]
        results = self.query_all("; ".join(statements), {"d": dev_eui, "horizon": horizon})
        out: dict[str, tuple[datetime, float]] = {}
        for metric, rows in zip(METRIC_MEASUREMENT, results, strict=True):
            for s in rows:
                t, v = s["values"][0][:2]
                if v is not None:
                    out[metric] = (from_ms(t), v)
        return out

    def latest_many(
        self, dev_euis: Iterable[str], now: datetime | None = None
    ) -> dict[str, dict[str, tuple[datetime, float]]]:
        """``latest()`` for a page of devices in one round trip: ``{dev_eui: {metric: ...}}``."""
        euis = sorted(set(dev_euis))
        if not euis:
            return {}
        if not all(_DEV_EUI.match(e) for e in euis):
            raise ValueError("not a DevEUI")
        horizon = to_ns((now or datetime.now(UTC)) + LATEST_SKEW)
        statements = [
            f'SELECT last({ident(metric, METRIC_MEASUREMENT)}) FROM "{RAW_RP}".'
            f'{ident(measurement, MEASUREMENTS)} WHERE "device" =~ $d AND time <= $horizon '
            'GROUP BY "device"'
            for metric, measurement in METRIC_MEASUREMENT.items()
        ]
        params = {"d": {"regex": "^(" + "|".join(euis) + ")$"}, "horizon": horizon}
        results = self.query_all("; ".join(statements), params)
        out: dict[str, dict[str, tuple[datetime, float]]] = {e: {} for e in euis}
        for metric, rows in zip(METRIC_MEASUREMENT, results, strict=True):
            for s in rows:
                t, v = s["values"][0][:2]
                eui = s.get("tags", {}).get("device")
                if v is not None and eui in out:
                    out[eui][metric] = (from_ms(t), v)
        return out

    def sites_now(
        self,
        site_ids: Iterable[int],
        metrics: Iterable[str],
        now: datetime | None = None,
        trend_window: timedelta = timedelta(hours=1),
    ) -> SitesNow:
        """The water or soil now of many sites in one round trip.

        Per site and metric: the last value, the first value inside ``trend_window``
        before it (for a trend arrow), and the last ``faults`` text of the site's
        devices with its time, so a fault newer than the last value marks that probe
        as faulted rather than showing an old number as current.
        """
        ids = sorted({int(s) for s in site_ids})
        wanted = [m for m in dict.fromkeys(metrics) if m in METRIC_MEASUREMENT]
        if not ids or not wanted:
            return SitesNow({}, {}, {})
        now = now or datetime.now(UTC)
        horizon = to_ns(now + LATEST_SKEW)
        since = to_ns(now - trend_window)
        where = 'WHERE "site" =~ $s AND time <= $horizon'
        statements = []
        for metric in wanted:
            field = ident(metric, METRIC_MEASUREMENT)
            source = f'"{RAW_RP}".{ident(METRIC_MEASUREMENT[metric], MEASUREMENTS)}'
            statements.append(f'SELECT last({field}) FROM {source} {where} GROUP BY "site"')
            statements.append(
                f'SELECT first({field}) FROM {source} {where} AND time >= $since GROUP BY "site"'
            )
        statements.append(
            f'SELECT last("faults") FROM "{RAW_RP}"."device" {where} AND time >= $since '
            'GROUP BY "site"'
        )
        params = {
            "s": {"regex": "^(" + "|".join(str(i) for i in ids) + ")$"},
            "horizon": horizon,
            "since": since,
        }
        results = self.query_all("; ".join(statements), params)
        latest: dict[int, dict[str, tuple[datetime, float]]] = {}
        earlier: dict[int, dict[str, tuple[datetime, float]]] = {}
        for i, metric in enumerate(wanted):
            for target, rows in ((latest, results[2 * i]), (earlier, results[2 * i + 1])):
                for site, t, v in _by_site(rows):
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        target.setdefault(site, {})[metric] = (from_ms(t), float(v))
        faults = {
            site: (from_ms(t), str(v)) for site, t, v in _by_site(results[-1]) if v is not None
        }
        return SitesNow(latest, earlier, faults)

    def window_mean(
        self, site_ids: Iterable[int], metric: str, start: datetime, end: datetime
    ) -> dict[int, tuple[datetime, float]]:
        """Mean of ``metric`` per site over ``[start, end)``, stamped with the window's middle."""
        ids = sorted({int(s) for s in site_ids})
        if not ids:
            return {}
        q = (
            f"SELECT mean({ident(metric, METRIC_MEASUREMENT)}) FROM "
            f'"{RAW_RP}".{ident(measurement_of(metric), MEASUREMENTS)} '
            'WHERE "site" =~ $s AND time >= $start AND time < $end GROUP BY "site"'
        )
        params = {
            "s": {"regex": "^(" + "|".join(str(i) for i in ids) + ")$"},
            "start": to_ns(start),
            "end": to_ns(end),
        }
        middle = start + (end - start) / 2
        return {
            site: (middle, float(v))
            for site, _, v in _by_site(self.query(q, params))
            if isinstance(v, int | float)
        }

    def band(
        self,
        site_id: int,
        metric: str,
        start: datetime,
        end: datetime,
        *,
        max_points: int = MAX_POINTS,
    ) -> tuple[int, list[BandSample]]:
        """Mean, min and max of ``metric`` per bucket for a site: ``(bucket_s, samples)``.

        Buckets of an hour or more read the hourly roll-up (mean of means, min of
        minimums, max of maximums), so a 30-day chart costs 720 roll-up rows, not
        forty thousand raw points.
        """
        measurement = measurement_of(metric)
        width = bucket_for(start, end, max_points)
        if width >= 3600 and width % 3600 == 0:
            names = {f"{a}_{metric}" for a in ("mean", "min", "max")}
            source = f'"{ROLLUP_RP}".{ident(measurement + ROLLUP_SUFFIX, _rollup_names())}'
            columns = (
                f'mean({ident("mean_" + metric, names)}) AS "mean", '
                f'min({ident("min_" + metric, names)}) AS "min", '
                f'max({ident("max_" + metric, names)}) AS "max"'
            )
        else:
            field = ident(metric, METRIC_MEASUREMENT)
            source = f'"{RAW_RP}".{ident(measurement, MEASUREMENTS)}'
            columns = f'mean({field}) AS "mean", min({field}) AS "min", max({field}) AS "max"'
        q = (
            f'SELECT {columns} FROM {source} WHERE "site" = $site '
            f"AND time >= $start AND time < $end GROUP BY time({width}s) fill(none)"
        )
        params = {"site": str(int(site_id)), "start": to_ns(start), "end": to_ns(end)}
        rows = self.query(q, params)
        return width, [
            BandSample(from_ms(r[0]), r[1], r[2], r[3])
            for s in rows
            for r in s["values"]
            if r[1] is not None
        ]

    def regional(
        self, metric: str, division_code: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """Hourly mean/min/max/count of ``metric`` over every county under a division code.

        ``division_code`` is a province (2), city (4) or county (6) digit prefix.
        Reads the roll-up, so it covers any range at hourly resolution or coarser.
        """
        if not _DIVISION.match(division_code):
            raise ValueError("division code: 2, 4 or 6 digits")
        measurement = measurement_of(metric)
        width = max(3600, bucket_for(start, end))
        width -= width % 3600
        names = {f"{a}_{metric}" for a in ("mean", "min", "max", "count")}
        q = (
            f'SELECT mean({ident("mean_" + metric, names)}) AS "mean", '
            f'min({ident("min_" + metric, names)}) AS "min", '
            f'max({ident("max_" + metric, names)}) AS "max", '
            f'sum({ident("count_" + metric, names)}) AS "count" '
            f'FROM "{ROLLUP_RP}".{ident(measurement + ROLLUP_SUFFIX, _rollup_names())} '
            f'WHERE "region" =~ $region AND time >= $start AND time < $end '
            f"GROUP BY time({width}s) fill(none)"
        )
        params = {
            "region": {"regex": "^" + division_code},
            "start": to_ns(start),
            "end": to_ns(end),
        }
        rows = self.query(q, params)
        return [
            {"time": from_ms(r[0]), "mean": r[1], "min": r[2], "max": r[3], "count": r[4]}
            for s in rows
            for r in s["values"]
        ]

    def site_rollup_summary(
        self, metric: str, division_code: str, start: datetime, end: datetime
    ) -> dict[str, dict[str, Any]]:
        """Per site under a division code: hours with a roll-up of ``metric``, its lowest
        hourly minimum and highest hourly maximum over ``[start, end)``.

        ``{site: {"farm": id, "region": code, "hours": n, "min": x, "max": y}}``; a site
        with no roll-up in the range is absent (a gap, for the caller to report as one).
        """
        if not _DIVISION.match(division_code):
            raise ValueError("division code: 2, 4 or 6 digits")
        measurement = measurement_of(metric)
        names = {f"{a}_{metric}" for a in ("mean", "min", "max")}
        q = (
            f'SELECT count({ident("mean_" + metric, names)}) AS "hours", '
            f'min({ident("min_" + metric, names)}) AS "min", '
            f'max({ident("max_" + metric, names)}) AS "max" '
            f'FROM "{ROLLUP_RP}".{ident(measurement + ROLLUP_SUFFIX, _rollup_names())} '
            f'WHERE "region" =~ $region AND time >= $start AND time < $end '
            f'GROUP BY "site", "farm", "region"'
        )
        params = {
            "region": {"regex": "^" + division_code},
            "start": to_ns(start),
            "end": to_ns(end),
        }
        out: dict[str, dict[str, Any]] = {}
        for s in self.query(q, params):
            tags = s.get("tags", {})
            if not tags.get("site"):
                continue
            _, hours, low, high = s["values"][0][:4]
            out[tags["site"]] = {
                "farm": tags.get("farm", ""),
                "region": tags.get("region", ""),
                "hours": int(hours or 0),
                "min": low,
                "max": high,
            }
        return out

    def daily_hours_at_or_below(
        self,
        metric: str,
        division_code: str,
        start: datetime,
        end: datetime,
        limit: float,
        tz: str = "Asia/Shanghai",
    ) -> dict[str, list[tuple[datetime, int]]]:
        """Per site and calendar day (in ``tz``), the hours whose mean ``metric`` was at or
        below ``limit`` — GB 11607's DO rule counted on hourly roll-ups.

        ``tz`` is an identifier, not user input: only the site's zone names are accepted.
        """
        if not _DIVISION.match(division_code):
            raise ValueError("division code: 2, 4 or 6 digits")
        if tz not in ("Asia/Shanghai", "UTC"):
            raise ValueError(f"time zone {tz!r} is not allowed here")
        if not math.isfinite(limit):
            raise ValueError("limit must be finite")
        measurement = measurement_of(metric)
        field = ident("mean_" + metric, {"mean_" + metric})
        q = (
            f'SELECT count({field}) AS "hours" '
            f'FROM "{ROLLUP_RP}".{ident(measurement + ROLLUP_SUFFIX, _rollup_names())} '
            f'WHERE "region" =~ $region AND time >= $start AND time < $end '
            f"AND {field} <= $limit "
            f"GROUP BY time(1d), \"site\" fill(none) tz('{tz}')"
        )
        params = {
            "region": {"regex": "^" + division_code},
            "start": to_ns(start),
            "end": to_ns(end),
            "limit": float(limit),
        }
        out: dict[str, list[tuple[datetime, int]]] = {}
        for s in self.query(q, params):
            site = s.get("tags", {}).get("site")
            if site:
                out[site] = [(from_ms(t), int(n)) for t, n in s["values"] if n]
        return out

    # -- roll-ups

    def rollup_hours(self, start: datetime, end: datetime) -> int:
        """Write hourly mean/min/max/count of every raw measurement for ``[start, end)``.

        Idempotent: an hour rewritten later (late or replayed data) overwrites its
        own roll-up points, which carry the hour's start as timestamp and the same tags.
        """
        start = start.replace(minute=0, second=0, microsecond=0)
        written = 0
        for measurement in MEASUREMENTS:
            q = (
                f'SELECT mean(*), min(*), max(*), count(*) FROM "{RAW_RP}".'
                f"{ident(measurement, MEASUREMENTS)} WHERE time >= $start AND time < $end "
                f"GROUP BY time(1h), * fill(none)"
            )
            rows = self.query(q, {"start": to_ns(start), "end": to_ns(end)}, epoch="ns")
            points = []
            for s in rows:
                tags = {k: v for k, v in s.get("tags", {}).items() if k in TAGS and v}
                prepared = tag_set(tags)
                for row in s["values"]:
                    fields = {
                        c: (int(v) if c.startswith("count_") else float(v))
                        for c, v in zip(s["columns"][1:], row[1:], strict=True)
                        if isinstance(v, int | float) and not isinstance(v, bool)
                    }
                    fields = {
                        c: v for c, v in fields.items() if c.partition("_")[2] in METRIC_MEASUREMENT
                    }
                    if fields:
                        points.append(
                            encode_line(measurement + ROLLUP_SUFFIX, prepared, fields, row[0])
                        )
            if points:
                self.write_lines("\n".join(points), rp=ROLLUP_RP)
                written += len(points)
        return written


def _by_site(rows: list[dict[str, Any]]) -> Iterable[tuple[int, int, Any]]:
    """(site id, time ms, value) of each series of a ``GROUP BY "site"`` answer."""
    for s in rows:
        site = s.get("tags", {}).get("site", "")
        if site.isdigit() and s["values"]:
            t, v = s["values"][0][:2]
            yield int(site), t, v


def _rollup_names() -> set[str]:
    return {m + ROLLUP_SUFFIX for m in MEASUREMENTS}


def _quoted_db(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"database name {name!r}: letters, digits, _ and - only")
    return '"' + name + '"'


def _target_tag(target: Any) -> tuple[str, str]:
    """(tag, value) for a Device (its DevEUI) or a Site (its id)."""
    dev_eui = getattr(target, "dev_eui", None)
    if dev_eui is not None:
        return "device", str(dev_eui)
    pk = getattr(target, "pk", None)
    if pk is not None:
        return "site", str(pk)
    raise TypeError("series() takes a Device or a Site")


def device_tags(device: Any) -> dict[str, str]:
    """The identity tags of a device's points (ids and codes only, never names)."""
    farm = device.farm
    return {
        "org": str(farm.organisation_id),
        "region": str(farm.region_id),
        "farm": str(farm.pk),
        "site": str(device.site_id or ""),
        "device": device.dev_eui,
    }


def rollup_window(now: datetime, hours: int = 3) -> tuple[datetime, datetime]:
    """The last ``hours`` complete hours before ``now`` (re-rolled to catch late data)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=hours), end
