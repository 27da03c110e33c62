"""Faults while uplinks flow: two bridges in a share group on private servers.

    python -m bench.faults [--rate 500] [--influx-down 180] [--hostile 50000] [--valid 15000]

Starts its own Mosquitto (``deploy/mosquitto.conf``) and influxd (``deploy/influxdb.conf.in``)
on free ports in a temporary directory, a throw-away PostgreSQL database, and two bridges
(``manage.py run_bridge --share-group``). A steady stream of valid ChirpStack v4 uplinks
flows at ``--rate`` (a tenth of them also arrive a second time, half a second later, as a
copy routed by another gateway) while, in sequence:

1. InfluxDB is SIGKILLed for ``--influx-down`` seconds, then started again;
2. the broker is SIGKILLed and restarted ``--broker-down`` seconds later;
3. one bridge of the two is stopped (SIGTERM; ``--stop-signal KILL`` crashes it instead)
   and started again ``--after-stop`` seconds later;
4. ``--hostile`` hostile messages (cases below) are mixed with ``--valid`` more valid uplinks.

Then it waits for the bridges to settle and counts, per valid uplink, the ``device`` points
in InfluxDB (each written uplink has exactly one): ``lost`` are uplinks with none,
``doubled`` extra points (a copy written as well). ``bridge_restarts`` counts bridge
processes that exited without being told to (the bench starts them again), ``max_rss_mb``
the largest peak resident set of a bridge. It prints what became of each hostile case and
ends with ``published= stored= lost= doubled= bridge_restarts= max_rss_mb=``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from itertools import cycle
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agrimon.settings")

from bench.ingest import status  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from tests.servers import PrivateBroker, PrivateInflux, free_port, wait_for  # noqa: E402

GROUP = "faults"
COPY_GATEWAY = "7276ff002e062a09"  # the gateway the copies of valid uplinks come through
T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


# --- bridges -------------------------------------------------------------------------------


class Bridges:
    """The bridge processes; a watcher restarts (and counts) any that exits unbidden."""

    def __init__(self, n: int, state: Path, mqtt_url: str, influx_url: str, db: str, prefix: str):
        self.state = state
        self.ports = [free_port() for _ in range(n)]
        self.procs: list[subprocess.Popen | None] = [None] * n
        self.down: set[int] = set()  # stopped on purpose
        self.restarts = 0
        self.max_rss_kb = 0
        self.options = {
            "mqtt_url": mqtt_url,
            "influx_url": influx_url,
            "influx_db": db,
            "share_group": GROUP,
            "topic_prefix": prefix,
            "state_dir": str(state),
            "log_interval": "10",
        }
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", INFLUX_RETENTION="30d")
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.watcher = threading.Thread(target=self._watch, daemon=True)

    def start(self, i: int) -> None:
        cmd = [sys.executable, str(REPO / "manage.py"), "run_bridge"]
        options = dict(self.options, client_id=f"faults-{i}", metrics_port=str(self.ports[i]))
        for key, value in options.items():
            cmd += ["--" + key.replace("_", "-"), value]
        log = open(self.state / f"bridge-{i}.log", "a")  # noqa: SIM115 - the child keeps it
        self.procs[i] = subprocess.Popen(
            cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
        )
        self.down.discard(i)

    def start_all(self) -> None:
        for i in range(len(self.procs)):
            self.start(i)
        self.watcher.start()
        self.wait_connected()

    def wait_connected(self, timeout: float = 90) -> None:
        for i, port in enumerate(self.ports):
            if i not in self.down:
                wait_for(lambda p=port: status(p).get("connected"), timeout, f"bridge {i}", 0.2)

    def stop(self, i: int, sig: int = signal.SIGTERM) -> None:
        with self.lock:
            self.down.add(i)
            proc = self.procs[i]
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(120)

    def _rss(self, pid: int) -> None:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):  # peak resident set since start
                    self.max_rss_kb = max(self.max_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def _watch(self) -> None:
        while not self.stopped.wait(0.25):
            with self.lock:
                for i, proc in enumerate(self.procs):
                    if proc is None or i in self.down:
                        continue
                    self._rss(proc.pid)
                    if proc.poll() is not None:
                        self.restarts += 1
                        say(f"bridge {i} exited unexpectedly (code {proc.returncode}); restarting")
                        tail = (self.state / f"bridge-{i}.log").read_text()[-2000:]
                        print("  | " + "\n  | ".join(tail.splitlines()[-15:]), flush=True)
                        self.start(i)

    def statuses(self) -> list[dict]:
        return [status(p) for i, p in enumerate(self.ports) if i not in self.down]

    def total(self, key: str) -> int:
        return sum(s.get(key, 0) or 0 for s in self.statuses())

    def close(self) -> None:
        self.stopped.set()
        for i in range(len(self.procs)):
            self.stop(i)


# --- valid traffic -------------------------------------------------------------------------


def gateway_copy(body: bytes) -> bytes:
    """The same uplink as another gateway's route delivers it: later, other gateway, new id."""
    from demo.fleet import rfc3339

    doc = json.loads(body)
    doc["deduplicationId"] = str(uuid.uuid4())
    later = _ns(doc["time"]) + 500_000_000
    doc["time"] = rfc3339(later)
    for rx in doc["rxInfo"]:
        rx["gatewayId"] = COPY_GATEWAY
        rx["nsTime"] = doc["time"]
    return json.dumps(doc, separators=(",", ":")).encode()


def _ns(stamp: str) -> int:
    from datetime import datetime

    head, _, frac = stamp.partition(".")
    seconds = datetime.fromisoformat(head + "+00:00").timestamp()
    return int(seconds) * 10**9 + int((frac[:9] or "0").ljust(9, "0")[:9])


class ValidStream(threading.Thread):
    """Valid uplinks at a steady rate from a publisher of their own, stamped now."""

    def __init__(self, port: int, fleet, rate: float, copies: float) -> None:
        super().__init__(daemon=True)
        from demo.burst_publisher import BurstPublisher

        self.pub = BurstPublisher("127.0.0.1", port, f"faults-stream-{os.getpid()}")
        self.fleet = fleet
        self.rate = rate
        self.copies = copies
        self.sent = Counter()  # DevEUI -> uplinks (frame counters are consecutive)
        self.log: list[tuple[float, str, int]] = []  # (when, DevEUI, fCnt) to place losses
        self.copies_sent = 0
        self.halt = threading.Event()
        self.rng = random.Random(5)

    def run(self) -> None:
        nodes = cycle(self.fleet.nodes)
        started, sent = time.monotonic(), 0
        while not self.halt.is_set():
            due = min(int((time.monotonic() - started) * self.rate) - sent, 2000)
            for _ in range(due):
                up = self.fleet.uplink(next(nodes), time.time_ns(), 60)
                self.pub.publish(up.topic, up.body)
                self.sent[up.dev_eui] += 1
                self.log.append((time.monotonic(), up.dev_eui, up.f_cnt))
                if self.rng.random() < self.copies:
                    self.pub.publish(up.topic, gateway_copy(up.body))
                    self.copies_sent += 1
            sent += max(due, 0)
            self.pub.flush()  # reconnects (and resends) by itself while the broker is away
            self.halt.wait(0.02)

    def stop(self) -> None:
        self.halt.set()
        self.join(60)
        self.pub.wait_acked(120)
        self.pub.close()


# --- hostile messages ----------------------------------------------------------------------


CASES = (
    "nan_strings",
    "huge_values",
    "huge_fcnt",
    "future_time",
    "ancient_time",
    "oversized",
    "not_json",
    "unknown_device",
    "junk_gateway",
    "wrong_types",
)
WEIGHTS = dict.fromkeys(CASES, 10) | {"oversized": 1}  # oversized: 100 KB each


def hostile_cases(prefix: str, fleet) -> dict[str, Callable[[int], tuple[str, bytes]]]:
    """Case name -> message builder (called with the case's message number).

    Each case that needs a registered device has its own node of ``fleet``, in
    ``CASES`` order, so its points can be counted apart.
    """
    from demo.fleet import APPLICATION_ID, chirpstack_up, rfc3339

    node_of = dict(zip(CASES, fleet.nodes, strict=False))
    rng = random.Random(9)

    def topic(case: str, dev_eui: str) -> str:
        return f"{prefix}application/hostile-{case}/device/{dev_eui}/event/up"

    def uplink(case: str, mutate: Callable[[dict], None]) -> tuple[str, bytes]:
        node = node_of[case]
        node.f_cnt += 1
        payload = node.payload(node.measure(time_now(), 60))
        doc = chirpstack_up(node, payload, time.time_ns(), node.hearing_gateways())
        mutate(doc)
        return topic(case, node.dev_eui), json.dumps(doc, separators=(",", ":")).encode()

    def nan_strings(doc: dict) -> None:
        bad = ("NaN", "Infinity", "-Infinity", "nan", float("nan"), float("inf"))
        for rx in doc["rxInfo"]:  # the floats become bare NaN / Infinity tokens
            rx["rssi"], rx["snr"] = rng.choice(bad), rng.choice(bad)

    def huge_values(doc: dict) -> None:
        for rx in doc["rxInfo"]:
            rx["rssi"], rx["snr"] = 1e308, -(10**400)

    def huge_fcnt(doc: dict) -> None:
        doc["fCnt"] = 2**70 + rng.randrange(1000)

    def future_time(doc: dict) -> None:
        doc["time"] = rng.choice(("2100-01-01T00:00:00Z", rfc3339(time.time_ns() + 86400 * 10**9)))

    def ancient_time(doc: dict) -> None:
        doc["time"] = rng.choice(
            ("1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "10000-01-01T00:00:00Z")
        )

    def junk_gateway(doc: dict) -> None:
        junk = (
            "".join(rng.choice("ghijklmnopqrstuvwxyz") for _ in range(16)),
            "7276ff002e06" + "".join(rng.choice("0123456789abcdef") for _ in range(4)),
            "x" * 300,
            "'; DROP TABLE sensors_gateway; --",
        )
        for rx in doc["rxInfo"]:
            rx["gatewayId"] = rng.choice(junk)

    wrong = (
        lambda d: d.update(fCnt="12"),
        lambda d: d.update(rxInfo={"rssi": -80}),
        lambda d: d.update(deviceInfo=["x"]),
        lambda d: d.update(data=123),
        lambda d: d.update(time=17_000),
        lambda d: d["deviceInfo"].update(devEui=5),
        lambda d: d.update(fPort="one"),
        lambda d: d.update(rxInfo=[{"rssi": {"v": 1}, "snr": [1]}]),
    )
    padding = "A" * 100_000
    nested = b"[" * 30_000 + b"]" * 30_000
    not_json = (b"\xff\xfe\x00garbage", b"{", b"null", b"[]", b'"up"', b"1e999", nested)

    def unknown_device(i: int) -> tuple[str, bytes]:
        eui = f"dead{rng.getrandbits(48):012x}"
        doc = {
            "time": rfc3339(time.time_ns()),
            "deviceInfo": {"devEui": eui, "applicationId": APPLICATION_ID},
            "fCnt": i,
            "fPort": 1,
            "data": base64.b64encode(b"\x01\x02\x03").decode(),
            "rxInfo": [],
        }
        return topic("unknown_device", eui), json.dumps(doc).encode()

    eui = {case: node.dev_eui for case, node in node_of.items()}
    return {
        "nan_strings": lambda i: uplink("nan_strings", nan_strings),
        "huge_values": lambda i: uplink("huge_values", huge_values),
        "huge_fcnt": lambda i: uplink("huge_fcnt", huge_fcnt),
        "future_time": lambda i: uplink("future_time", future_time),
        "ancient_time": lambda i: uplink("ancient_time", ancient_time),
        "oversized": lambda i: (
            topic("oversized", eui["oversized"]),
            json.dumps({"devEui": eui["oversized"], "pad": padding}).encode(),
        ),
        "not_json": lambda i: (topic("not_json", eui["not_json"]), not_json[i % len(not_json)]),
        "unknown_device": unknown_device,
        "junk_gateway": lambda i: uplink("junk_gateway", junk_gateway),
        "wrong_types": lambda i: uplink("wrong_types", wrong[i % len(wrong)]),
    }


def time_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def hostile_plan(hostile: int, valid: int, seed: int = 3) -> list[str]:
    """The order of the mixed phase: case names and ``"valid"``, shuffled."""
    total = sum(WEIGHTS.values())
    plan = []
    for case, weight in WEIGHTS.items():
        plan += [case] * (hostile * weight // total)
    plan += [CASES[0]] * (hostile - len(plan))  # the rounding remainder
    plan += ["valid"] * valid
    random.Random(seed).shuffle(plan)
    return plan


def oversized_packets(port: int, count: int, size: int = 5 * 2**20) -> int:
    """Send PUBLISH packets over the broker's max_packet_size; returns how many it refused."""
    from demo.burst_publisher import connect_packet, publish_packet

    packet = publish_packet(b"hostile/huge", 1, b"\0" * size)
    refused = 0
    for i in range(count):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(connect_packet(f"faults-huge-{i}", None, None))
            sock.recv(4)
            try:
                sock.sendall(packet)
                refused += sock.recv(16) == b""  # closed instead of a PUBACK
            except OSError:
                refused += 1
    return refused


def run_hostile(port: int, plan: list[str], cases, mixed, rate: float, log: list) -> Counter:
    from demo.burst_publisher import BurstPublisher

    pub = BurstPublisher("127.0.0.1", port, f"faults-hostile-{os.getpid()}", window=2000)
    sent: Counter = Counter()
    nodes = cycle(mixed.nodes)
    started = time.monotonic()
    for n, case in enumerate(plan, 1):
        if case == "valid":
            up = mixed.uplink(next(nodes), time.time_ns(), 60)
            pub.publish(up.topic, up.body)
            sent["valid:" + up.dev_eui] += 1
            log.append((time.monotonic(), up.dev_eui, up.f_cnt))
        else:
            topic, body = cases[case](sent[case])
            pub.publish(topic, body)
            sent[case] += 1
        if n % 50 == 0:
            pub.flush()
            ahead = n / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    if not pub.wait_acked(120):
        say(f"hostile publisher: {pub.sent - pub.acked} messages not acknowledged")
    pub.close()
    return sent


# --- counting ------------------------------------------------------------------------------


def points_per_device(ts) -> dict[str, tuple[int, int]]:
    """DevEUI -> (device points, distinct frame counters) in InfluxDB."""
    series = ts.query(
        'SELECT count("f_cnt"), count(distinct("f_cnt")) FROM "raw"."device" GROUP BY "device"'
    )
    return {s["tags"]["device"]: (s["values"][0][1], s["values"][0][2]) for s in series}


def tally(expected: Counter, points: dict[str, tuple[int, int]]) -> tuple[int, int, int]:
    """(stored, lost, doubled) over the valid uplinks of ``expected``."""
    stored = lost = doubled = 0
    for eui, n in expected.items():
        count, distinct = points.get(eui, (0, 0))
        stored += count
        lost += max(0, n - distinct)
        doubled += count - distinct
    return stored, lost, doubled


def report_cases(ts, sent: Counter, fleet, huge: int) -> None:
    from django.db.models import Count

    from sensors.models import DeadLetter, Device, Gateway

    points = points_per_device(ts)
    eui = dict(zip(CASES, (node.dev_eui for node in fleet.nodes), strict=False))
    print("hostile cases (sent, uplinks stored, dead letters by reason):")
    for case in CASES:
        letters = (
            DeadLetter.objects.filter(topic__contains=f"/hostile-{case}/")
            .values_list("reason")
            .annotate(n=Count("id"))
        )
        stored = points.get(eui[case], (0, 0))[0]
        reasons = ", ".join(f"{r}={n}" for r, n in sorted(letters)) or "none"
        print(f"  {case:15} sent={sent[case]:6} stored={stored:6} dead_letters: {reasons}")
    print(f"  {'packet_>1MiB':15} sent={huge:6} refused by the broker (disconnected)={huge}")
    future = ts.query('SELECT count("f_cnt") FROM "raw"."device" WHERE time > now() + 10m')
    skewed = ts.query('SELECT count("clock_skew_s") FROM "raw"."device"')
    ahead = Device.objects.filter(last_seen__gt=time_now() + _minutes(10)).count()
    print(
        "future/ancient times: points dated >10 min ahead="
        f"{future[0]['values'][0][1] if future else 0}, points with clock_skew_s="
        f"{skewed[0]['values'][0][1] if skewed else 0}, devices last seen in the future={ahead}"
    )
    from demo.fleet import GATEWAYS

    ids = set(Gateway.objects.values_list("gateway_eui", flat=True)) - {*GATEWAYS, COPY_GATEWAY}
    junk = sum(1 for g in ids if not re.fullmatch(r"[0-9a-f]{16}", g))
    print(
        f"gateway ids: rows created for junk ids={junk}, "
        f"for unknown well-formed EUIs={len(ids) - junk} (the bridge caps these per save)"
    )


def _minutes(n: int):
    from datetime import timedelta

    return timedelta(minutes=n)


# --- the run -------------------------------------------------------------------------------


PHASES: list[tuple[float, str]] = []


def phase(name: str) -> None:
    PHASES.append((time.monotonic(), name))
    say(name)


def by_phase(ts, log: list[tuple[float, str, int]]) -> tuple[str, str]:
    """Where the lost and the doubled uplinks were published, by phase."""
    stored = Counter((s["tags"]["device"], v[1]) for s in _f_cnts(ts) for v in s["values"])
    lost: Counter = Counter()
    doubled: Counter = Counter()
    for when, eui, f_cnt in log:
        name = "before"
        for start, label in PHASES:
            if start <= when:
                name = label
        n = stored[(eui, f_cnt)]
        if n == 0:
            lost[name] += 1
        elif n > 1:
            doubled[name] += n - 1
    return tuple(", ".join(f"{k}: {n}" for k, n in c.items()) for c in (lost, doubled))


def _f_cnts(ts) -> list[dict]:
    return ts.query('SELECT "f_cnt" FROM "raw"."device" GROUP BY "device"')


def progress(bridges: Bridges, stream: ValidStream, phase: str) -> None:
    s = bridges.statuses()
    say(
        f"{phase}: published {sum(stream.sent.values())}; bridges written "
        f"{sum(x.get('uplinks_written', 0) for x in s)}, spool pending "
        f"{sum(x.get('spool_pending', 0) for x in s)}, connected {[x.get('connected') for x in s]}"
    )


def hold(seconds: float, bridges: Bridges, stream: ValidStream, phase: str) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(min(30, max(0.0, end - time.monotonic())))
        progress(bridges, stream, phase)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500, help="valid uplinks/s throughout")
    parser.add_argument("--nodes", type=int, default=200, help="nodes of the valid stream")
    parser.add_argument("--copies", type=float, default=0.1, help="share sent twice")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--influx-down", type=float, default=180, help="seconds")
    parser.add_argument("--broker-down", type=float, default=3, help="seconds")
    parser.add_argument("--stop-signal", choices=("TERM", "KILL"), default="TERM")
    parser.add_argument("--after-stop", type=float, default=20, help="seconds on one bridge")
    parser.add_argument("--hostile", type=int, default=50_000)
    parser.add_argument("--valid", type=int, default=15_000, help="valid uplinks among them")
    parser.add_argument("--hostile-rate", type=float, default=2500, help="messages/s")
    parser.add_argument("--huge-packets", type=int, default=60, help="5 MiB packets")
    parser.add_argument("--settle", type=float, default=180, help="longest wait at the end")
    parser.add_argument("--keep", action="store_true", help="keep the state directory (logs)")
    args = parser.parse_args()
    with scratch_database("agrimon_bench_faults"):
        run(args)


def run(args: argparse.Namespace) -> None:
    from demo.fleet import Fleet, register_fleet
    from sensors.timeseries import TimeSeries

    state = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    broker = PrivateBroker(state / "broker").start()
    influx = PrivateInflux(state / "influx").start()
    db = f"faults_{uuid.uuid4().hex[:8]}"  # also keys the shared dedup state in Redis
    ts = TimeSeries(influx.url, db, timeout=60)
    ts.ensure_database("30d")
    prefix = f"faults{uuid.uuid4().hex[:6]}/"
    stream_fleet = Fleet(args.nodes, seed=21, lost=0.0, corrupt=0.0, prefix=prefix)
    mixed = Fleet(args.nodes, seed=22, lost=0.0, corrupt=0.0, prefix=prefix, first=args.nodes)
    hostile_fleet = Fleet(
        len(CASES), seed=23, lost=0.0, corrupt=0.0, prefix=prefix, first=2 * args.nodes
    )
    for fleet in (stream_fleet, mixed, hostile_fleet):
        register_fleet(fleet)
    say(f"broker {broker.url}, InfluxDB {influx.url} database {db}; state in {state}")
    bridges = Bridges(2, state, broker.url, influx.url, db, prefix)
    stream = None
    try:
        bridges.start_all()
        stream = ValidStream(broker.port, stream_fleet, args.rate, args.copies)
        stream.start()
        phase("warm-up")
        hold(args.warmup, bridges, stream, "warm-up")

        phase(f"InfluxDB down for {args.influx_down:.0f} s")
        influx.stop()
        hold(args.influx_down, bridges, stream, "InfluxDB down")
        influx.start()
        phase("InfluxDB back")
        wait_for(lambda: bridges.total("spool_pending") == 0, 600, "the spools to drain", 1)
        progress(bridges, stream, "InfluxDB back, spools drained")

        phase("broker SIGKILL")
        broker.kill()
        time.sleep(args.broker_down)
        broker.start()
        phase("broker restarted")
        bridges.wait_connected()
        hold(5, bridges, stream, "broker back")

        sig = signal.SIGTERM if args.stop_signal == "TERM" else signal.SIGKILL
        phase(f"bridge 1 stopped (SIG{args.stop_signal})")
        bridges.stop(1, sig)
        hold(args.after_stop, bridges, stream, "one bridge")
        bridges.start(1)
        bridges.wait_connected()
        phase("bridge 1 back")

        cases = hostile_cases(prefix, hostile_fleet)
        plan = hostile_plan(args.hostile - args.huge_packets, args.valid)
        phase(f"{len(plan) - args.valid} hostile messages mixed with {args.valid} valid uplinks")
        huge = oversized_packets(broker.port, args.huge_packets)
        sent = run_hostile(broker.port, plan, cases, mixed, args.hostile_rate, stream.log)
        progress(bridges, stream, "hostile messages sent")
        stream.stop()

        expected = stream.sent + Counter(
            {k.removeprefix("valid:"): v for k, v in sent.items() if k.startswith("valid:")}
        )
        published = sum(expected.values())
        say(f"settling: {published} valid uplinks published ({stream.copies_sent} copies)")
        deadline = time.monotonic() + args.settle
        last, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            stored, lost, doubled = tally(expected, points_per_device(ts))
            idle = all(
                not s.get("inbox") and not s.get("spool_pending") for s in bridges.statuses()
            )
            if lost == 0 and idle:
                break
            if stored != last:
                last, last_change = stored, time.monotonic()
            elif time.monotonic() - last_change > 60:
                break  # no progress for a minute
            time.sleep(2)
        stored, lost, doubled = tally(expected, points_per_device(ts))
        report_cases(ts, sent, hostile_fleet, huge)
        if lost or doubled:
            where_lost, where_doubled = by_phase(ts, stream.log)
            print(f"by phase: lost {where_lost or '-'}; doubled {where_doubled or '-'}")
        for i, s in enumerate(bridges.statuses()):
            print(
                f"  bridge {i}: received={s.get('received')} written={s.get('uplinks_written')} "
                f"dead={s.get('dead_lettered')} dup={s.get('duplicates')} "
                f"poisoned={s.get('poisoned')} adopted={s.get('adopted')}"
            )
        print(
            f"published={published} stored={stored} lost={lost} doubled={doubled} "
            f"bridge_restarts={bridges.restarts} max_rss_mb={bridges.max_rss_kb / 1024:.0f}",
            flush=True,
        )
    finally:
        if stream and stream.is_alive():
            stream.halt.set()
        bridges.close()
        broker.kill()
        influx.stop()
        ts.close()
        if not args.keep:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
