"""The bridge's aeration hook: relay reports confirm commands, DO readings drive auto mode.

Registered beside the alert engine (``--on-readings alerts.engine:on_bridge_readings,
aeration.bridge_hook:on_bridge_readings``) and called once per written batch. For a
batch without relay readings and without DO readings of a pond that has an aerator in
automatic mode it costs one pass over the metric names and no query: the ponds with
automatic aerators are cached for a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from aeration import automation, control
from aeration.models import Aerator, Mode
from vocabulary.events import ReadingEvent

RELAY = {"relay1": 1, "relay2": 2}
CURRENT = {"current_a1": 1, "current_a2": 2, "aci1_ma": 1, "aci2_ma": 2}
AUTO_PONDS_TTL_S = 10.0

_auto_ponds: tuple[float, frozenset[int]] = (float("-inf"), frozenset())


def auto_ponds() -> frozenset[int]:
    """Ponds with an aerator in automatic mode, refreshed every ``AUTO_PONDS_TTL_S``."""
    global _auto_ponds
    loaded, ponds = _auto_ponds
    if time.monotonic() - loaded > AUTO_PONDS_TTL_S:
        ponds = frozenset(Aerator.objects.filter(mode=Mode.AUTO).values_list("pond_id", flat=True))
        _auto_ponds = (time.monotonic(), ponds)
    return ponds


def on_bridge_readings(batch: Sequence[ReadingEvent]) -> None:
    """The bridge's ``on_readings`` hook (``vocabulary.events.ReadingEvent`` values)."""
    relays, currents, oxygen = [], {}, []
    for r in batch:
        m = r.metric
        if m in RELAY:
            relays.append(r)
        elif m in CURRENT:
            currents[(r.device_id, CURRENT[m], r.time_ns)] = (m, r.value)
        elif m == "do" and r.site_id is not None:
            oxygen.append(r)
    if relays:
        control.apply_reports(_reports(relays, currents))
    if oxygen:
        ponds = auto_ponds()
        wanted = [r for r in oxygen if r.site_id in ponds]
        if wanted:
            automation.on_oxygen(
                [automation.Oxygen(r.site_id, r.value, r.time, r.fault) for r in wanted]
            )


def _reports(relays: list[ReadingEvent], currents: dict) -> list[control.Report]:
    out = []
    for r in relays:
        if r.value is None:  # a faulted relay reading says nothing about the contact
            continue
        channel = RELAY[r.metric]
        current = currents.get((r.device_id, channel, r.time_ns))
        out.append(control.Report(r.device_id, channel, r.value >= 0.5, r.time, _current(current)))
    return out


def _current(current: tuple[str, float | None] | None) -> tuple[str, float] | None:
    if current is None or current[1] is None:
        return None
    return current  # (metric, value): amps, or mA of a 4-20 mA input scaled per aerator
