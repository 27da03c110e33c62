"""From parsed events to line protocol: look up, de-duplicate, decode, calibrate, validate, derive.

Runs in the bridge's main thread on whole batches, in two passes: the first
parses and looks up every message, the second writes the ones the batch-wide
de-duplication (one Redis round trip) lets through. Nothing here touches the
database per message: devices come from an in-memory directory refreshed in
bulk, dead letters and device status are collected and saved once per flush.

No single message can stop the bridge: a message over the size cap, one that is
not a well-formed event, and one whose handling raises anything at all becomes a
dead letter with its reason, and is acknowledged with the rest of its batch.
Event times are checked against the receive time (``events.settle_time``): a
time beyond the configured skew is replaced and the difference is written as the
``clock_skew_s`` field of the uplink's ``device`` point.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sensors import chemistry, codecs
from sensors.bridge.dedup import Dedup, SharedDedup
from sensors.bridge.events import (
    JOIN,
    STATUS,
    EventError,
    Uplink,
    parse,
    settle_time,
    topic_kind,
)
from sensors.calibration import CalibrationError, Linear, parse_calibration
from sensors.timeseries import METRIC_MEASUREMENT, device_tags, encode_line, tag_set
from vocabulary.events import ReadingEvent
from vocabulary.metrics import PLAUSIBLE

if TYPE_CHECKING:
    from sensors.bridge.config import BridgeConfig

__all__ = ["Dedup", "Pipeline", "DeadLetterRow", "Counters", "DeviceDirectory"]

log = logging.getLogger(__name__)

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


# A dead letter keeps the first 4 KiB of its message, with the full size and SHA-256:
# enough to see what it was and to match it with the sender's copy, never megabytes.
DEAD_LETTER_BODY_BYTES = 4096


def _text(value: str, limit: int) -> str:
    """Text PostgreSQL accepts: no NUL characters, no lone surrogates, bounded."""
    value = value[:limit]
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    return value.encode("utf-8", "replace").decode("utf-8")


@dataclass(slots=True)
class DeadLetterRow:
    received_ns: int
    reason: str
    detail: str
    topic: str
    body: bytes
    dev_eui: str
    server: str
    size: int = -1
    sha256: str = ""

    def __post_init__(self) -> None:
        body = self.body
        if self.size < 0:
            self.size = len(body)
            self.sha256 = hashlib.sha256(body).hexdigest()
        if len(body) > DEAD_LETTER_BODY_BYTES:
            self.body = bytes(body[:DEAD_LETTER_BODY_BYTES])

    def as_model_kwargs(self) -> dict[str, Any]:
        return {
            "received_at": datetime.fromtimestamp(self.received_ns / 1e9, UTC),
            "reason": self.reason,
            "detail": _text(self.detail, 2000),
            "topic": _text(self.topic, 512),
            "message_b64": base64.b64encode(self.body).decode("ascii"),
            "size": self.size,
            "sha256": self.sha256,
            "dev_eui": _text(self.dev_eui, 16),
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
    clock_corrected: int = 0  # events whose own time was implausible (stored at receive time)
    fields_rejected: int = 0  # radio fields dropped: NaN, infinite, out of range
    oversize: int = 0  # messages over the size cap
    poisoned: int = 0  # messages whose handling raised: dead-lettered, not fatal
    points_rejected: int = 0  # points InfluxDB refused (dead-lettered with its error)
    gateways_ignored: int = 0  # gateway ids that are junk or beyond the new-gateway cap
    dedup_fallbacks: int = 0  # batches de-duplicated in process memory (Redis away)
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
        self.gateways: set[str] = set()  # gateway EUIs that have a row
        self.refresh_s = refresh_s
        self.unknown_refresh_s = unknown_refresh_s
        self.loaded_at = float("-inf")

    def load(self) -> None:
        from sensors.models import Device, Gateway

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
        self.gateways = set(Gateway.objects.values_list("gateway_eui", flat=True))
        self.loaded_at = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.loaded_at >= self.refresh_s

    def lookup(self, dev_eui: str) -> DeviceInfo | None:
        device = self.by_eui.get(dev_eui)
        if device is None and time.monotonic() - self.loaded_at >= self.unknown_refresh_s:
            self.load()  # a device registered moments ago should not be dead-lettered
            device = self.by_eui.get(dev_eui)
        return device


@dataclass(frozen=True)
class Limits:
    """What the pipeline accepts from one message; ``BridgeConfig`` sets them."""

    max_future_ns: int = 600 * 10**9
    max_age_ns: int = 400 * 86400 * 10**9
    max_message_bytes: int = 64 * 1024
    new_gateways_per_uplink: int = 4
    new_gateways_per_save: int = 20


class Pipeline:
    def __init__(
        self,
        directory: DeviceDirectory,
        counters: Counters,
        *,
        dedup_window_s: float = 600.0,
        decode: Callable[[str, int, bytes], Any] | None = None,
        dedup: Dedup | SharedDedup | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.directory = directory
        self.counters = counters
        self.dedup = dedup or Dedup(dedup_window_s)
        self.limits = limits or Limits()
        self.decode = decode or codecs.decode
        # device id -> (time_ns, battery_v, rssi, snr, f_cnt); gateway EUI -> time_ns
        self.status: dict[int, list] = {}
        self.gateways_seen: dict[str, int] = {}
        self.new_gateways = 0  # gateways without a row noted since the last status save
        self.collect_readings = True  # build ReadingEvents for the on_readings hook
        self._poison_logged: set[str] = set()

    @classmethod
    def from_config(
        cls,
        config: BridgeConfig,
        directory: DeviceDirectory,
        counters: Counters,
        *,
        decode: Callable[[str, int, bytes], Any] | None = None,
    ) -> Pipeline:
        """The pipeline a bridge runs: limits from its config, dedup shared when Redis is set."""
        dedup: Dedup | SharedDedup
        if config.dedup_redis_url:
            dedup = SharedDedup(config.dedup_redis_url, config.dedup_prefix, config.dedup_window_s)
        else:
            dedup = Dedup(config.dedup_window_s)
        limits = Limits(
            max_future_ns=int(config.max_future_skew_s * 1e9),
            max_age_ns=int(config.max_past_age_s * 1e9),
            max_message_bytes=config.max_message_bytes,
            new_gateways_per_uplink=config.new_gateways_per_uplink,
            new_gateways_per_save=config.new_gateways_per_save,
        )
        return cls(directory, counters, decode=decode, dedup=dedup, limits=limits)

    def process(self, messages: list[tuple[str, bytes]]) -> Batch:
        batch = Batch()
        now_ns = time.time_ns()
        counters = self.counters
        counters.received += len(messages)
        todo: list[tuple[Uplink, DeviceInfo | None, str, bytes]] = []
        admit = self._admit
        for topic, body in messages:
            try:
                item = admit(topic, body, now_ns, batch)
            except Exception as exc:  # one message must never stop the bridge
                self._poisoned(topic, body, now_ns, batch, exc)
                continue
            if item is not None:
                todo.append(item)
        if not todo:
            return batch
        try:
            repeats = self.dedup.check([item[0] for item in todo])
        except Exception:  # a dedup bug must not drop the batch
            log.exception("de-duplication failed; the batch is written without it")
            repeats = [False] * len(todo)
        counters.counter_resets = self.dedup.resets
        counters.dedup_fallbacks = getattr(self.dedup, "fallbacks", 0)
        lines, times, readings, dead = batch.lines, batch.times, batch.readings, batch.dead
        uplink = self._uplink
        for (up, device, topic, body), repeat in zip(todo, repeats, strict=True):
            if device is None:  # a join: it only moved the dedup state on
                continue
            if repeat:
                counters.duplicates += 1
                continue
            marks = len(lines), len(times), len(readings), len(dead)
            try:
                uplink(device, up, topic, body, batch, now_ns)
            except Exception as exc:  # as above
                del lines[marks[0] :], times[marks[1] :], readings[marks[2] :], dead[marks[3] :]
                self._poisoned(topic, body, now_ns, batch, exc, up)
        return batch

    def _admit(
        self, topic: str, body: bytes, now_ns: int, batch: Batch
    ) -> tuple[Uplink, DeviceInfo | None, str, bytes] | None:
        """Parse and look up one message; None when it needs no second pass."""
        limits = self.limits
        if len(body) > limits.max_message_bytes:
            self.counters.oversize += 1
            kind = topic_kind(topic)
            detail = f"message of {len(body)} bytes; the limit is {limits.max_message_bytes}"
            batch.dead.append(
                DeadLetterRow(
                    now_ns, "too_large", detail, topic, body, "", kind[0] if kind else "unknown"
                )
            )
            return None
        try:
            up = parse(topic, body, now_ns)
        except EventError as exc:
            kind = topic_kind(topic)
            server = kind[0] if kind else "unknown"
            batch.dead.append(
                DeadLetterRow(now_ns, "bad_message", str(exc), topic, body, "", server)
            )
            return None
        if up is None:
            self.counters.ignored += 1
            return None
        if settle_time(up, now_ns, limits.max_future_ns, limits.max_age_ns):
            self.counters.clock_corrected += 1
        if up.kind == JOIN:
            return up, None, topic, body
        device = self.directory.lookup(up.dev_eui)
        if device is None or not device.enabled:
            reason = "unknown_device" if device is None else "disabled_device"
            batch.dead.append(DeadLetterRow(now_ns, reason, "", topic, body, up.dev_eui, up.server))
            return None
        if up.kind == STATUS:
            self._status(device, up, batch)
            return None
        return up, device, topic, body

    def _poisoned(
        self,
        topic: str,
        body: bytes,
        now_ns: int,
        batch: Batch,
        exc: BaseException,
        up: Uplink | None = None,
    ) -> None:
        """A message whose handling raised: dead-letter it with the error, log each kind once."""
        self.counters.poisoned += 1
        name = exc.__class__.__name__
        if name not in self._poison_logged and len(self._poison_logged) < 100:
            self._poison_logged.add(name)
            log.error("message on %s broke processing; dead-lettered", topic[:200], exc_info=exc)
        kind = topic_kind(topic)
        batch.dead.append(
            DeadLetterRow(
                now_ns,
                "processing_error",
                f"{name}: {exc}",
                topic,
                body,
                up.dev_eui if up else "",
                kind[0] if kind else "unknown",
            )
        )

    def _status(self, device: DeviceInfo, up: Uplink, batch: Batch) -> None:
        if up.rejected:
            self.counters.fields_rejected += up.rejected.count(",") + 1
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
            by_measurement.setdefault("device", {})["faults"] = _text(",".join(faults), 1000)
            self.counters.faults += len(faults)
        sent = {**radio, "f_cnt": up.f_cnt, "gateways": len(up.gateways)}
        if up.clock_skew_ns:
            sent["clock_skew_s"] = up.clock_skew_ns / 1e9
        if up.rejected:
            sent["rejected"] = up.rejected
            self.counters.fields_rejected += up.rejected.count(",") + 1
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
        if up.gateways or up.junk_gateways:
            self._note_gateways(up, t)

    def _note_gateways(self, up: Uplink, t: int) -> None:
        """Remember the gateways that heard an uplink, creating few new ones.

        Only EUI-64s reach here (``events`` drops the rest). A gateway without a row
        counts against two caps, per uplink and per status save, so a flood of forged
        gateway ids adds a handful of rows a minute rather than one per message.
        """
        seen = self.gateways_seen
        known = self.directory.gateways
        limits = self.limits
        fresh = 0
        ignored = up.junk_gateways
        for gw in up.gateways:
            before = seen.get(gw)
            if before is not None:
                if t > before:
                    seen[gw] = t
            elif gw in known:
                seen[gw] = t
            elif (
                fresh < limits.new_gateways_per_uplink
                and self.new_gateways < limits.new_gateways_per_save
            ):
                seen[gw] = t
                fresh += 1
                self.new_gateways += 1
            else:
                ignored += 1
        self.counters.gateways_ignored += ignored

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
        if "do" in values and "do_sat" not in values:
            salinity = values.get("salinity", device.salinity_ppt)
            if salinity is not None:
                try:
                    saturation = chemistry.do_saturation_mg_l(temp, salinity)
                except ValueError:
                    faults.append("do_sat:outside_formula_range")
                else:
                    self._put(values, faults, "do_sat", 100.0 * values["do"] / saturation)
        if "tan" in values and "ph" in values and "nh3" not in values:
            try:
                fraction = chemistry.unionized_ammonia_fraction(values["ph"], temp)
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
        self.directory.gateways.update(gateways)  # saved with this status: known from now on
        self.new_gateways = 0
        return status, gateways
