"""From parsed events to line protocol: look up, de-duplicate, decode, calibrate, validate, derive.

Runs in the bridge's main thread on whole batches. Nothing here touches the
database per message: devices come from an in-memory directory refreshed in
bulk, dead letters and device status are collected and saved once per flush.
"""

from __future__ import annotations

import base64
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sensors.bridge.events import JOIN, STATUS, EventError, Uplink, parse, topic_kind
from sensors.calibration import CalibrationError, Linear, parse_calibration
from sensors.timeseries import METRIC_MEASUREMENT, device_tags, encode_line, tag_set

log = logging.getLogger(__name__)

# Plausible ranges per canonical metric, after calibration. Sources: domain.md §6
# (probe ranges: DO 0–20 mg/L and 0–200 %, soil VWC 0–100 %, EC 0–20 000 µS/cm,
# soil pH 3–9, soil temperature −40…85 °C, NPK up to 1999 mg/kg); the rest are
# physical limits of the quantity (pH 0–14, RH 0–100 %, LoRa RSSI/SNR).
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "soil_vwc": (0.0, 100.0),
    "soil_temp": (-40.0, 85.0),
    "soil_ec": (0.0, 20000.0),
    "soil_ph": (3.0, 9.0),
    "soil_n": (0.0, 1999.0),
    "soil_p": (0.0, 1999.0),
    "soil_k": (0.0, 1999.0),
    "air_temp": (-40.0, 85.0),
    "air_rh": (0.0, 100.0),
    "water_temp": (-2.0, 50.0),
    "do": (0.0, 20.0),
    "do_sat": (0.0, 200.0),
    "ph": (0.0, 14.0),
    "orp": (-2000.0, 2000.0),
    "tan": (0.0, 100.0),
    "nh3": (0.0, 10.0),
    "nitrite": (0.0, 100.0),
    "salinity": (0.0, 70.0),
    "turbidity": (0.0, 4000.0),
    "water_level": (-1000.0, 100000.0),
    "battery_v": (0.0, 30.0),
    "battery_pct": (0.0, 100.0),
    "rssi": (-200.0, 0.0),
    "snr": (-30.0, 30.0),
}
# Salinity assumed for DO saturation when the node does not measure it (ppt).
# Brackish ponds vary too much to guess: without a reading no do_sat is derived.
POND_SALINITY = {"fresh": 0.0, "sea": 35.0}


@dataclass(slots=True)
class DeviceInfo:
    id: int
    dev_eui: str
    profile: str
    tags: str  # prepared line-protocol tag set
    calibration: dict[str, Linear]
    enabled: bool
    site_id: int | None
    farm_id: int
    salinity_ppt: float | None


@dataclass(slots=True)
class ReadingEvent:
    """One reading handed to ``on_readings``: faulted ones carry ``fault`` and no value."""

    device_id: int
    dev_eui: str
    site_id: int | None
    farm_id: int
    metric: str
    value: float | None
    time_ns: int
    fault: str | None = None


@dataclass(slots=True)
class DeadLetterRow:
    received_ns: int
    reason: str
    detail: str
    topic: str
    body: bytes
    dev_eui: str
    server: str

    def as_model_kwargs(self) -> dict[str, Any]:
        return {
            "received_at": datetime.fromtimestamp(self.received_ns / 1e9, UTC),
            "reason": self.reason,
            "detail": self.detail[:2000],
            "topic": self.topic[:512],
            "message_b64": base64.b64encode(self.body).decode("ascii"),
            "dev_eui": self.dev_eui[:16],
            "network_server": self.server,
        }


@dataclass
class Counters:
    received: int = 0
    decoded: int = 0
    written: int = 0  # points in InfluxDB (directly or replayed)
    uplinks_written: int = 0
    dead_lettered: int = 0
    spooled: int = 0  # points that went through the spool
    duplicates: int = 0
    faults: int = 0
    counter_resets: int = 0
    ignored: int = 0
    hook_failures: int = 0  # on_readings calls that failed for a transient reason
    hook_dropped: int = 0  # readings the hook never got (failed for good, or backlog full)
    hook_pending: int = 0  # readings waiting for the hook to come back
    lag_ms: float = 0.0


@dataclass
class Batch:
    lines: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # uplink time of each written uplink
    dead: list[DeadLetterRow] = field(default_factory=list)
    readings: list[ReadingEvent] = field(default_factory=list)


class DeviceDirectory:
    """All devices by DevEUI, loaded in one query and refreshed periodically."""

    def __init__(self, refresh_s: float = 30.0, unknown_refresh_s: float = 2.0) -> None:
        self.by_eui: dict[str, DeviceInfo] = {}
        self.refresh_s = refresh_s
        self.unknown_refresh_s = unknown_refresh_s
        self.loaded_at = float("-inf")

    def load(self) -> None:
        from sensors.models import Device

        rows = Device.objects.select_related("farm", "site", "site__pond", "profile")
        fresh: dict[str, DeviceInfo] = {}
        for d in rows:
            try:
                calibration = parse_calibration(d.calibration)
            except CalibrationError as exc:
                log.error("device %s: calibration ignored: %s", d.dev_eui, exc)
                calibration = {}
            salinity = None
            if d.site is not None and d.site.kind == "pond":
                salinity = POND_SALINITY.get(getattr(d.site.concrete(), "water", ""))
            fresh[d.dev_eui] = DeviceInfo(
                id=d.pk,
                dev_eui=d.dev_eui,
                profile=d.profile_id,
                tags=tag_set(device_tags(d)),
                calibration=calibration,
                enabled=d.enabled,
                site_id=d.site_id,
                farm_id=d.farm_id,
                salinity_ppt=salinity,
            )
        self.by_eui = fresh
        self.loaded_at = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.loaded_at >= self.refresh_s

    def lookup(self, dev_eui: str) -> DeviceInfo | None:
        device = self.by_eui.get(dev_eui)
        if device is None and time.monotonic() - self.loaded_at >= self.unknown_refresh_s:
            self.load()  # a device registered moments ago should not be dead-lettered
            device = self.by_eui.get(dev_eui)
        return device


class Dedup:
    """Drops repeated (DevEUI, fCnt) pairs without losing uplinks after a counter reset.

    A frame counter value counts as a repeat only if it was seen within
    ``window_s`` of the new uplink's own time: network servers forward device
    retransmissions (same fCnt, seconds apart) and brokers redeliver (same
    message). A node that reboots restarts at fCnt 0/1; those values were last
    seen long before, so they pass, and the drop below the last counter is
    recorded as a reset. A join (ChirpStack) or a new TTS session clears the
    device's history outright.
    """

    MAX_PER_DEVICE = 64

    def __init__(self, window_s: float = 600.0) -> None:
        self.window_ns = int(window_s * 1e9)
        self.seen: dict[str, dict[int, int]] = {}
        self.last: dict[str, int] = {}
        self.session: dict[str, str] = {}
        self.resets = 0

    def reset(self, dev_eui: str) -> None:
        self.seen.pop(dev_eui, None)
        self.last.pop(dev_eui, None)

    def is_repeat(self, up: Uplink) -> bool:
        eui = up.dev_eui
        if up.session and self.session.get(eui) != up.session:
            self.session[eui] = up.session
            self.reset(eui)
        history = self.seen.get(eui)
        if history is None:
            history = self.seen[eui] = {}
        before = history.get(up.f_cnt)
        if before is not None and abs(up.time_ns - before) < self.window_ns:
            return True
        last = self.last.get(eui)
        if last is not None and up.f_cnt < 16 and last - up.f_cnt > 1:
            self.resets += 1
            history.clear()
        history[up.f_cnt] = up.time_ns
        if len(history) > self.MAX_PER_DEVICE:
            del history[next(iter(history))]
        self.last[eui] = up.f_cnt
        return False


class CodecsUnavailable(RuntimeError):
    """The codec registry cannot be imported: the bridge refuses to start without it."""


def registry_decode() -> Callable[[str, int, bytes], Any]:
    """``sensors.codecs.decode``, resolved once at start so a broken install fails fast."""
    try:
        from sensors.codecs import decode
    except ImportError as exc:
        raise CodecsUnavailable(f"sensors.codecs.decode is not available: {exc}") from exc
    return decode


class Pipeline:
    def __init__(
        self,
        directory: DeviceDirectory,
        counters: Counters,
        *,
        dedup_window_s: float = 600.0,
        decode: Callable[[str, int, bytes], Any] | None = None,
    ) -> None:
        self.directory = directory
        self.counters = counters
        self.dedup = Dedup(dedup_window_s)
        self.decode = decode or registry_decode()
        self._chemistry: Any = None
        self._chemistry_checked = float("-inf")
        # device id -> (time_ns, battery_v, rssi, snr, f_cnt); gateway EUI -> time_ns
        self.status: dict[int, list] = {}
        self.gateways_seen: dict[str, int] = {}
        self.collect_readings = True  # build ReadingEvents for the on_readings hook

    def chemistry(self) -> Any:
        """``sensors.chemistry`` if present (derived metrics are skipped without it)."""
        if self._chemistry is None and time.monotonic() - self._chemistry_checked > 60:
            self._chemistry_checked = time.monotonic()
            try:
                self._chemistry = importlib.import_module("sensors.chemistry")
            except ImportError:
                log.warning("sensors.chemistry not available: do_sat and nh3 not derived")
        return self._chemistry

    def process(self, messages: list[tuple[str, bytes]]) -> Batch:
        batch = Batch()
        now_ns = time.time_ns()
        counters = self.counters
        counters.received += len(messages)
        for topic, body in messages:
            try:
                up = parse(topic, body, now_ns)
            except EventError as exc:
                kind = topic_kind(topic)
                server = kind[0] if kind else "unknown"
                batch.dead.append(
                    DeadLetterRow(now_ns, "bad_message", str(exc), topic, body, "", server)
                )
                continue
            if up is None:
                counters.ignored += 1
                continue
            if up.kind == JOIN:
                self.dedup.reset(up.dev_eui)
                continue
            device = self.directory.lookup(up.dev_eui)
            if device is None or not device.enabled:
                reason = "unknown_device" if device is None else "disabled_device"
                batch.dead.append(
                    DeadLetterRow(now_ns, reason, "", topic, body, up.dev_eui, up.server)
                )
                continue
            if up.kind == STATUS:
                self._status(device, up, batch)
                continue
            if self.dedup.is_repeat(up):
                counters.duplicates += 1
                continue
            self._uplink(device, up, topic, body, batch, now_ns)
        counters.counter_resets = self.dedup.resets
        return batch

    def _status(self, device: DeviceInfo, up: Uplink, batch: Batch) -> None:
        if up.battery_pct is not None:
            batch.lines.append(
                encode_line("device", device.tags, {"battery_pct": up.battery_pct}, up.time_ns)
            )

    def _uplink(
        self,
        device: DeviceInfo,
        up: Uplink,
        topic: str,
        body: bytes,
        batch: Batch,
        now_ns: int,
    ) -> None:
        values: dict[str, float] = {}
        faults: list[str] = []
        t = up.time_ns
        sample_t = t  # when the node measured: earlier for backlog frames
        if up.payload and up.f_port:
            try:
                decoded = self.decode(device.profile, up.f_port, up.payload)
            except ValueError as exc:  # DecodeError is a ValueError
                batch.dead.append(
                    DeadLetterRow(
                        now_ns, "decode_error", str(exc), topic, body, up.dev_eui, up.server
                    )
                )
                return
            except Exception as exc:  # a codec bug must not stop the bridge
                log.exception("codec %s crashed", device.profile)
                batch.dead.append(
                    DeadLetterRow(
                        now_ns,
                        "decode_error",
                        f"codec error {exc.__class__.__name__}: {exc}",
                        topic,
                        body,
                        up.dev_eui,
                        up.server,
                    )
                )
                return
            self.counters.decoded += 1
            age_min = decoded.raw.get("age_min")
            if isinstance(age_min, int) and age_min > 0:
                sample_t = t - age_min * 60_000_000_000
            calibration = device.calibration
            for r in decoded.readings:
                metric = r.metric
                if r.fault or r.value is None:
                    faults.append(f"{metric}:{r.fault or 'no value'}")
                    continue
                value = float(r.value)
                cal = calibration.get(metric)
                if cal is not None:
                    value = value * cal[0] + cal[1]
                bounds = PLAUSIBLE.get(metric)
                if bounds is None or not bounds[0] <= value <= bounds[1]:
                    faults.append(f"{metric}:out_of_range")
                    continue
                values[metric] = value
            self._derive(device, values, faults)
        # Radio metadata (the best gateway's signal, the frame counter, how many heard it)
        # belongs to the moment of sending; everything the node measured to ``sample_t``,
        # which is earlier for a backlog frame.
        radio: dict[str, Any] = {}
        if up.rssi is not None and "rssi" not in values:
            radio["rssi"] = up.rssi
        if up.snr is not None and "snr" not in values:
            radio["snr"] = up.snr
        if up.battery_pct is not None and "battery_pct" not in values:
            radio["battery_pct"] = up.battery_pct
        by_measurement: dict[str, dict[str, Any]] = {}
        for metric, value in values.items():
            m = METRIC_MEASUREMENT[metric]
            fields = by_measurement.get(m)
            if fields is None:
                fields = by_measurement[m] = {}
            fields[metric] = value
        if faults:
            by_measurement.setdefault("device", {})["faults"] = ",".join(faults)
            self.counters.faults += len(faults)
        sent = {**radio, "f_cnt": up.f_cnt, "gateways": len(up.gateways)}
        if sample_t == t:
            by_measurement.setdefault("device", {}).update(sent)
        else:
            batch.lines.append(encode_line("device", device.tags, sent, t))
        tags = device.tags
        for m, fields in by_measurement.items():
            batch.lines.append(encode_line(m, tags, fields, sample_t))
        batch.times.append(t)
        if self.collect_readings:
            ids = (device.id, device.dev_eui, device.site_id, device.farm_id)
            readings = batch.readings
            for metric, value in values.items():
                readings.append(ReadingEvent(*ids, metric, value, sample_t))
            for metric, value in radio.items():
                readings.append(ReadingEvent(*ids, metric, value, t))
            for fault in faults:
                metric, _, reason = fault.partition(":")
                readings.append(ReadingEvent(*ids, metric, None, sample_t, reason))
        self._note_status(device.id, t, sample_t, values.get("battery_v"), up)
        for gw in up.gateways:
            self.gateways_seen[gw] = t

    def _note_status(
        self, device_id: int, t: int, sample_t: int, battery: float | None, up: Uplink
    ) -> None:
        """Keep the newest radio status and, separately, the newest measured battery.

        A continuation frame (no battery) must not blank it, and a backlog frame, sent
        after the fresh report and possibly after the next status save, must not
        replace it with an older reading: only live frames set the device's battery.
        The entry is [time, battery_v, rssi, snr, f_cnt, battery time].
        """
        status = self.status.get(device_id)
        if status is None:
            status = self.status[device_id] = [t, None, up.rssi, up.snr, up.f_cnt, -1]
        elif status[0] <= t:
            status[0], status[2], status[3], status[4] = t, up.rssi, up.snr, up.f_cnt
        if battery is not None and sample_t == t and sample_t >= status[5]:
            status[1], status[5] = battery, sample_t

    def _derive(self, device: DeviceInfo, values: dict[str, float], faults: list[str]) -> None:
        """do_sat and nh3 from the same uplink's readings (formulas in sensors.chemistry).

        The formulas refuse inputs outside their fitted range (e.g. DO solubility
        above 40 °C); such a reading is flagged rather than extrapolated.
        """
        temp = values.get("water_temp")
        if temp is None:
            return
        chem = None
        if "do" in values and "do_sat" not in values:
            salinity = values.get("salinity", device.salinity_ppt)
            if salinity is not None:
                chem = self.chemistry()
                if chem is not None:
                    try:
                        saturation = chem.do_saturation_mg_l(temp, salinity)
                    except ValueError:
                        faults.append("do_sat:outside_formula_range")
                    else:
                        self._put(values, faults, "do_sat", 100.0 * values["do"] / saturation)
        if "tan" in values and "ph" in values and "nh3" not in values:
            chem = chem or self.chemistry()
            if chem is not None:
                try:
                    fraction = chem.unionized_ammonia_fraction(values["ph"], temp)
                except ValueError:
                    faults.append("nh3:outside_formula_range")
                else:
                    self._put(values, faults, "nh3", values["tan"] * fraction)

    @staticmethod
    def _put(values: dict[str, float], faults: list[str], metric: str, value: float) -> None:
        low, high = PLAUSIBLE[metric]
        if low <= value <= high:
            values[metric] = value
        else:
            faults.append(f"{metric}:out_of_range")

    def take_status(self) -> tuple[dict[int, list], dict[str, int]]:
        status, gateways = self.status, self.gateways_seen
        self.status, self.gateways_seen = {}, {}
        return status, gateways
