"""Airtime budget: a sliding one-hour window of transmitted milliseconds."""

WINDOW_MS = 3600000


class AirtimeBudget:
    """Refuses a transmission that would push the last hour's airtime over the budget.

    Entries are (start_ms, airtime_ms) on the node's monotonic clock; the list stays short
    (a node sends a few frames an hour).
    """

    def __init__(self, fraction, max_single_ms=None, window_ms=WINDOW_MS):
        self.limit_ms = fraction * window_ms
        self.max_single_ms = max_single_ms
        self.window_ms = window_ms
        self.sent = []

    def _prune(self, now_ms):
        keep = []
        for start, dur in self.sent:
            if now_ms - start < self.window_ms:
                keep.append((start, dur))
        self.sent = keep

    def used_ms(self, now_ms):
        self._prune(now_ms)
        total = 0.0
        for _start, dur in self.sent:
            total += dur
        return total

    def allows(self, airtime_ms, now_ms):
        if self.max_single_ms is not None and airtime_ms > self.max_single_ms:
            return False
        return self.used_ms(now_ms) + airtime_ms <= self.limit_ms

    def allows_all(self, airtimes_ms, now_ms):
        """Whether every transmission of a burst is legal and the whole burst fits."""
        total = 0.0
        for t in airtimes_ms:
            if self.max_single_ms is not None and t > self.max_single_ms:
                return False
            total += t
        return self.used_ms(now_ms) + total <= self.limit_ms

    def wait_ms(self, airtime_ms, now_ms):
        """Milliseconds until ``airtime_ms`` fits again (0 if it fits now)."""
        if self.allows(airtime_ms, now_ms):
            return 0
        if self.max_single_ms is not None and airtime_ms > self.max_single_ms:
            return None  # never fits
        used = self.used_ms(now_ms)
        for start, dur in self.sent:  # oldest first
            used -= dur
            if used + airtime_ms <= self.limit_ms:
                return start + self.window_ms - now_ms
        return self.window_ms

    def record(self, airtime_ms, now_ms):
        self.sent.append((now_ms, airtime_ms))
