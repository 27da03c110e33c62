"""Registering devices (one at a time or in bulk, with the same checks) and saving their status."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from farm.models import Site
from sensors import codecs
from sensors.models import Device, DeviceProfile, Gateway, normalise_eui


class RegistrationError(ValueError):
    """A device row that cannot be registered; the message says why."""


def known_codec_profiles() -> set[str]:
    """Profile ids the codec registry decodes."""
    return set(codecs.profiles())


def resolve_site(ref: str) -> Site:
    """A site by primary key (``"12"``) or by ``"farm name/site name"``."""
    ref = ref.strip()
    if ref.isdigit():
        try:
            return Site.objects.select_related("farm").get(pk=int(ref))
        except Site.DoesNotExist:
            raise RegistrationError(f"no site with id {ref}") from None
    farm_name, sep, site_name = ref.partition("/")
    if not sep or not farm_name.strip() or not site_name.strip():
        raise RegistrationError(f"site {ref!r}: give an id or 'farm/site name'")
    matches = list(
        Site.objects.select_related("farm").filter(
            farm__name=farm_name.strip(), name=site_name.strip()
        )[:2]
    )
    if not matches:
        raise RegistrationError(f"no site {site_name.strip()!r} on a farm {farm_name.strip()!r}")
    if len(matches) > 1:
        raise RegistrationError(f"site {ref!r} is ambiguous (farms of that name in two orgs)")
    return matches[0]


def resolve_profile(profile_id: str) -> DeviceProfile:
    """The profile row; created on first use when the codec registry knows the id."""
    profile_id = profile_id.strip()
    try:
        return DeviceProfile.objects.get(pk=profile_id)
    except DeviceProfile.DoesNotExist:
        pass
    known = known_codec_profiles()
    if profile_id not in known:
        raise RegistrationError(f"unknown device profile {profile_id!r}")
    return DeviceProfile.objects.create(id=profile_id, name=profile_id)


@dataclass
class DeviceSpec:
    dev_eui: str
    profile: str
    site: str
    name: str = ""
    install_depth_cm: int | None = None
    calibration: dict | None = None


def build_device(spec: DeviceSpec) -> Device:
    """A validated, unsaved Device for ``spec``."""
    site = resolve_site(spec.site)
    device = Device(
        dev_eui=normalise_eui(spec.dev_eui),
        name=spec.name,
        farm=site.farm,
        site=site,
        profile=resolve_profile(spec.profile),
        install_depth_cm=spec.install_depth_cm,
        calibration=spec.calibration or {},
    )
    try:
        device.full_clean()
    except ValidationError as exc:
        parts = [f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
        raise RegistrationError("; ".join(parts)) from None
    return device


def register_device(spec: DeviceSpec) -> Device:
    device = build_device(spec)
    device.save()
    return device


def _row_spec(row: dict[str, str]) -> DeviceSpec:
    depth = (row.get("install_depth_cm") or "").strip()
    cal = (row.get("calibration") or "").strip()
    try:
        calibration = json.loads(cal) if cal else None
    except json.JSONDecodeError as exc:
        raise RegistrationError(f"calibration is not JSON: {exc.msg}") from None
    if not depth:
        depth_cm = None
    elif depth.lstrip("-").isdigit():
        depth_cm = int(depth)
    else:
        raise RegistrationError(f"install_depth_cm {depth!r} is not a whole number")
    for key in ("dev_eui", "profile", "site"):
        if not (row.get(key) or "").strip():
            raise RegistrationError(f"{key} is empty")
    return DeviceSpec(
        dev_eui=row["dev_eui"],
        profile=row["profile"],
        site=row["site"],
        name=(row.get("name") or "").strip(),
        install_depth_cm=depth_cm,
        calibration=calibration,
    )


def import_devices(rows: Iterable[dict[str, str]]) -> tuple[list[Device], list[str]]:
    """Register every row or none: returns (created devices, per-row errors).

    Rows are numbered as in the CSV file (header is line 1). Nothing is saved
    when any row fails, so a file can be fixed and imported again as a whole.
    """
    devices: list[Device] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            try:
                device = build_device(_row_spec(row))
            except RegistrationError as exc:
                errors.append(f"line {line}: {exc}")
                continue
            if device.dev_eui in seen:
                errors.append(f"line {line}: DevEUI repeats line {seen[device.dev_eui]}")
                continue
            seen[device.dev_eui] = line
            devices.append(device)
        if errors:
            transaction.set_rollback(True)
            return [], errors
        Device.objects.bulk_create(devices)
    return devices, []


def read_csv(stream: IO[str]) -> list[dict[str, str]]:
    """Rows of a device CSV: dev_eui, profile, site, and optionally name, depth, calibration."""
    reader = csv.DictReader(stream)
    missing = {"dev_eui", "profile", "site"} - set(reader.fieldnames or [])
    if missing:
        raise RegistrationError(f"CSV header lacks {', '.join(sorted(missing))}")
    return list(reader)


# --- radio status written by the bridge ---------------------------------------------------

_GATEWAY_EUI = re.compile(r"[0-9a-f]{16}")


def _when(ns: int) -> datetime | None:
    """A timestamp PostgreSQL can hold, or None for one no clock gives (year 0, 10000)."""
    try:
        moment = datetime.fromtimestamp(ns / 1e9, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if 2000 <= moment.year <= 9000 else None


def save_radio_status(status: dict[int, list], gateways: dict[str, int]) -> None:
    """Write the bridge's newest status per device and gateway, never moving one backwards.

    ``status`` maps a device id to ``[time_ns, battery_v, rssi, snr, f_cnt, _]`` and
    ``gateways`` a gateway EUI to the time it last heard an uplink. A row changes only
    when the new time is later than the stored ``last_seen``: a replay from a network
    server's queue, or a second bridge flushing older uplinks after a newer one, must not
    put last-seen, the frame counter or the RSSI back. Raises ``DatabaseError``.
    """
    rows = []
    for device_id, (t, battery, rssi, snr, f_cnt, *_) in status.items():
        when = _when(t)
        if when is not None:
            rows.append((device_id, when, rssi, snr, f_cnt, battery))
    gateway_rows = []
    for eui, t in gateways.items():
        when = _when(t)
        if when is not None and _GATEWAY_EUI.fullmatch(eui):
            gateway_rows.append((eui, when))
    if gateway_rows:
        Gateway.objects.bulk_create(
            [Gateway(gateway_eui=eui) for eui, _ in gateway_rows], ignore_conflicts=True
        )
    if connection.vendor != "postgresql":
        _save_status_by_row(rows, gateway_rows)
        return
    device_table = Device._meta.db_table
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        values = ", ".join(
            ["(%s, %s::timestamptz, %s::float8, %s::float8, %s::bigint, %s::float8)"] * len(chunk)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {device_table} AS d SET last_seen = v.last_seen, rssi = v.rssi, "
                "snr = v.snr, f_cnt = v.f_cnt, battery_v = COALESCE(v.battery_v, d.battery_v) "
                f"FROM (VALUES {values}) AS v(id, last_seen, rssi, snr, f_cnt, battery_v) "
                "WHERE d.id = v.id AND (d.last_seen IS NULL OR d.last_seen < v.last_seen)",
                [value for row in chunk for value in row],
            )
    gateway_table = Gateway._meta.db_table
    for start in range(0, len(gateway_rows), 1000):
        chunk = gateway_rows[start : start + 1000]
        values = ", ".join(["(%s, %s::timestamptz)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {gateway_table} AS g SET last_seen = v.t "
                f"FROM (VALUES {values}) AS v(eui, t) "
                "WHERE g.gateway_eui = v.eui AND (g.last_seen IS NULL OR g.last_seen < v.t)",
                [value for row in chunk for value in row],
            )


def _save_status_by_row(rows: list[tuple], gateway_rows: list[tuple]) -> None:
    """The same conditional updates one row at a time (the SQLite demo database)."""
    for device_id, when, rssi, snr, f_cnt, battery in rows:
        changes = {"last_seen": when, "rssi": rssi, "snr": snr, "f_cnt": f_cnt}
        if battery is not None:
            changes["battery_v"] = battery
        Device.objects.filter(pk=device_id).filter(
            Q(last_seen__isnull=True) | Q(last_seen__lt=when)
        ).update(**changes)
    for eui, when in gateway_rows:
        Gateway.objects.filter(gateway_eui=eui).filter(
            Q(last_seen__isnull=True) | Q(last_seen__lt=when)
        ).update(last_seen=when)
