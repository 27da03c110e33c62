"""Link policy over either modem: OTAA join with back-off, airtime budget, link checks.

Uplinks are unconfirmed; every ``confirm_every``-th one is confirmed and carries a
LinkCheckReq, so the node learns within a few hours that its gateway is gone. After
``lost_after`` unanswered confirmed uplinks the session is treated as lost and the node
rejoins. Airtime is budgeted at the band's slowest data rate, the worst case under ADR.
"""

from airtime import time_on_air_ms, uplink_ms
from atmodem import DutyCycleLimited, ModemBusy, ModemError, NotJoined
from bands import slowest
from dutycycle import AirtimeBudget

JOIN_REQUEST_LEN = 23  # PHYPayload of a JoinRequest: MHDR 1, JoinEUI 8, DevEUI 8, DevNonce 2, MIC 4


class Link:
    def __init__(
        self,
        modem,
        clock,
        plan,
        state,
        confirm_every=12,
        lost_after=3,
        join_attempts=3,
        backoff_ms=15000,
        backoff_max_ms=3600000,
    ):
        self.modem = modem
        self.clock = clock
        self.plan = plan
        self.state = state  # persisted dict: joined, uplinks, misses, join_fails, next_join_ms
        dr, self.sf, self.max_frm = slowest(plan)
        self.budget = AirtimeBudget(plan["duty_cycle"], plan["max_single_tx_ms"])
        self.budget.sent = state.get("airtime", [])
        self.confirm_every = confirm_every
        self.lost_after = lost_after
        self.join_attempts = join_attempts
        self.backoff_ms = backoff_ms
        self.backoff_max_ms = backoff_max_ms
        self.last = None

    def airtime_ms(self, frame):
        return uplink_ms(len(frame), self.sf)

    def joined(self):
        return bool(self.state.get("joined"))

    def ensure_joined(self):
        """Join if needed, at most ``join_attempts`` tries per wake-up, with growing back-off.

        Between wake-ups the back-off is remembered (``next_join_ms``): a node whose gateway
        is down does not burn its battery on join requests every interval.
        """
        if self.joined():
            return True
        now = self.clock.now_ms()
        if now < self.state.get("next_join_ms", 0):
            return False
        join_ms = time_on_air_ms(JOIN_REQUEST_LEN, self.sf)
        fails = self.state.get("join_fails", 0)
        for i in range(self.join_attempts):
            if not self.budget.allows(join_ms, self.clock.now_ms()):
                return False
            self.budget.record(join_ms, self.clock.now_ms())
            self.state["airtime"] = self.budget.sent
            try:
                ok = self.modem.join()
            except ModemError:  # busy, timeout or an error reply: counts as a failed try
                ok = False
            if ok:
                self.state["joined"] = True
                self.state["join_fails"] = 0
                self.state["misses"] = 0
                self.state["next_join_ms"] = 0
                return True
            fails += 1
            self.state["join_fails"] = fails
            wait = self.backoff_ms << min(fails - 1, 8)
            if wait > self.backoff_max_ms:
                wait = self.backoff_max_ms
            if i == self.join_attempts - 1:
                self.state["next_join_ms"] = self.clock.now_ms() + wait
                return False
            self.clock.sleep_ms(wait)
        return False

    def fits(self, frame):
        return self.budget.allows(self.airtime_ms(frame), self.clock.now_ms())

    def send(self, frame, port=1, force_confirmed=False):
        """Send one frame; the Uplink on success, None when it must wait in the backlog."""
        if len(frame) > self.max_frm:
            raise ValueError(
                "frame of %d bytes over the %d-byte limit" % (len(frame), self.max_frm)
            )
        if not self.ensure_joined():
            return None
        airtime = self.airtime_ms(frame)
        if not self.budget.allows(airtime, self.clock.now_ms()):
            return None
        count = self.state.get("uplinks", 0) + 1
        confirmed = force_confirmed or count % self.confirm_every == 0
        result = None
        for attempt in range(2):
            try:
                result = self.modem.send(port, frame, confirmed, link_check=confirmed)
                break
            except ModemBusy:
                if attempt:
                    return None
                self.clock.sleep_ms(2000)
            except NotJoined:
                self.state["joined"] = False
                return None
            except DutyCycleLimited:
                return None
            except ModemError:
                return None
        self.budget.record(airtime, self.clock.now_ms())
        self.state["airtime"] = self.budget.sent
        self.state["uplinks"] = count
        if confirmed:
            if result.acked:
                self.state["misses"] = 0
            else:
                self.state["misses"] = self.state.get("misses", 0) + 1
                if self.state["misses"] >= self.lost_after:
                    self.state["joined"] = False  # rejoin on the next send
        self.last = result
        return result
