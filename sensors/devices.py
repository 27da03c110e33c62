"""Registering devices: one at a time or in bulk, with the same checks either way."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction

from farm.models import Site
from sensors.models import Device, DeviceProfile, normalise_eui


class RegistrationError(ValueError):
    """A device row that cannot be registered; the message says why."""


def known_codec_profiles() -> set[str] | None:
    """Profile ids the codec registry decodes, or None while the registry is absent."""
    try:
        from sensors import codecs
    except ImportError:
        return None
    try:
        return set(codecs.profiles())
    except (AttributeError, ImportError):  # a registry mid-installation: trust only the table
        return None


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
    if known is None or profile_id not in known:
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
