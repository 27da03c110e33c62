"""Virtual clock for the host: sleeping advances time instantly, so tests never wait."""


class VirtualClock:
    def __init__(self, start_ms=1000000):
        self.t = start_ms

    def ticks_ms(self):
        return self.t

    def ticks_diff(self, a, b):
        return a - b

    def sleep_ms(self, ms):
        if ms > 0:
            self.t += int(ms)

    def now_ms(self):
        return self.t

    def advance(self, ms):
        self.t += int(ms)
