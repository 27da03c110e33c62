"""Durable batch writes: InfluxDB when it answers, the disk spool when it does not."""

from __future__ import annotations

import logging
import re
import time

from sensors.bridge.pipeline import DeadLetterRow
from sensors.bridge.spool import Spool
from sensors.timeseries import InfluxRejected, InfluxUnavailable, TimeSeries

log = logging.getLogger(__name__)

_DEVICE_TAG = re.compile(rb",device=([0-9a-f]{16})[, ]")


class DurableWriter:
    """Writes each batch exactly once to InfluxDB, possibly later via the spool.

    While the spool holds anything, new batches are appended behind it rather
    than written directly, so InfluxDB receives batches in arrival order.

    A batch InfluxDB refuses with a 400 (1.x: "partial write: points beyond
    retention policy dropped=1", "field type conflict", "unable to parse") still
    had its good points written. The batch is split in halves and written again
    until every refused line stands alone: rewriting the good ones is harmless
    (same series and timestamps overwrite themselves), and each refused line
    becomes a dead letter with InfluxDB's own error, never a point counted as written.
    """

    def __init__(
        self,
        ts: TimeSeries,
        spool: Spool,
        *,
        retry_s: float = 1.0,
    ) -> None:
        self.ts = ts
        self.spool = spool
        self.retry_s = retry_s
        self.max_retry_s = 10.0
        self._next_try = 0.0
        self._backoff = retry_s
        self.rejected_batches = 0
        self.rejected: list[DeadLetterRow] = []  # refused lines not yet handed out
        self.last_rejected = 0  # lines refused by the last ``write``

    # -- writing

    def write(self, body: bytes) -> bool:
        """Make ``body`` durable. True if it went to InfluxDB, False if it was spooled.

        Lines InfluxDB refused are in ``last_rejected`` (a count) and ``rejected``.
        """
        self.last_rejected = 0
        if not body:
            return True
        if self.spool.pending:
            self.spool.append(body)
            return False
        try:
            self.ts.write_lines(body)
            return True
        except InfluxUnavailable as exc:
            log.warning("InfluxDB unavailable (%s); spooling to %s", exc, self.spool.path)
            self.spool.append(body)
            self._schedule_retry(reset=True)
            return False
        except InfluxRejected as exc:
            self.rejected_batches += 1
            noted = len(self.rejected)
            try:
                self.last_rejected = self._isolate(body, exc)
            except InfluxUnavailable as down:
                # InfluxDB went away while the batch was being split: keep it all for later.
                log.warning("InfluxDB unavailable (%s) while isolating refused points", down)
                del self.rejected[noted:]
                self.spool.append(body)
                self._schedule_retry(reset=True)
                return False
            return True

    def _schedule_retry(self, reset: bool = False) -> None:
        if reset:
            self._backoff = self.retry_s
        self._next_try = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_retry_s)

    def _isolate(self, body: bytes, exc: InfluxRejected) -> int:
        """Write ``body`` again in halves until each refused line is alone; returns how many."""
        lines = body.split(b"\n")
        if len(lines) == 1:
            self._reject(body, exc)
            return 1
        refused = 0
        stack = [lines[len(lines) // 2 :], lines[: len(lines) // 2]]
        while stack:
            part = stack.pop()
            try:
                self.ts.write_lines(b"\n".join(part))
            except InfluxRejected as err:
                if len(part) == 1:
                    self._reject(part[0], err)
                    refused += 1
                else:
                    half = len(part) // 2
                    stack += [part[half:], part[:half]]
        log.error("InfluxDB refused %d of %d points: %s", refused, len(lines), exc)
        return refused

    def _reject(self, line: bytes, exc: InfluxRejected) -> None:
        m = _DEVICE_TAG.search(line)
        self.rejected.append(
            DeadLetterRow(
                time.time_ns(),
                "influx_rejected",
                str(exc),
                "",
                line,
                m.group(1).decode() if m else "",
                "unknown",
            )
        )

    def take_rejected(self) -> list[DeadLetterRow]:
        """Dead letters for the lines refused since the last call."""
        rows, self.rejected = self.rejected, []
        return rows

    def replay(self) -> int:
        """Write spooled batches if InfluxDB is back (rate-limited); returns points written."""
        if not self.spool.pending or time.monotonic() < self._next_try:
            return 0
        done = 0
        for chunk, end in self.spool.chunks():
            points = chunk.count(b"\n") + 1
            try:
                self.ts.write_lines(chunk)
            except InfluxUnavailable:
                self._schedule_retry()
                return done
            except InfluxRejected as exc:
                self.rejected_batches += 1
                noted = len(self.rejected)
                try:
                    points -= self._isolate(chunk, exc)
                except InfluxUnavailable:
                    del self.rejected[noted:]
                    self._schedule_retry()
                    return done
            self.spool.mark_replayed(end)
            done += points
        if done:
            log.info("replayed %d points from the spool", done)
        return done
