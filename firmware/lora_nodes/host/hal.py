"""Host stand-ins for machine.UART, ADC, Pin and deep sleep (CPython and MicroPython unix).

A HostUART is wired to a simulated peer (modem or RS485 probe) that answers on the virtual
clock; reads return only the bytes whose time has come.
"""


class Pin:
    OUT = 1
    IN = 0

    def __init__(self, pin_id, mode=None, value=0):
        self.id = pin_id
        self.mode = mode
        self._value = value
        self.history = [value]

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = v
        self.history.append(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class ADC:
    """Returns scripted 16-bit readings; the last one repeats."""

    def __init__(self, pin=None, values=(32768,)):
        self.pin = pin
        self.values = list(values)

    def set(self, *values):
        self.values = list(values)

    def read_u16(self):
        if len(self.values) > 1:
            return self.values.pop(0)
        return self.values[0]


class HostUART:
    def __init__(self, peer, clock, baudrate=9600):
        self.peer = peer
        self.clock = clock
        self.baudrate = baudrate
        self.peer.attach(clock)

    def write(self, data):
        self.peer.receive(bytes(data))
        return len(data)

    def any(self):
        return self.peer.ready_count(self.clock.ticks_ms())

    def read(self, n=None):
        data = self.peer.take(self.clock.ticks_ms(), n)
        return data if data else None

    def flush(self):
        pass


class Peer:
    """Base of the simulated devices: a queue of (time, bytes) replies."""

    def __init__(self):
        self.clock = None
        self.out = []

    def attach(self, clock):
        self.clock = clock

    def now(self):
        return self.clock.ticks_ms()

    def emit(self, data, delay_ms=0):
        self.out.append((self.now() + delay_ms, data))
        self.out.sort(key=lambda item: item[0])

    def ready_count(self, now):
        n = 0
        for at, data in self.out:
            if at <= now:
                n += len(data)
        return n

    def take(self, now, n=None):
        got = b""
        keep = []
        for at, data in self.out:
            if at <= now and (n is None or len(got) < n):
                got += data
            else:
                keep.append((at, data))
        self.out = keep
        if n is not None and len(got) > n:
            self.out.insert(0, (now, got[n:]))
            got = got[:n]
        return got

    def receive(self, data):
        raise NotImplementedError


class DeepSleep:
    """Records requested deep sleeps and advances the virtual clock by them."""

    def __init__(self, clock):
        self.clock = clock
        self.calls = []

    def __call__(self, ms):
        self.calls.append(ms)
        self.clock.advance(ms)
