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
agree: one Lua script per batch (one round trip; Redis reads and writes the whole
batch with a few HMGET/HSET calls), entries expiring after the window. When
Redis cannot be reached it falls back to ``Dedup``, the same rules in process
memory, logs once, and tries Redis again every ``retry_s``. The script touches keys
it does not declare, so it needs one Redis (with replicas if wanted), not a Cluster.
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
        if last is None or t >= last[1]:
            self.last[eui] = (up.f_cnt, t)
        before = history.get(up.f_cnt)
        if before is not None and abs(t - before) < self.window_ns:
            return True
        history[up.f_cnt] = t
        if len(history) > self.MAX_PER_DEVICE:
            del history[next(iter(history))]
        return False

    def check(self, ups: Sequence[Uplink]) -> list[bool]:
        """Repeat flags for a batch, in order (joins are never repeats)."""
        is_repeat = self.is_repeat
        return [is_repeat(up) for up in ups]


# One call per batch. ARGV: window (ms), key prefix, records
# "kind\tdevEUI\tsession\tfCnt\ttime_ms\n". State lives in hashes per window-long slice
# of Redis's own clock (one clock for every bridge): <prefix>d:<slice> maps a DevEUI to
# "session\trun\tlast fCnt\tits time", <prefix>u:<slice> maps "devEUI:run:fCnt" to the
# time the uplink was first seen. Reads look in this slice and the one before, writes
# go to this slice, and a slice expires two windows after its last write: every entry
# lives at least one window. Whole batches are read and written with a few HMGET/HSET
# calls, not a command per uplink. Returns the repeat flags ("0"/"1") and the resets.
_SCRIPT = """
local window, prefix = tonumber(ARGV[1]), ARGV[2]
local clock = redis.call("TIME")
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local slice = math.floor(now_ms / window)
local ttl = 2 * window

local function hmget(key, fields)
  local out = {}
  for i = 1, #fields, 1000 do
    local part = {}
    for j = i, math.min(i + 999, #fields) do part[#part + 1] = fields[j] end
    local values = redis.call("HMGET", key, unpack(part))
    for j = 1, #part do out[i + j - 1] = values[j] end
  end
  return out
end

local function hset(key, pairs_)
  if #pairs_ == 0 then return end
  for i = 1, #pairs_, 1000 do
    local part = {}
    for j = i, math.min(i + 999, #pairs_) do part[#part + 1] = pairs_[j] end
    redis.call("HSET", key, unpack(part))
  end
  redis.call("PEXPIRE", key, ttl)
end

local function recent(kind, fields)
  local now = hmget(prefix .. kind .. ":" .. slice, fields)
  local before = hmget(prefix .. kind .. ":" .. (slice - 1), fields)
  for i = 1, #fields do
    if not now[i] then now[i] = before[i] end
  end
  return now
end

-- the records, and every device's state
local records, euis, devices = {}, {}, {}
local pattern = "(%a)\\t(%x+)\\t([^\\t]*)\\t(%d+)\\t(%-?%d+)\\n"
for kind, eui, session, fcnt, t in string.gmatch(ARGV[3], pattern) do
  records[#records + 1] = {kind, eui, session, tonumber(fcnt), tonumber(t)}
  if devices[eui] == nil then
    devices[eui] = false
    euis[#euis + 1] = eui
  end
end
local stored = recent("d", euis)
for i, eui in ipairs(euis) do
  local d = {s = "", r = 0}
  local v = stored[i]
  if v then
    local s, r, l, lt = string.match(v, "^([^\\t]*)\\t(%d+)\\t(%-?%d*)\\t(%-?%d*)$")
    if s then d = {s = s, r = tonumber(r), l = tonumber(l), t = tonumber(lt)} end
  end
  devices[eui] = d
end

-- new counter runs first (joins, sessions, reboots), then the key of each uplink
local resets, keys = 0, {}
for i, rec in ipairs(records) do
  local kind, eui, session, fcnt, t = rec[1], rec[2], rec[3], rec[4], rec[5]
  local d = devices[eui]
  if kind == "J" then
    d.r, d.l, d.t = d.r + 1, nil, nil
  else
    if session ~= "" and session ~= d.s then
      d.s, d.r, d.l, d.t = session, d.r + 1, nil, nil
    end
    if d.l ~= nil and fcnt < 16 and d.l - fcnt > 1 and t > d.t then
      d.r, d.l, d.t = d.r + 1, nil, nil
      resets = resets + 1
    end
    if d.t == nil or t >= d.t then d.l, d.t = fcnt, t end
    keys[i] = eui .. ":" .. d.r .. ":" .. fcnt
  end
end

-- repeats: a key first seen within the window of this uplink's time
local wanted, index = {}, {}
for i = 1, #records do
  local key = keys[i]
  if key and index[key] == nil then
    wanted[#wanted + 1] = key
    index[key] = #wanted
  end
end
local firsts = recent("u", wanted)
local flags, writes, pending = {}, {}, {}
for i, rec in ipairs(records) do
  local key, t = keys[i], rec[5]
  local first = nil
  if key then first = pending[key] or tonumber(firsts[index[key]]) end
  if key and first and math.abs(t - first) < window then
    flags[i] = "1"
  else
    flags[i] = "0"
    if key then
      pending[key] = t
      writes[#writes + 1] = key
      writes[#writes + 1] = string.format("%d", t)
    end
  end
end
hset(prefix .. "u:" .. slice, writes)

local states = {}
for _, eui in ipairs(euis) do
  local d = devices[eui]
  local last = "\\t"
  if d.l ~= nil then last = string.format("%d\\t%d", d.l, d.t) end
  states[#states + 1] = eui
  states[#states + 1] = d.s .. "\\t" .. d.r .. "\\t" .. last
end
hset(prefix .. "d:" .. slice, states)
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
            flags, resets = self.script(args=[self.window_ms, self.prefix, records])
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
