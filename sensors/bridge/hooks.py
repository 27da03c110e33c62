"""The ``on_readings`` hook: resolved from its dotted path, and the batches waiting for it.

The readings of a batch are durable in InfluxDB before the hook sees them; what must not
be lost is their evaluation. ``HookBacklog`` keeps the batches in order while the hook's
database is away (bounded by ``HOOK_BACKLOG_MAX``) and retries them every ``hook_retry_s``.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections import deque
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, close_old_connections

from sensors.bridge.pipeline import Counters
from vocabulary.events import ReadingEvent

log = logging.getLogger("sensors.bridge")

OnReadings = Callable[[list[ReadingEvent]], None]

# Readings kept for the hook while its database is away (about ten minutes of a busy
# county at a few hundred readings a second); beyond that the oldest are dropped and counted.
HOOK_BACKLOG_MAX = 200_000


def no_readings_hook(batch: list[ReadingEvent]) -> None:
    """Default ``on_readings``: the alert engine replaces it through the config."""


def resolve_hook(path: str) -> OnReadings:
    """One hook ``package.module:function``, or several separated by commas.

    Several are called in order on each batch, each even when an earlier one failed;
    the first error is raised afterwards, so the bridge's retry (database away) or
    drop accounting applies to the batch as before.
    """
    hooks = [_import_hook(p.strip()) for p in path.split(",") if p.strip()]
    if not hooks:
        return no_readings_hook
    if len(hooks) == 1:
        return hooks[0]

    def fan_out(batch: list[ReadingEvent]) -> None:
        error: Exception | None = None
        for hook in hooks:
            try:
                hook(batch)
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error

    return fan_out


def _import_hook(path: str) -> OnReadings:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class HookBacklog:
    """Batches of readings handed to ``on_readings`` in order, kept while it cannot run."""

    def __init__(self, on_readings: OnReadings, counters: Counters, retry_s: float) -> None:
        self.on_readings = on_readings
        self.counters = counters
        self.retry_s = retry_s
        self.batches: deque[list[ReadingEvent]] = deque()
        self.retry_at = 0.0

    def add(self, readings: list[ReadingEvent]) -> None:
        self.batches.append(readings)
        self.counters.hook_pending += len(readings)

    def run(self) -> None:
        """Hand the waiting batches to ``on_readings`` in order.

        While the hook's database is unreachable the batches wait (bounded) and are
        retried every ``retry_s``; a batch the hook rejects for any other reason is
        logged and dropped, so one bad batch cannot stall the ones behind it.
        """
        if not self.batches or time.monotonic() < self.retry_at:
            return
        counters = self.counters
        while self.batches:
            readings = self.batches[0]
            try:
                self.on_readings(readings)
            except (OperationalError, InterfaceError):
                counters.hook_failures += 1
                log.warning(
                    "on_readings: database unreachable; %d readings wait", counters.hook_pending
                )
                close_old_connections()
                self.retry_at = time.monotonic() + self.retry_s
                self._trim()
                return
            except Exception:
                counters.hook_dropped += len(readings)
                log.exception("on_readings hook failed; %d readings not evaluated", len(readings))
            self.batches.popleft()
            counters.hook_pending -= len(readings)

    def _trim(self) -> None:
        counters = self.counters
        while counters.hook_pending > HOOK_BACKLOG_MAX and len(self.batches) > 1:
            dropped = self.batches.popleft()
            counters.hook_pending -= len(dropped)
            counters.hook_dropped += len(dropped)
