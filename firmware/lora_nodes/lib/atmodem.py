"""LoRaWAN modems driven by AT commands over a UART, behind one interface.

``WioE5`` speaks the Seeed LoRa-E5 AT firmware (replies "+CMD: ..." lines, errors
"+CMD: ERROR(n)", uplinks end with "+MSGHEX: Done"); ``RAK3172`` speaks RUI3 (status lines
"OK" / "AT_BUSY_ERROR" / ..., asynchronous "+EVT:..." events). Both offer:

    configure(cfg)            band, keys, ADR, data rate, RX2
    join(timeout_ms) -> bool  one OTAA attempt (retries and back-off live in lorawan.Link)
    send(port, data, confirmed, link_check) -> Uplink
    sleep()

Lines that match nothing (noise on the wire, banners) are skipped, never fatal.
"""


class ModemError(Exception):
    pass


class ModemBusy(ModemError):
    pass


class NotJoined(ModemError):
    pass


class DutyCycleLimited(ModemError):
    def __init__(self, msg, wait_ms=None):
        super().__init__(msg)
        self.wait_ms = wait_ms


class ModemTimeout(ModemError):
    pass


class Uplink:
    """Outcome of one uplink: ACK (None when unconfirmed), downlink, link quality."""

    def __init__(self):
        self.acked = None
        self.port = None
        self.data = None
        self.rssi = None
        self.snr = None
        self.margin = None
        self.gateways = None


def _hex(data):
    out = ""
    for b in data:
        out += "%02X" % b
    return out


def _unhex(text):
    text = text.strip().replace(" ", "")
    if len(text) % 2:
        raise ValueError("odd hex")
    return bytes(int(text[i : i + 2], 16) for i in range(0, len(text), 2))


def _ints(text):
    """Signed numbers in a line, in order ("RSSI -29, SNR 9.0" -> [-29, 9.0])."""
    out = []
    cur = ""
    for ch in text + " ":
        if ch in "-.0123456789":
            cur += ch
        else:
            if cur not in ("", "-", ".", "-."):
                try:
                    out.append(float(cur) if "." in cur else int(cur))
                except ValueError:
                    pass
            cur = ""
    return out


class _ATPort:
    """Line I/O with deadlines on the node's clock."""

    def __init__(self, uart, clock):
        self.uart = uart
        self.clock = clock
        self._buf = b""
        self.log = []  # last lines seen, for diagnostics

    def write_line(self, line):
        self.uart.write(line.encode() + b"\r\n")

    def drain(self):
        while self.uart.any():
            self.uart.read()
        self._buf = b""

    def read_line(self, timeout_ms):
        """Next non-empty printable line, or None when ``timeout_ms`` passes."""
        start = self.clock.ticks_ms()
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = self._buf[:nl]
                self._buf = self._buf[nl + 1 :]
                line = bytes(b for b in raw if 32 <= b < 127).decode().strip()
                if line:
                    self.log = self.log[-15:] + [line]
                    return line
                continue
            if self.clock.ticks_diff(self.clock.ticks_ms(), start) >= timeout_ms:
                return None
            if self.uart.any():
                chunk = self.uart.read()
                if chunk:
                    self._buf += chunk
                    if len(self._buf) > 512:  # runaway garbage without newlines
                        self._buf = self._buf[-256:]
            else:
                self.clock.sleep_ms(10)


class WioE5(_ATPort):
    """Seeed Wio-E5 / LoRa-E5 (STM32WLE5) with the LoRa-E5 AT firmware, 9600 8N1."""

    name = "wio-e5"

    def __init__(self, uart, clock):
        _ATPort.__init__(self, uart, clock)
        self.port = None

    def _cmd(self, name, arg=None, timeout_ms=1000):
        """Send AT+NAME[=arg]; return the first "+NAME:" reply, raising on its errors."""
        self.drain()
        self.write_line("AT+" + name + ("" if arg is None else "=" + arg))
        prefix = "+" + name.split("=")[0] + ":"
        start = self.clock.ticks_ms()
        while True:
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            line = self.read_line(max(left, 0))
            if line is None:
                raise ModemTimeout("no reply to AT+" + name)
            if not line.startswith(prefix):
                continue
            body = line[len(prefix) :].strip()
            if "busy" in body:
                raise ModemBusy(line)
            if body.startswith("ERROR"):
                raise ModemError(line)
            return body

    def _at(self):
        # The first bytes after AT+LOWPOWER only wake the module, so "AT" is tried twice.
        for _ in range(2):
            self.drain()
            self.write_line("AT")
            start = self.clock.ticks_ms()
            while self.clock.ticks_diff(self.clock.ticks_ms(), start) < 1000:
                line = self.read_line(200)
                if line == "+AT: OK":
                    return True
        raise ModemTimeout("no reply to AT")

    def wake(self):
        self._at()

    def configure(self, cfg):
        plan = cfg["band"]
        self._at()
        self._cmd("MODE", "LWOTAA")
        self._cmd("ID", 'DevEui,"%s"' % cfg["dev_eui"])
        self._cmd("ID", 'AppEui,"%s"' % cfg["join_eui"])
        self._cmd("KEY", 'APPKEY,"%s"' % cfg["app_key"])
        self._cmd("DR", plan["name"])
        self._cmd("CLASS", "A")
        self._cmd("ADR", "ON" if cfg.get("adr", True) else "OFF")
        self._cmd("DR", "DR%d" % cfg.get("dr", plan["min_dr"]))
        self._cmd(
            "RXWIN2", "%.1f,DR%d" % (plan["rx2_freq_hz"] / 1e6, cfg.get("rx2_dr", plan["rx2_dr"]))
        )

    def join(self, timeout_ms=30000):
        """One OTAA attempt: True when joined, False on "Join failed"."""
        self.drain()
        self.write_line("AT+JOIN")
        start = self.clock.ticks_ms()
        joined = None
        while True:
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            line = self.read_line(max(left, 0))
            if line is None:
                raise ModemTimeout("join did not finish")
            if not line.startswith("+JOIN:"):
                continue
            body = line[6:].strip()
            if "busy" in body:
                raise ModemBusy(line)
            if body.startswith("Joined already") or body.startswith("Network joined"):
                joined = True
                if body.startswith("Joined already"):
                    return True
            elif body.startswith("Join failed"):
                joined = False
            elif body.startswith("Done"):
                return bool(joined)
            elif body.startswith("ERROR"):
                raise ModemError(line)

    def link_check(self):
        """Ask for a LinkCheckReq to ride on the next uplink."""
        self._cmd("LW", "LCR")

    def send(self, port, data, confirmed=False, link_check=False, timeout_ms=30000):
        if link_check:
            self.link_check()
        if port != self.port:
            self._cmd("PORT", str(port))
            self.port = port
        name = "CMSGHEX" if confirmed else "MSGHEX"
        self.drain()
        self.write_line('AT+%s="%s"' % (name, _hex(data)))
        prefix = "+" + name + ":"
        result = Uplink()
        if confirmed:
            result.acked = False
        start = self.clock.ticks_ms()
        while True:
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            line = self.read_line(max(left, 0))
            if line is None:
                raise ModemTimeout("uplink did not finish")
            if not line.startswith(prefix):
                continue
            body = line[len(prefix) :].strip()
            if body.startswith("Done"):
                return result
            if "busy" in body:
                raise ModemBusy(line)
            if body.startswith("Please join"):
                raise NotJoined(line)
            if body.startswith("No band"):
                nums = _ints(body)
                raise DutyCycleLimited(line, nums[0] if nums else None)
            if body.startswith("Length error") or body.startswith("ERROR"):
                raise ModemError(line)
            if body.startswith("ACK Received"):
                result.acked = True
            elif body.startswith("PORT:"):
                self._downlink(body, result)
            elif body.startswith("RXWIN"):
                nums = _ints(body.split(",", 1)[1] if "," in body else "")
                if len(nums) >= 2:
                    result.rssi, result.snr = nums[0], nums[1]
            elif body.startswith("Link"):
                nums = _ints(body[4:])
                if len(nums) >= 2:
                    result.margin, result.gateways = nums[0], nums[1]

    @staticmethod
    def _downlink(body, result):
        # PORT: 10; RX: "001E"
        try:
            port_part, rx_part = body.split(";", 1)
            result.port = int(port_part.split(":")[1])
            result.data = _unhex(rx_part.split(":", 1)[1].strip().strip('"'))
        except (ValueError, IndexError):
            result.port, result.data = None, None

    def sleep(self):
        self._cmd("LOWPOWER")


RUI3_ERRORS = {
    "AT_ERROR": ModemError,
    "AT_PARAM_ERROR": ModemError,
    "AT_BUSY_ERROR": ModemBusy,
    "AT_TEST_PARAM_OVERFLOW": ModemError,
    "AT_NO_CLASSB_ENABLE": ModemError,
    "AT_NO_NETWORK_JOINED": NotJoined,
    "AT_RX_ERROR": ModemError,
    "AT_DUTYCYCLE_RESTRICTED": DutyCycleLimited,
    "AT_DUTYCYLE_RESTRICTED": DutyCycleLimited,  # spelling used by some RUI3 builds
}

RUI3_BAND = {"CN470": 1, "EU868": 4}


class RAK3172(_ATPort):
    """RAKwireless RAK3172 with RUI3 firmware, 115200 8N1."""

    name = "rak3172"

    def __init__(self, uart, clock):
        _ATPort.__init__(self, uart, clock)
        self.cfm = None

    def _status(self, timeout_ms):
        start = self.clock.ticks_ms()
        while True:
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            line = self.read_line(max(left, 0))
            if line is None:
                raise ModemTimeout("no status line")
            if line == "OK":
                return
            err = RUI3_ERRORS.get(line)
            if err is not None:
                raise err(line)

    def _cmd(self, cmd, timeout_ms=1000):
        self.drain()
        self.write_line("AT" + cmd)
        self._status(timeout_ms)

    def configure(self, cfg):
        plan = cfg["band"]
        self._cmd("")
        self._cmd("+NJM=1")
        self._cmd("+BAND=%d" % RUI3_BAND[plan["name"]])
        self._cmd("+DEVEUI=" + cfg["dev_eui"])
        self._cmd("+APPEUI=" + cfg["join_eui"])
        self._cmd("+APPKEY=" + cfg["app_key"])
        self._cmd("+CLASS=A")
        self._cmd("+ADR=%d" % (1 if cfg.get("adr", True) else 0))
        self._cmd("+DR=%d" % cfg.get("dr", plan["min_dr"]))
        self._cmd("+RX2DR=%d" % cfg.get("rx2_dr", plan["rx2_dr"]))
        self._cmd("+LPM=1")  # the module sleeps by itself between commands

    def _event(self, timeout_ms, wanted):
        start = self.clock.ticks_ms()
        while True:
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            line = self.read_line(max(left, 0))
            if line is None:
                return None
            if line.startswith("+EVT:"):
                for w in wanted:
                    if line.startswith(w):
                        return line
                self._other_event(line)

    def _other_event(self, line):
        pass

    def join(self, timeout_ms=30000):
        """One OTAA attempt (AT+JOIN=1:0:8:1: join now, no auto-join, one try)."""
        self._cmd("+JOIN=1:0:8:1")
        line = self._event(timeout_ms, ("+EVT:JOINED", "+EVT:JOIN_FAILED", "+EVT:JOIN FAILED"))
        if line is None:
            raise ModemTimeout("join did not finish")
        return line.startswith("+EVT:JOINED")

    def send(self, port, data, confirmed=False, link_check=False, timeout_ms=30000):
        if confirmed != self.cfm:
            self._cmd("+CFM=%d" % (1 if confirmed else 0))
            self.cfm = confirmed
        if link_check:
            self._cmd("+LINKCHECK=1")
        self._cmd("+SEND=%d:%s" % (port, _hex(data)), timeout_ms=5000)
        result = Uplink()
        done = ("+EVT:SEND_CONFIRMED", "+EVT:SEND CONFIRMED") if confirmed else ("+EVT:TX_DONE",)
        start = self.clock.ticks_ms()
        finished = False
        while True:
            left = timeout_ms - self.clock.ticks_diff(self.clock.ticks_ms(), start)
            if finished:
                left = min(left, 300)  # a downlink or link-check event may trail the result
            line = self.read_line(max(left, 0))
            if line is None:
                if finished:
                    return result
                raise ModemTimeout("uplink did not finish")
            if not line.startswith("+EVT:"):
                continue
            for d in done:
                if line.startswith(d):
                    finished = True
                    if confirmed:
                        result.acked = "OK" in line[len(d) :]
            if line.startswith("+EVT:RX_"):
                self._rx(line, result)
            elif line.startswith("+EVT:LINKCHECK:"):
                nums = _ints(line[15:].replace(":", " "))
                if len(nums) >= 3 and nums[0] == 0:
                    result.margin, result.gateways = nums[1], nums[2]

    @staticmethod
    def _rx(line, result):
        # +EVT:RX_1:-70:8:UNICAST:10:001E
        parts = line.split(":")
        try:
            result.rssi = int(parts[2])
            result.snr = int(parts[3])
            if len(parts) >= 7:
                result.port = int(parts[5])
                result.data = _unhex(parts[6])
        except (ValueError, IndexError):
            result.port, result.data = None, None

    def wake(self):
        self._cmd("")

    def sleep(self):
        pass  # AT+LPM=1 set in configure: RUI3 sleeps on its own
