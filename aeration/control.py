"""Switching aerators: commands out, confirmations in, expiry — the one place that changes them.

A command is a row first (who or which rule, why, what state), then a downlink through
the network server. It is done only when the device's own uplink reports the commanded
state (``apply_reports``); unconfirmed it expires (``expire``) and raises an incident,
as does an uplink reporting a state nobody commanded. Reports are applied in the
device's time order: a duplicate (same time) or an older report arriving late changes
nothing, so redelivered or reordered uplinks cannot flip the state shown or confirm a
command with a stale report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aeration import live, mismatch
from aeration.models import Aerator, Command, Mode, RelayController
from sensors import downlink
from sensors.codecs import dragino_lt, native_relay

log = logging.getLogger(__name__)

# A confirming uplink may be stamped by the network server a little before our own clock
# said the command was created (clock skew between hosts); beyond this it is an old report.
CLOCK_TOLERANCE = timedelta(seconds=2)

S = Command.Status


class ControlError(Exception):
    """A command that cannot be sent; ``message`` is for the person who asked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Report:
    """One relay report from an uplink: a channel's state and, where measured, its current."""

    device_id: int
    channel: int
    on: bool
    at: datetime
    current: tuple[str, float] | None = None  # (metric, value): current_aN in A, aciN_ma in mA


def amps(aerator: Aerator, current: tuple[str, float] | None) -> float | None:
    """The motor current in A: as measured, or from a 4-20 mA transducer's full scale."""
    if current is None:
        return None
    metric, value = current
    if metric.startswith("current_a"):
        return value
    if aerator.current_full_scale_a is None:
        return None  # a current input with no transducer range configured
    return round(max(0.0, (value - 4.0) / 16.0 * aerator.current_full_scale_a), 2)


def encode(controller: RelayController, channel: int, on: bool) -> tuple[int, bytes]:
    """(fPort, payload) of the relay command for the controller's device profile."""
    profile = controller.device.profile_id
    if profile == "dragino-lt22222l":
        return dragino_lt.DOWNLINK_FPORT, dragino_lt.relay_command(channel, on)
    if profile == "native-relay":
        return native_relay.DOWNLINK_FPORT, native_relay.relay_command(channel, on)
    raise ControlError("unsupported", _("This device cannot switch relays (profile %s).") % profile)


def build_downlink(controller: RelayController, channel: int, on: bool) -> downlink.Downlink:
    f_port, payload = encode(controller, channel, on)
    if controller.network == RelayController.Network.TTS:
        return downlink.the_things_stack(
            controller.application_id,
            controller.network_device_id,
            f_port,
            payload,
            tenant_id=controller.tenant_id,
            confirmed=controller.confirmed,
        )
    return downlink.chirpstack(
        controller.application_id,
        controller.device.dev_eui,
        f_port,
        payload,
        confirmed=controller.confirmed,
    )


def refuse(aerator: Aerator, user, on: bool) -> Command:
    """Audit a request from someone who may see but not switch; nothing is sent."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Read-only access: not allowed to switch")
    return Command.objects.create(
        aerator=aerator,
        desired_on=on,
        source=Command.Source.MANUAL,
        user=user if getattr(user, "is_authenticated", False) else None,
        reason=reason,
        status=S.REFUSED,
        error="not allowed to switch",
    )


def request(
    aerator_id: int,
    on: bool,
    *,
    user=None,
    rule: str = "",
    reason: str = "",
    now: datetime | None = None,
    mqtt_url: str | None = None,
) -> Command:
    """Record a command, send its downlink and return it (pending, or failed with the error).

    A manual command (``user`` given) starts the aerator's override: automatic mode leaves
    it alone until ``override_until``. A newer command supersedes a pending one.
    """
    now = now or timezone.now()
    source = Command.Source.MANUAL if user is not None else Command.Source.AUTO
    with transaction.atomic():
        aerator = (
            Aerator.objects.select_for_update()
            .select_related("controller__device", "pond__farm")
            .get(pk=aerator_id)
        )
        controller = aerator.controller
        pending = list(aerator.commands.filter(status=S.PENDING))
        same = [c for c in pending if c.desired_on == on]
        if same:
            return same[0]  # a repeated click: the command already on its way stands
        for old in pending:
            old.status = S.SUPERSEDED
            old.save(update_fields=["status"])
        cmd = Command(
            aerator=aerator,
            desired_on=on,
            source=source,
            user=user,
            rule=rule[:64],
            reason=reason[:500],
            status=S.PENDING,
            expires_at=now + timedelta(minutes=controller.confirm_minutes),
            network=controller.network,
        )
        try:
            message = build_downlink(controller, aerator.channel, on)
        except (ControlError, downlink.DownlinkError, ValueError) as exc:
            cmd.status = S.FAILED
            cmd.error = getattr(exc, "message", str(exc))[:500]
            cmd.save()
            live.publish(aerator.pond.farm_id, aerator, None)
            return cmd
        cmd.topic = message.topic[:255]
        cmd.payload_hex = encode(controller, aerator.channel, on)[1].hex()
        cmd.save()
        previous_override = aerator.override_until
        if source == Command.Source.MANUAL:
            aerator.override_until = now + timedelta(minutes=aerator.override_minutes)
            aerator.save(update_fields=["override_until"])
    # Sent after the commit: a confirming uplink may arrive at once and must find the row.
    try:
        downlink.publish(message, mqtt_url or settings.CONFIG.mqtt_url)
    except downlink.DownlinkError as exc:
        log.warning("aerator %s: downlink not sent: %s", aerator.pk, exc)
        Command.objects.filter(pk=cmd.pk, status=S.PENDING).update(
            status=S.FAILED, error=str(exc)[:500]
        )
        # Nothing was switched: automatic mode must not stand aside for it.
        Aerator.objects.filter(pk=aerator.pk).update(override_until=previous_override)
        aerator.override_until = previous_override
        cmd.refresh_from_db()
        with transaction.atomic():
            live.publish(aerator.pond.farm_id, aerator, None)
        return cmd
    Command.objects.filter(pk=cmd.pk).update(sent_at=timezone.now())
    cmd.refresh_from_db()
    with transaction.atomic():
        live.publish(aerator.pond.farm_id, aerator, cmd if cmd.status == S.PENDING else None)
    return cmd


def set_mode(aerator_id: int, mode: str, *, user) -> Aerator:
    """Manual or automatic; switching to automatic ends a manual override at once."""
    if mode not in Mode.values:
        raise ControlError("bad_mode", _("Unknown mode."))
    with transaction.atomic():
        aerator = Aerator.objects.select_for_update().select_related("pond").get(pk=aerator_id)
        aerator.mode = mode
        if mode == Mode.AUTO:
            aerator.override_until = None
        aerator.save(update_fields=["mode", "override_until"])
        live.publish(aerator.pond.farm_id, aerator, _pending(aerator))
    return aerator


def _pending(aerator: Aerator) -> Command | None:
    return aerator.commands.filter(status=S.PENDING).order_by("-created_at", "-id").first()


def _state_text(on: bool | None) -> str:
    if on is None:
        return _("nothing")
    return _("on") if on else _("off")


def apply_reports(reports: Iterable[Report]) -> int:
    """Apply relay reports from uplinks in time order; return how many changed an aerator."""
    by_key: dict[tuple[int, int], list[Report]] = {}
    for r in reports:
        by_key.setdefault((r.device_id, r.channel), []).append(r)
    if not by_key:
        return 0
    changed = 0
    with transaction.atomic():
        aerators = (
            Aerator.objects.select_for_update(of=("self",))
            .select_related("controller", "pond__farm")
            .filter(controller__device_id__in={d for d, _ in by_key})
            .order_by("pk")
        )
        for aerator in aerators:
            mine = by_key.get((aerator.controller.device_id, aerator.channel), ())
            for r in sorted(mine, key=lambda r: r.at):
                changed += _apply(aerator, r)
    return changed


def _apply(aerator: Aerator, r: Report) -> int:
    if aerator.reported_at is not None and r.at <= aerator.reported_at:
        return 0  # a duplicate or an older report that arrived late
    fields = ["reported_on", "reported_at", "current_a"]
    if aerator.reported_on != r.on:
        aerator.changed_at = r.at
        fields.append("changed_at")
    aerator.reported_on = r.on
    aerator.reported_at = r.at
    aerator.current_a = amps(aerator, r.current)
    aerator.save(update_fields=fields)
    pending = _pending(aerator)
    if pending is not None and pending.desired_on == r.on:
        if r.at >= pending.created_at - CLOCK_TOLERANCE:
            pending.status = S.CONFIRMED
            pending.confirmed_at = r.at
            pending.save(update_fields=["status", "confirmed_at"])
            pending = None
    # While a command waits, a report of the old state is expected (a class A device
    # gets its downlink only after the uplink that still reports it); judge it after.
    if pending is None:
        _judge(aerator, r.at)
    live.publish(aerator.pond.farm_id, aerator, pending)
    return 1


def _judge(aerator: Aerator, at: datetime) -> None:
    """Does the reported state match the last command that was meant to take effect?"""
    last = (
        aerator.commands.filter(status__in=[S.CONFIRMED, S.EXPIRED])
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None:
        return
    disagree = aerator.reported_on is not None and aerator.reported_on != last.desired_on
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(name)s commanded %(wanted)s, device reports %(state)s") % {
            "name": aerator.name,
            "wanted": _state_text(last.desired_on),
            "state": _state_text(aerator.reported_on),
        }
    mismatch.judge(aerator, disagree, at, note)


def expire(now: datetime | None = None) -> int:
    """Expire commands their device never confirmed, and raise the disagreement."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        due = (
            Command.objects.select_for_update(of=("self",))
            .filter(status=S.PENDING, expires_at__lt=now)
            .select_related("aerator__pond__farm")
            .order_by("pk")
        )
        for cmd in due:
            cmd.status = S.EXPIRED
            cmd.save(update_fields=["status"])
            aerator = cmd.aerator
            with translation.override(settings.LANGUAGE_CODE):
                note = _("%(name)s did not confirm the command to switch %(wanted)s") % {
                    "name": aerator.name,
                    "wanted": _state_text(cmd.desired_on),
                }
            if aerator.reported_on != cmd.desired_on:
                mismatch.judge(aerator, True, now, note)
            live.publish(aerator.pond.farm_id, aerator, None)
            done += 1
    return done
