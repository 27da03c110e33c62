"""Simulated LoRaWAN modems answering per their AT manuals, with scripted failures.

Knobs: ``join_results`` (one bool per join attempt, then True), ``busy`` (the next N joins or
uplinks answer busy), ``ack`` (confirmed uplinks get an ACK), ``downlinks`` (port, bytes)
delivered with the next uplink, ``garbage`` (noise bytes and lines before each reply),
``duty_limited`` (the next N uplinks are refused for duty cycle), ``silent`` (no reply).
"""

from hal import Peer

JOIN_MS = 6000  # JoinRequest + JoinAccept delay 5 s
UPLINK_MS = 3000  # airtime + RX1/RX2 windows

GARBAGE = b"\x00\xff\xfe@#\xa5garbage 7f:3a\r\n\r\n+LOG: noise\r\n"


def _hex(data):
    out = ""
    for b in data:
        out += "%02X" % b
    return out


def _unhex(text):
    return bytes(int(text[i : i + 2], 16) for i in range(0, len(text), 2))


class _SimModem(Peer):
    def __init__(self):
        Peer.__init__(self)
        self.inbuf = b""
        self.commands = []
        self.uplinks = []  # (port, payload, confirmed)
        self.join_results = []
        self.joins = 0
        self.joined = False
        self.busy = 0
        self.ack = True
        self.downlinks = []
        self.garbage = False
        self.duty_limited = 0
        self.silent = False
        self.link_check_pending = False

    def say(self, lines, delay_ms=0):
        data = b""
        if self.garbage:
            data += GARBAGE
        for line in lines:
            data += line.encode() + b"\r\n"
        self.emit(data, delay_ms)

    def receive(self, data):
        self.inbuf += data
        while b"\n" in self.inbuf:
            line, self.inbuf = self.inbuf.split(b"\n", 1)
            line = line.strip().decode()
            if not line:
                continue
            self.commands.append(line)
            if not self.silent:
                self.handle(line)

    def next_join_ok(self):
        self.joins += 1
        if self.join_results:
            return self.join_results.pop(0)
        return True

    def take_downlink(self):
        return self.downlinks.pop(0) if self.downlinks else None


class SimWioE5(_SimModem):
    """Replies as the LoRa-E5 AT firmware does: "+CMD: ..." lines, "+CMD: ERROR(n)"."""

    def __init__(self):
        _SimModem.__init__(self)
        self.port = 8

    def handle(self, line):
        if line == "AT":
            self.say(["+AT: OK"])
            return
        if not line.startswith("AT+"):
            self.say(["+AT: ERROR(-10)"])
            return
        cmd = line[3:]
        name, _, arg = cmd.partition("=")
        if name == "JOIN":
            self.join()
        elif name in ("MSGHEX", "CMSGHEX"):
            self.uplink(name, arg.strip('"'))
        elif name == "MODE":
            self.say(["+MODE: " + arg])
        elif name == "ID":
            kind, _, value = arg.partition(",")
            self.say(["+ID: %s, %s" % (kind, value.strip('"'))])
        elif name == "KEY":
            kind, _, value = arg.partition(",")
            value = value.strip('"')
            if len(value) != 32:
                self.say(["+KEY: ERROR(-1)"])
            else:
                self.say(["+KEY: %s %s" % (kind, value)])
        elif name == "DR":
            self.say(["+DR: " + arg])
        elif name in ("CLASS", "ADR", "RXWIN2", "LW"):
            self.say(["+%s: %s" % (name, arg)])
            if name == "LW" and arg == "LCR":
                self.link_check_pending = True
        elif name == "PORT":
            self.port = int(arg)
            self.say(["+PORT: " + arg])
        elif name == "LOWPOWER":
            self.say(["+LOWPOWER: SLEEP"])
        else:
            self.say(["+%s: ERROR(-10)" % name])

    def join(self):
        if self.busy:
            self.busy -= 1
            self.say(["+JOIN: LoRaWAN modem is busy"])
            return
        if self.joined:
            self.say(["+JOIN: Joined already"])
            return
        self.say(["+JOIN: Start", "+JOIN: NORMAL"])
        if self.next_join_ok():
            self.joined = True
            self.say(
                ["+JOIN: Network joined", "+JOIN: NetID 000024 DevAddr 26:01:5F:66", "+JOIN: Done"],
                JOIN_MS,
            )
        else:
            self.say(["+JOIN: Join failed", "+JOIN: Done"], JOIN_MS)

    def uplink(self, name, hexdata):
        p = "+" + name + ": "
        if self.busy:
            self.busy -= 1
            self.say([p + "LoRaWAN modem is busy"])
            return
        if not self.joined:
            self.say([p + "Please join network first"])
            return
        if self.duty_limited:
            self.duty_limited -= 1
            self.say([p + "No band in 13469ms"])
            return
        confirmed = name == "CMSGHEX"
        self.uplinks.append((self.port, _unhex(hexdata), confirmed))
        self.say([p + "Start"] + ([p + "Wait ACK"] if confirmed else []))
        lines = []
        if confirmed and self.ack:
            lines.append(p + "ACK Received")
        if self.link_check_pending and (not confirmed or self.ack):
            lines.append(p + "Link 20, 1")
        self.link_check_pending = False
        dl = self.take_downlink() if (not confirmed or self.ack) else None
        if dl is not None:
            lines.append(p + 'PORT: %d; RX: "%s"' % (dl[0], _hex(dl[1])))
        if lines:
            lines.append(p + "RXWIN1, RSSI -92, SNR 7.5")
        lines.append(p + "Done")
        self.say(lines, UPLINK_MS)


class SimRAK3172(_SimModem):
    """Replies as RUI3 does: status lines OK / AT_*_ERROR and asynchronous +EVT: events."""

    def __init__(self):
        _SimModem.__init__(self)
        self.cfm = 0

    def handle(self, line):
        if line == "AT":
            self.say(["OK"])
            return
        if not line.startswith("AT+"):
            self.say(["AT_ERROR"])
            return
        name, _, arg = line[3:].partition("=")
        if name == "JOIN":
            self.join(arg)
        elif name == "SEND":
            self.send(arg)
        elif name == "CFM":
            self.cfm = int(arg)
            self.say(["OK"])
        elif name in ("DEVEUI", "APPEUI"):
            self.say(["OK" if len(arg) == 16 else "AT_PARAM_ERROR"])
        elif name == "APPKEY":
            self.say(["OK" if len(arg) == 32 else "AT_PARAM_ERROR"])
        elif name == "LINKCHECK":
            self.link_check_pending = arg == "1"
            self.say(["OK"])
        elif name in ("NJM", "BAND", "CLASS", "ADR", "DR", "RX2DR", "LPM"):
            self.say(["OK"])
        else:
            self.say(["AT_ERROR"])

    def join(self, arg):
        if self.busy:
            self.busy -= 1
            self.say(["AT_BUSY_ERROR"])
            return
        self.say(["OK"])
        if self.next_join_ok():
            self.joined = True
            self.say(["+EVT:JOINED"], JOIN_MS)
        else:
            self.say(["+EVT:JOIN_FAILED_RX_TIMEOUT"], JOIN_MS)

    def send(self, arg):
        if self.busy:
            self.busy -= 1
            self.say(["AT_BUSY_ERROR"])
            return
        if not self.joined:
            self.say(["AT_NO_NETWORK_JOINED"])
            return
        if self.duty_limited:
            self.duty_limited -= 1
            self.say(["AT_DUTYCYCLE_RESTRICTED"])
            return
        port, _, hexdata = arg.partition(":")
        confirmed = self.cfm == 1
        self.uplinks.append((int(port), _unhex(hexdata), confirmed))
        self.say(["OK"])
        lines = ["+EVT:TX_DONE"]
        heard = not confirmed or self.ack
        if confirmed:
            lines.append("+EVT:SEND_CONFIRMED_OK" if self.ack else "+EVT:SEND_CONFIRMED_FAILED(4)")
        if self.link_check_pending:
            lines.append("+EVT:LINKCHECK:0:20:1:-92:7" if heard else "+EVT:LINKCHECK:1:0:0:0:0")
        self.link_check_pending = False
        dl = self.take_downlink() if heard else None
        if dl is not None:
            lines.append("+EVT:RX_1:-92:7:UNICAST:%d:%s" % (dl[0], _hex(dl[1])))
        self.say(lines, UPLINK_MS)
