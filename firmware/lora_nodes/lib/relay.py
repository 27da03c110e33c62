"""Relay controller role: report the relays and the motor currents, obey relay commands.

Frames (RELAY.md): uplink on FPort 3, six bytes — header 0x12, a status byte (bit 0 relay 1,
bit 1 relay 2, bit 4 "this uplink answers a command"), then per channel the current in
0.01 A as u16 big-endian (0xFFFF: not measured). Command downlink on FPort 20, two bytes —
a channel mask, then the wanted state of the masked channels. A malformed command is
ignored, never guessed at.

LoRaWAN class A: a command arrives in the receive window after an uplink. The node
applies it at once and sends a reply uplink with the new state, which is what confirms
the command on the server; the reply can carry the next command (at most
``MAX_REPLIES`` in a row, so a server that keeps queueing cannot keep the radio on).
"""

import downlink

UPLINK_PORT = 3
COMMAND_PORT = 20
HEADER = 0x12
REPLY = 0x10
NOT_MEASURED = 0xFFFF
MAX_REPLIES = 3
MINUTE_MS = 60000


def encode_status(states, currents, reply=False):
    """The six-byte uplink for two relay states (truthy = closed) and two currents in A."""
    status = (1 if states[0] else 0) | (2 if states[1] else 0) | (REPLY if reply else 0)
    out = bytearray(6)
    out[0] = HEADER
    out[1] = status
    for i in range(2):
        amps = currents[i]
        if amps is None or amps != amps:  # not measured, or NaN from a failed read
            word = NOT_MEASURED
        else:
            word = int(amps * 100 + 0.5) if amps > 0 else 0
            if word >= NOT_MEASURED:
                word = NOT_MEASURED - 1  # saturate: 655.34 A means "at least"
        out[2 + 2 * i] = word >> 8
        out[3 + 2 * i] = word & 0xFF
    return bytes(out)


def parse_command(port, data):
    """(mask, states) for a valid relay command, else None."""
    if port != COMMAND_PORT or data is None or len(data) != 2:
        return None
    mask, states = data[0], data[1]
    if mask == 0 or mask & 0xFC or states & ~mask & 0xFF:
        return None
    return mask, states


class CurrentSensor:
    """A current transducer on an ADC: amps = (counts - zero) x full scale / span, never < 0."""

    def __init__(self, adc, full_scale_a, zero_counts=0, full_counts=65535):
        self.adc = adc
        self.full_scale_a = full_scale_a
        self.zero = zero_counts
        self.span = full_counts - zero_counts

    def read(self):
        raw = self.adc.read_u16()
        amps = (raw - self.zero) * self.full_scale_a / self.span
        return amps if amps > 0 else 0.0


class RelayNode:
    """Two relay outputs (Pin-like, ``value(1)`` closes), optional current sensors per channel.

    ``state["relays"]`` keeps the outputs across deep sleep and power cuts; at first boot
    they follow ``config["power_on"]`` ("off" unless set: a pond's aerator is switched on
    by the server's automation or a person, not by a controller that just booted).
    """

    def __init__(self, link, clock, relays, currents, state, config=None):
        self.link = link
        self.clock = clock
        self.relays = relays
        self.currents = currents
        self.state = state
        self.config = config or {}
        if "interval_min" not in state:
            state["interval_min"] = self.config.get("interval_min", 2)
        if "relays" not in state:
            on = 1 if self.config.get("power_on") == "on" else 0
            state["relays"] = [on, on]
        for i in range(2):
            self.relays[i].value(state["relays"][i])

    def apply(self, mask, states):
        for i in range(2):
            if mask & (1 << i):
                v = 1 if states & (1 << i) else 0
                self.relays[i].value(v)
                self.state["relays"][i] = v

    def read_currents(self):
        out = [None, None]
        for i in range(2):
            sensor = self.currents[i] if i < len(self.currents) else None
            if sensor is not None:
                try:
                    out[i] = sensor.read()
                except OSError:
                    out[i] = None  # a failed read is "not measured", not a number
        return out

    def report(self, reply=False):
        """Send the state; return the relay command that came back, if any."""
        frame = encode_status(self.state["relays"], self.read_currents(), reply)
        result = self.link.send(frame, UPLINK_PORT)
        if result is None:
            return None
        cmd = parse_command(result.port, result.data)
        if cmd is None:
            other = downlink.parse(result.port, result.data)
            if other is not None and other[0] == "interval":
                self.state["interval_min"] = other[1]
        return cmd

    def wake(self):
        """Report; obey commands, each answered by a reply uplink; return ms to sleep."""
        cmd = self.report()
        replies = 0
        while cmd is not None and replies < MAX_REPLIES:
            self.apply(cmd[0], cmd[1])
            replies += 1
            cmd = self.report(reply=True)
        return self.state["interval_min"] * MINUTE_MS
