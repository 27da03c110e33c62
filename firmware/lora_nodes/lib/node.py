"""One wake-up of a node: measure, send (or keep in the backlog), obey downlinks, sleep.

Hardware is injected (``measure`` callables, the Link, the clock), so the same logic runs
on the board and on the host HAL. ``state`` is a dict the app persists across deep sleep.
"""

import downlink
import payload

MINUTE_MS = 60000


class Node:
    node_type = "soil"

    def __init__(self, link, clock, backlog, measure, state, config=None, calibrators=None):
        self.link = link
        self.clock = clock
        self.backlog = backlog
        self.measure = measure
        self.state = state
        self.config = config or {}
        self.calibrators = calibrators or {}  # channel -> fn(raw1, v1, raw2, v2)
        self.measure_now = False
        if "interval_min" not in state:
            state["interval_min"] = self.config.get("interval_min", 15)

    # --- sending -------------------------------------------------------------------------
    def _send(self, readings, event=False, age_min=None, confirmed=False):
        """True when the measurement left the node (its first frame at least)."""
        frames = payload.encode_frames(self.node_type, readings, self.link.max_frm, event, age_min)
        airtimes = [self.link.airtime_ms(f) for f in frames]
        if not self.link.budget.allows_all(airtimes, self.clock.now_ms()):
            return False
        for i in range(len(frames)):
            result = self.link.send(frames[i], payload.FPORT, confirmed and i == 0)
            if result is None:
                return i > 0  # the core went out; the remainder is dropped, not re-queued
            self._obey(result)
        return True

    def deliver(self, readings, event=False, confirmed=False):
        now = self.clock.now_ms()
        if self._send(readings, event, None, confirmed):
            self.flush_backlog()
            return True
        self.backlog.push(now, readings, event)
        return False

    def flush_backlog(self):
        """Send kept measurements, oldest first, while the link and the budget allow."""
        while len(self.backlog):
            measured_at, readings, event = self.backlog.peek()
            age = (self.clock.now_ms() - measured_at) // MINUTE_MS
            if not self._send(readings, event, age):
                return
            self.backlog.pop()

    # --- downlinks -----------------------------------------------------------------------
    def _obey(self, result):
        cmd = downlink.parse(result.port, result.data)
        if cmd is None:
            return
        name, arg = cmd
        if name == "interval":
            self.state["interval_min"] = arg
        elif name == "measure_now":
            self.measure_now = True
        elif name == "calibration":
            ch = arg[0]
            fn = self.calibrators.get(ch)
            if fn is None:
                return
            try:
                fn(arg[1], arg[2], arg[3], arg[4])
            except ValueError:
                return  # refused (e.g. pH slope outside 85-105 % of Nernst): keep the old one
            cal = self.state.setdefault("cal", {})
            cal[str(ch)] = [arg[1], arg[2], arg[3], arg[4]]

    def restore_calibration(self):
        for ch, pts in self.state.get("cal", {}).items():
            fn = self.calibrators.get(int(ch))
            if fn is not None:
                try:
                    fn(pts[0], pts[1], pts[2], pts[3])
                except ValueError:
                    pass

    # --- one wake-up ---------------------------------------------------------------------
    def wake(self):
        """Run one cycle; returns the milliseconds to deep-sleep."""
        self.deliver(self.measure())
        if self.measure_now:  # a downlink asked for a fresh reading
            self.measure_now = False
            self.deliver(self.measure())
        return self.state["interval_min"] * MINUTE_MS


class WaterNode(Node):
    """Water node: checks DO every ``do_check_min`` and reports every ``interval_min``.

    A check that finds DO under ``do_floor`` mg/L, or falling faster than ``do_drop_per_h``
    mg/L per hour since the last reading, re-measures after ``do_confirm_s``; if the second
    reading confirms it, the node sends at once (event flag, confirmed uplink) and keeps
    reporting every check until DO recovers.
    """

    node_type = "water"

    def __init__(
        self, link, clock, backlog, measure, state, config=None, calibrators=None, measure_do=None
    ):
        Node.__init__(self, link, clock, backlog, measure, state, config, calibrators)
        self.measure_do = measure_do or measure
        cfg = self.config
        self.floor = cfg.get("do_floor", 3.0)
        self.drop_per_h = cfg.get("do_drop_per_h", 1.0)
        self.confirm_ms = int(cfg.get("do_confirm_s", 60) * 1000)
        self.check_ms = int(cfg.get("do_check_min", 5) * MINUTE_MS)

    def alarming(self, readings, now):
        do = readings.get("do")
        if not isinstance(do, (int, float)) or do != do:
            return False
        if do < self.floor:
            return True
        last, last_at = self.state.get("last_do"), self.state.get("last_do_at")
        if last is None or last_at is None or now <= last_at:
            return False
        hours = (now - last_at) / 3600000
        if hours < 1 / 60:
            hours = 1 / 60
        return (last - do) / hours >= self.drop_per_h

    def _remember(self, readings, now):
        do = readings.get("do")
        if isinstance(do, (int, float)) and do == do:
            self.state["last_do"] = do
            self.state["last_do_at"] = now

    def wake(self):
        now = self.clock.now_ms()
        due = now >= self.state.get("next_report_at", 0) or self.state.get("alarm", False)
        readings = self.measure() if due else self.measure_do()
        event = False
        if self.alarming(readings, now):
            self.clock.sleep_ms(self.confirm_ms)
            again = self.measure()
            if self.alarming(again, now):
                readings, event, due = again, True, True
        self.state["alarm"] = event
        if due:
            self.deliver(readings, event=event, confirmed=event)
            self.state["next_report_at"] = now + self.state["interval_min"] * MINUTE_MS
        self._remember(readings, now)
        if self.measure_now:
            self.measure_now = False
            self.deliver(self.measure())
        if event:
            return self.check_ms
        left = self.state["next_report_at"] - self.clock.now_ms()
        return max(min(self.check_ms, left), MINUTE_MS)
