"""The node's clock on real hardware; the host HAL provides a virtual one with the same API.

``ticks_ms`` is for short timeouts (it restarts at every boot, deep sleep included);
``now_ms`` follows the RTC, which keeps running through deep sleep, so the airtime budget
and the backlog ages survive a sleep.
"""

import time


class SystemClock:
    def ticks_ms(self):
        return time.ticks_ms()

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)

    def sleep_ms(self, ms):
        time.sleep_ms(ms)

    def now_ms(self):
        return time.time_ns() // 1000000
