"""Aerator state as pages show it: what the device last reported, and what is asked of it.

Read-only and cheap: two queries for any number of sites, so a farm wall of 200
ponds can call it on every render.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aeration.models import Aerator, Command

State = Literal["on", "off", "unknown"]


@dataclass(frozen=True)
class PendingCommand:
    """A command sent but not yet confirmed by the device's uplink."""

    id: int
    desired: Literal["on", "off"]
    source: Literal["manual", "auto"]
    requested_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class AeratorState:
    id: int
    site_id: int
    name: str
    state: State
    pending: PendingCommand | None
    current_a: float | None
    reported_at: datetime | None
    mode: Literal["manual", "auto"]
    override_until: datetime | None = None


def state_word(on: bool | None) -> State:
    return "unknown" if on is None else ("on" if on else "off")


def aerator_states(site_ids: Iterable[int]) -> dict[int, list[AeratorState]]:
    """Aerators of the given sites (pond ids), keyed by site id, each site's list by name.

    Sites without aerators are absent from the result.
    """
    ids = list(site_ids)
    if not ids:
        return {}
    aerators = list(Aerator.objects.filter(pond_id__in=ids).order_by("pond_id", "name"))
    pending: dict[int, Command] = {}
    for cmd in Command.objects.filter(aerator__in=aerators, status=Command.Status.PENDING).order_by(
        "aerator_id", "-created_at", "-id"
    ):
        pending.setdefault(cmd.aerator_id, cmd)
    out: dict[int, list[AeratorState]] = {}
    for a in aerators:
        cmd = pending.get(a.id)
        out.setdefault(a.pond_id, []).append(
            AeratorState(
                id=a.id,
                site_id=a.pond_id,
                name=a.name,
                state=state_word(a.reported_on),
                pending=None
                if cmd is None
                else PendingCommand(
                    id=cmd.id,
                    desired="on" if cmd.desired_on else "off",
                    source=cmd.source,
                    requested_at=cmd.created_at,
                    expires_at=cmd.expires_at,
                ),
                current_a=a.current_a,
                reported_at=a.reported_at,
                mode=a.mode,
                override_until=a.override_until,
            )
        )
    return out
