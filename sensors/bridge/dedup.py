"""De-duplication of uplinks by (DevEUI, session, counter run, fCnt), shared across bridges.

What repeats: a broker redelivery (same message), gateway copies of one uplink
(same fCnt, milliseconds apart) and device retransmissions (same fCnt, seconds
apart). What does not: the same fCnt after a node reboots or re-joins. So the
counter *run* is part of the key, and the check for a new run comes first:

1. a join (ChirpStack ``join``, a new TTS ``session_key_id``) starts a new run;
2. a frame counter that falls back to a small value (< 16) from more than one
   above it, on an uplink newer than the last one, is a reboot: a new run;
3. only then, a (run, fCnt) seen within ``window`` of the uplink's own time is a
   repeat.

``SharedDedup`` keeps that state in Redis so that the bridges of a share group
agree: one Lua script per batch (one round trip, the hot path stays in Python
and Redis does ~2 commands per uplink), keys expiring after the window. When
Redis cannot be reached it falls back to ``Dedup``, the same rules in process
memory, logs once, and tries Redis again every ``retry_s``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from sensors.bridge.events import JOIN, Uplink

log = logging.getLogger(__name__)

SMALL_COUNTER = 16  # a counter at or below this after a larger one: the node restarted


class Dedup:
    """The rules above in process memory (one bridge, or the fallback)."""

    MAX_PER_DEVICE = 64

    def __init__(self, window_s: float = 600.0) -> None:
        self.window_ns = int(window_s * 1e9)
        self.seen: dict[str, dict[int, int]] = {}
        self.last: dict[str, tuple[int, int]] = {}  # DevEUI -> (fCnt, time) of the newest
        self.session: dict[str, str] = {}
        self.resets = 0

    def reset(self, dev_eui: str) -> None:
        self.seen.pop(dev_eui, None)
        self.last.pop(dev_eui, None)

    def is_repeat(self, up: Uplink) -> bool:
        eui = up.dev_eui
        if up.kind == JOIN:
            self.reset(eui)
            return False
        if up.session and self.session.get(eui) != up.session:
            self.session[eui] = up.session
            self.reset(eui)
        history = self.seen.get(eui)
        if history is None:
            history = self.seen[eui] = {}
        t = up.time_ns
        last = self.last.get(eui)
        if last is not None and up.f_cnt < SMALL_COUNTER and last[0] - up.f_cnt > 1 and t > last[1]:
            self.resets += 1
            history.clear()
            last = None
        before = history.get(up.f_cnt)
        if before is not None and abs(t - before) < self.window_ns:
            return True
        history[up.f_cnt] = t
        if len(history) > self.MAX_PER_DEVICE:
            del history[next(iter(history))]
        if last is None or t >= last[1]:
            self.last[eui] = (up.f_cnt, t)
        return False

    def check(self, ups: Sequence[Uplink]) -> list[bool]:
        """Repeat flags for a batch, in order (joins are never repeats)."""
        is_repeat = self.is_repeat
        return [is_repeat(up) for up in ups]


# ARGV: window (ms), key TTL (ms), key prefix, records "kind\teui\tsession\tfcnt\ttime_ms\n".
# Per device a hash {s: session, r: run, l: last fCnt, t: its time}; per uplink a key
# <prefix>u:<eui>:<run>:<fcnt> holding the time it was first seen. Returns the repeat
# flags as a string of "0"/"1" and the number of counter resets found.
_SCRIPT = """
local window, ttl, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local devices, flags, resets = {}, {}, 0
local record = "(%a)\\t(%x+)\\t([^\\t]*)\\t(%d+)\\t(%-?%d+)\\n"
for kind, eui, session, fcnt, t in string.gmatch(ARGV[4], record) do
  fcnt, t = tonumber(fcnt), tonumber(t)
  local d = devices[eui]
  if d == nil then
    local v = redis.call("HMGET", prefix .. "d:" .. eui, "s", "r", "l", "t")
    d = {s = v[1] or "", r = tonumber(v[2]) or 0, l = tonumber(v[3]), t = tonumber(v[4])}
    devices[eui] = d
  end
  if kind == "J" then
    d.r, d.l, d.t = d.r + 1, nil, nil
    flags[#flags + 1] = "0"
  else
    if session ~= "" and session ~= d.s then
      d.s, d.r, d.l, d.t = session, d.r + 1, nil, nil
    end
    if d.l ~= nil and fcnt < 16 and d.l - fcnt > 1 and t > d.t then
      d.r, d.l, d.t = d.r + 1, nil, nil
      resets = resets + 1
    end
    local key = prefix .. "u:" .. eui .. ":" .. d.r .. ":" .. fcnt
    local repeated = false
    if not redis.call("SET", key, t, "NX", "PX", ttl) then
      local before = tonumber(redis.call("GET", key))
      if before ~= nil and math.abs(t - before) < window then
        repeated = true
      else
        redis.call("SET", key, t, "PX", ttl)
      end
    end
    if repeated then
      flags[#flags + 1] = "1"
    else
      flags[#flags + 1] = "0"
      if d.t == nil or t >= d.t then d.l, d.t = fcnt, t end
    end
  end
end
for eui, d in pairs(devices) do
  local key = prefix .. "d:" .. eui
  if d.l ~= nil then
    redis.call("HSET", key, "s", d.s, "r", d.r, "l", d.l, "t", d.t)
  else
    redis.call("HSET", key, "s", d.s, "r", d.r)
    redis.call("HDEL", key, "l", "t")
  end
  redis.call("PEXPIRE", key, ttl)
end
return {table.concat(flags), resets}
"""


class SharedDedup:
    """The same rules with the state in Redis, shared by every bridge writing one database."""

    def __init__(
        self,
        url: str,
        prefix: str,
        window_s: float = 600.0,
        *,
        retry_s: float = 10.0,
        timeout_s: float = 2.0,
    ) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=min(timeout_s, 0.5), socket_timeout=timeout_s
        )
        self.script = self.client.register_script(_SCRIPT)
        self.prefix = prefix
        self.window_ms = int(window_s * 1000)
        self.fallback = Dedup(window_s)
        self.retry_s = retry_s
        self.retry_at = 0.0
        self.shared = True
        self.fallbacks = 0  # batches checked in process memory because Redis was away
        self._resets = 0

    @property
    def resets(self) -> int:
        return self._resets + self.fallback.resets

    def reset(self, dev_eui: str) -> None:
        self.fallback.reset(dev_eui)

    def check(self, ups: Sequence[Uplink]) -> list[bool]:
        if not ups:
            return []
        if not self.shared and time.monotonic() < self.retry_at:
            self.fallbacks += 1
            return self.fallback.check(ups)
        records = "".join(
            f"{'J' if up.kind == JOIN else 'U'}\t{up.dev_eui}\t{up.session}\t{up.f_cnt}\t"
            f"{up.time_ns // 1_000_000}\n"
            for up in ups
        )
        try:
            flags, resets = self.script(args=[self.window_ms, self.window_ms, self.prefix, records])
        except self._errors as exc:
            if self.shared:
                log.warning(
                    "dedup: Redis unreachable (%s); de-duplicating in this process only, "
                    "retrying every %.0f s",
                    exc.__class__.__name__,
                    self.retry_s,
                )
            self.shared = False
            self.retry_at = time.monotonic() + self.retry_s
            self.fallbacks += 1
            return self.fallback.check(ups)
        if not self.shared:
            log.info("dedup: Redis is back; de-duplication is shared again")
            self.shared = True
        self._resets += int(resets)
        return [c == 49 for c in flags]  # b"1"

    def close(self) -> None:
        self.client.close()
