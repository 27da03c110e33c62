"""Durable batch writes: InfluxDB when it answers, the disk spool when it does not."""

from __future__ import annotations

import logging
import time

from sensors.bridge.spool import Spool
from sensors.timeseries import InfluxRejected, InfluxUnavailable, TimeSeries

log = logging.getLogger(__name__)


class DurableWriter:
    """Writes each batch exactly once to InfluxDB, possibly later via the spool.

    While the spool holds anything, new batches are appended behind it rather
    than written directly, so InfluxDB receives batches in arrival order.
    """

    def __init__(self, ts: TimeSeries, spool: Spool, *, retry_s: float = 1.0) -> None:
        self.ts = ts
        self.spool = spool
        self.retry_s = retry_s
        self.max_retry_s = 10.0
        self._next_try = 0.0
        self._backoff = retry_s
        self.rejected_batches = 0

    def write(self, body: bytes) -> bool:
        """Make ``body`` durable. True if it went to InfluxDB, False if it was spooled."""
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
            # A 400 is not retryable; InfluxDB 1.x still keeps the valid points of the batch.
            self.rejected_batches += 1
            log.error("InfluxDB rejected a batch: %s", exc)
            return True

    def _schedule_retry(self, reset: bool = False) -> None:
        if reset:
            self._backoff = self.retry_s
        self._next_try = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_retry_s)

    def replay(self) -> int:
        """Write spooled batches if InfluxDB is back (rate-limited); returns points replayed."""
        if not self.spool.pending or time.monotonic() < self._next_try:
            return 0
        done = 0
        for chunk, end in self.spool.chunks():
            try:
                self.ts.write_lines(chunk)
            except InfluxUnavailable:
                self._schedule_retry()
                return done
            except InfluxRejected as exc:
                self.rejected_batches += 1
                log.error("InfluxDB rejected spooled data: %s", exc)
            self.spool.mark_replayed(end)
            done += chunk.count(b"\n") + 1
        if done:
            log.info("replayed %d points from the spool", done)
        return done
