"""Alert figures on this machine: breaching uplink → notification, and engine throughput.

    python -m bench.alert_latency [--trials 25] [--background-rate 1000] [--keep]

Latency, end to end through the real processes: a private Mosquitto (from
``deploy/mosquitto.conf``), one bridge (``manage.py run_bridge --on-readings
alerts.engine:on_bridge_readings``), one Celery worker (as in the Procfile:
prefork, concurrency 2) and a local HTTP endpoint in this process standing in for
the WeChat Work group robot that the notification policy points at. While a
child process publishes normal, non-breaching uplinks of 100 simulated nodes
(``demo.fleet.Fleet``) at a steady background rate, evaluated against the
organisation's six rules, each trial publishes one ChirpStack v4 uplink from a
water node whose DO (1.2 mg/L) is below the critical "DO below 2 mg/L" rule (for
0 s, 1 reading). Every trial node sits on a pond of its own, so each trial opens a
new incident; its one robot message is matched to it by the incident link in the
message. Two warm-up trials (first connections) are shown but not counted.
Reported: p50/p95 of the time from just before the MQTT publish to the HTTP
request arriving, trials without a request (must be 0), and the split of that time
into publish → engine (MQTT, bridge batching, decoding, InfluxDB write), engine →
worker (evaluation, commit, Celery pickup) and worker → endpoint (rendering, HTTP
call), from the delivery rows.

Throughput, in this process: 1,000 enabled rules of one organisation (one per
metric for the whole organisation, the rest per pond and metric; below, above,
band and change-over-window conditions, none breached) and 50 ponds each
reporting 10 metrics; ``alerts.engine.evaluate`` is timed on 20 batches of 500
readings (after one untimed batch that creates the states). readings/s = total
readings / total time.

Uses its own resources only: the PostgreSQL database ``agrimon_bench_alerts``
(created here, dropped at the end unless ``--keep``), a throw-away InfluxDB
database, Redis database 9 (broker, results, cache; flushed) and a private
Mosquitto on a free port. The last line holds ``key=value`` pairs for the README.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import support
from bench.scratch import create_database, drop_database
from bench.support import (
    Processes,
    bridge_status,
    percentile,
    start_alert_path,
    start_mosquitto,
    wait,
    wait_alert_path,
)

BENCH_DB = "agrimon_bench_alerts"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = "redis://127.0.0.1:6379/9"
DO_FLOOR = 2.0  # mg/L; the simulated ponds never go below ~3 mg/L
BREACH_DO = 1.2
WARMUP_TRIALS = 2
BACKGROUND_NODES = 100
THROUGHPUT_RULES = 1000
THROUGHPUT_PONDS = 50
THROUGHPUT_BATCHES = 20
THROUGHPUT_BATCH = 500


def bench_env(state: Path, influx_db: str) -> dict[str, str]:
    """The shared bench environment on this bench's databases, Celery tasks on the worker."""
    return support.bench_env(state, influx_db, DATABASE_URL, REDIS_URL, CELERY_EAGER="0")


# --- the stand-in WeCom robot --------------------------------------------------------


@dataclass
class Arrival:
    at: float  # time.time() when the request line arrived
    incident_id: int | None
    body: bytes


@dataclass
class Robot:
    """A local HTTP endpoint answering like the WeCom group robot; records every request."""

    server: ThreadingHTTPServer
    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=bench"

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)


INCIDENT_LINK = re.compile(rb"/i/(\d+)")


def start_robot() -> Robot:
    robot: Robot

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            at = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            m = INCIDENT_LINK.search(body)
            with robot.lock:
                robot.arrivals.append(Arrival(at, int(m.group(1)) if m else None, body))
            reply = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    robot = Robot(server)
    threading.Thread(target=server.serve_forever, name="robot", daemon=True).start()
    return robot


# --- databases -----------------------------------------------------------------------


def prepare_stores(influx_db: str) -> Any:
    """This bench's PostgreSQL database, fresh and migrated, its Redis database flushed, and
    the InfluxDB database ``influx_db`` (returned). ``os.environ`` holds ``bench_env`` by then.
    """
    create_database(BENCH_DB)
    flush_redis()
    import django

    django.setup()
    from django.core.management import call_command

    from agrimon.config import load
    from sensors.timeseries import TimeSeries

    call_command("migrate", verbosity=0)
    config = load()
    ts = TimeSeries(
        config.influx_url,
        influx_db,
        username=config.influx_username,
        password=config.influx_password,
    )
    ts.ensure_database("1d")
    return ts


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


# --- the latency world ---------------------------------------------------------------


@dataclass
class Trial:
    dev_eui: str
    site_id: int
    published: float = 0.0  # time.time() just before the publish
    arrived: float | None = None
    incident_id: int | None = None


def county() -> Any:
    from farm.models import Region

    region, _ = Region.objects.get_or_create(
        code="421083", defaults={"name": "洪湖市", "name_en": "Honghu", "level": "county"}
    )
    return region


def build_latency_world(fleet: Any, n_trials: int, robot_url: str) -> list[Trial]:
    """One organisation: background ponds and plots, one pond per trial, the rules, the policy.

    Background devices are registered here rather than by ``register_fleet``, which
    would spread them over every pond, trial ponds included.
    """
    from decimal import Decimal

    from alerts.models import NotificationPolicy, Rule
    from demo.fleet import sim_dev_eui
    from farm.models import Farm, Organisation, Plot, Pond
    from sensors.models import Device, DeviceProfile

    for kind in ("soil", "water"):
        DeviceProfile.objects.get_or_create(
            id=f"native-{kind}", defaults={"name": f"Agrimon {kind} node", "vendor": "Agrimon"}
        )
    region = county()
    org = Organisation.objects.create(name="基准测试合作社", region=region)
    farm = Farm.objects.create(
        organisation=org, region=region, name="基准测试基地", kind=Farm.Kind.MIXED
    )
    pond_kw = {"area_m2": Decimal(6700), "depth_m": Decimal("2.0"), "species": "草鱼"}
    ponds = [Pond.objects.create(farm=farm, name=f"{i + 1}号塘", **pond_kw) for i in range(25)]
    plots = [
        Plot.objects.create(farm=farm, name=f"{i + 1}号地", area_m2=Decimal(4000), crop="水稻")
        for i in range(25)
    ]
    devices = []
    for i, node in enumerate(fleet.nodes):
        site = (ponds if node.kind == "water" else plots)[i // 2 % 25]
        devices.append(
            Device(
                dev_eui=node.dev_eui,
                name=f"bench {node.kind} {i}",
                farm=farm,
                site=site,
                profile_id=f"native-{node.kind}",
            )
        )
    trials = []
    for i in range(n_trials):
        pond = Pond.objects.create(farm=farm, name=f"试验塘{i + 1:02d}", **pond_kw)
        eui = sim_dev_eui(0x100000 + i, "water")
        devices.append(
            Device(dev_eui=eui, name=f"trial {i}", farm=farm, site=pond, profile_id="native-water")
        )
        trials.append(Trial(eui, pond.pk))
    Device.objects.bulk_create(devices)

    C = Rule.Condition
    common = {"organisation": org, "for_duration": timedelta(0), "for_readings": 1}
    Rule.objects.create(
        name="溶解氧过低",
        metric="do",
        condition=C.BELOW,
        threshold=DO_FLOOR,
        clear_threshold=DO_FLOOR + 0.5,
        severity="critical",
        match_kind=Rule.TargetKind.POND,
        **common,
    )
    Rule.objects.create(
        name="水温过高", metric="water_temp", condition=C.ABOVE, threshold=35.0, **common
    )
    Rule.objects.create(
        name="pH异常", metric="ph", condition=C.OUTSIDE, threshold=6.0, threshold_high=9.5, **common
    )
    Rule.objects.create(name="总氨氮高", metric="tan", condition=C.ABOVE, threshold=5.0, **common)
    Rule.objects.create(
        name="土壤过干", metric="soil_vwc", condition=C.BELOW, threshold=5.0, **common
    )
    Rule.objects.create(
        name="电池电压低", metric="battery_v", condition=C.BATTERY_BELOW, threshold=3.0, **common
    )
    NotificationPolicy.objects.create(
        organisation=org,
        name="塘口群",
        recipient_roles=[],
        channels={"info": ["wecom"], "warning": ["wecom"], "critical": ["wecom"]},
        wecom_webhook_url=robot_url,
        quiet_start=None,
        quiet_end=None,
        rate_limit_count=1000,
        rate_limit_window=timedelta(seconds=1),
    )
    return trials


def breaching_uplink(dev_eui: str, time_ns: int) -> tuple[str, bytes]:
    """One ChirpStack v4 ``up`` event of a water node whose DO is below the floor."""
    import random

    from demo.fleet import VirtualNode, chirpstack_up, up_topic

    node = VirtualNode(dev_eui, "water", random.Random(dev_eui), f_cnt=1)
    readings = {"do": BREACH_DO, "water_temp": 25.0, "ph": 7.5, "battery_v": 3.9}
    doc = chirpstack_up(node, node.payload(readings), time_ns, [("7276ff002e062a01", -80, 7.5)])
    return up_topic(dev_eui), json.dumps(doc, separators=(",", ":")).encode()


def match_arrivals(robot: Robot, trials: list[Trial]) -> None:
    """Give each trial the first robot request naming an incident on its pond."""
    from alerts.models import Incident

    by_site = {t.site_id: t for t in trials}
    arrivals = [a for a in robot.snapshot() if a.incident_id is not None]
    sites = dict(
        Incident.objects.filter(pk__in={a.incident_id for a in arrivals}).values_list(
            "pk", "site_id"
        )
    )
    for a in arrivals:
        trial = by_site.get(sites.get(a.incident_id))
        if trial is not None and trial.arrived is None:
            trial.arrived, trial.incident_id = a.at, a.incident_id


def stage_split(trials: list[Trial]) -> dict[str, list[float]]:
    """publish → engine → worker → endpoint, in ms, from each trial's delivery row."""
    from alerts.models import Delivery

    done = {t.incident_id: t for t in trials if t.incident_id is not None}
    out: dict[str, list[float]] = {"to_engine": [], "to_worker": [], "to_endpoint": []}
    rows = Delivery.objects.filter(incident_id__in=list(done), kind="firing", channel="wecom")
    for d in rows:
        t = done[d.incident_id]
        if d.last_attempt_at is None or t.arrived is None:
            continue
        created, started = d.created.timestamp(), d.last_attempt_at.timestamp()
        out["to_engine"].append((created - t.published) * 1000)
        out["to_worker"].append((started - created) * 1000)
        out["to_endpoint"].append((t.arrived - started) * 1000)
    return out


def deliveries_summary(trials: list[Trial]) -> str:
    from django.db.models import Count

    from alerts.models import Delivery

    rows = (
        Delivery.objects.filter(incident__site_id__in=[t.site_id for t in trials])
        .values("outcome", "attempts")
        .annotate(n=Count("pk"))
        .order_by("outcome", "attempts")
    )
    return ", ".join(f"{r['outcome']}×{r['n']} (attempts {r['attempts']})" for r in rows)


def publish_background(
    port: int,
    rate: float,
    max_seconds: float,
    stop: Any,
    *,
    published_rate: Any = None,
    nodes: int = BACKGROUND_NODES,
) -> None:
    """Normal uplinks of a simulated fleet at a steady ``rate`` (a child process).

    Not ``simulate_fleet --rate``: its pacing sleeps in ``client.loop(ahead)``, which
    returns as soon as the socket or paho's wake-up pipe is readable, so it does not
    hold the rate. Here every uplink is rendered and stamped when it is due
    (``Fleet.uplink``, the simulator's real-time path) and sent in ticks of a few ms.
    """
    import paho.mqtt.client as mqtt

    from demo.fleet import Fleet

    fleet = Fleet(nodes, seed=7, lost=0.0, corrupt=0.0)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-background")
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    sent = 0
    infos: list[mqtt.MQTTMessageInfo] = []
    started = time.monotonic()
    elapsed = 0.0
    while not stop.is_set() and elapsed < max_seconds:
        for _ in range(int(rate * elapsed) - sent):
            node = fleet.nodes[sent % len(fleet.nodes)]
            up = fleet.uplink(node, time.time_ns(), len(fleet.nodes) / max(rate, 1.0))
            infos.append(client.publish(up.topic, up.body, qos=1))
            sent += 1
        client.loop(0)  # write what is queued, read the broker's acks
        if len(infos) > 5000:
            infos = [i for i in infos if not i.is_published()]
        time.sleep(0.002)
        elapsed = time.monotonic() - started
    if published_rate is not None:
        published_rate.value = sent / max(elapsed, 1e-9)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(not i.is_published() for i in infos):
        client.loop(0.05)
    client.disconnect()


def run_latency(args: argparse.Namespace, procs: Processes, influx_db: str) -> dict[str, Any]:
    import paho.mqtt.client as mqtt

    from demo.fleet import Fleet

    robot = start_robot()
    try:
        n_trials = args.trials + WARMUP_TRIALS
        fleet = Fleet(BACKGROUND_NODES, seed=7, lost=0.0, corrupt=0.0)
        trials = build_latency_world(fleet, n_trials, robot.url)

        mqtt_port = start_mosquitto(procs)
        metrics_port, worker = start_alert_path(procs, "bench-alerts", mqtt_port, influx_db)
        wait_alert_path(procs, metrics_port, worker)

        # Background: normal uplinks from the fleet, running through all trials.
        ctx = multiprocessing.get_context("spawn")
        stop, published = ctx.Event(), ctx.Value("d", 0.0)
        publisher = ctx.Process(
            target=publish_background,
            args=(mqtt_port, args.background_rate, 4 + n_trials * args.spacing + 20, stop),
            kwargs={"published_rate": published},
            name="bench-background",
        )
        publisher.start()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-trials")
        try:
            if args.background_rate > 0:
                wait(
                    lambda: bridge_status(metrics_port).get("received", 0) > 0,
                    60,
                    "background uplinks at the bridge",
                )
                time.sleep(3)  # past the start-up of the publisher and the bridge's first batches
            client.connect("127.0.0.1", mqtt_port)
            client.loop_start()
            s0, t0 = bridge_status(metrics_port), time.monotonic()
            for i, trial in enumerate(trials):
                if not publisher.is_alive():
                    raise RuntimeError("background publisher stopped early")
                time_ns = time.time_ns()
                topic, body = breaching_uplink(trial.dev_eui, time_ns)
                trial.published = time_ns / 1e9
                client.publish(topic, body, qos=1)
                deadline = time.monotonic() + args.timeout
                seen = -1
                while time.monotonic() < deadline and trial.arrived is None:
                    if len(robot.snapshot()) != seen:  # the endpoint stamps arrivals itself
                        seen = len(robot.snapshot())
                        match_arrivals(robot, [trial])
                    time.sleep(0.005)
                label = "warm-up" if i < WARMUP_TRIALS else f"trial {i - WARMUP_TRIALS + 1:>2}"
                if trial.arrived is None:
                    print(f"  {label}: no request within {args.timeout:.0f} s")
                else:
                    print(f"  {label}: {(trial.arrived - trial.published) * 1000:7.1f} ms")
                time.sleep(max(0.0, trial.published + args.spacing - time.time()))
            s1, t1 = bridge_status(metrics_port), time.monotonic()
        finally:
            client.disconnect()
            client.loop_stop()
            stop.set()
            publisher.join(30)
            if publisher.is_alive():
                publisher.terminate()
                publisher.join(10)
        time.sleep(1)  # late requests still count for the "missed" check below
        match_arrivals(robot, trials)
        measured = trials[WARMUP_TRIALS:]
        return {
            "trials": measured,
            "warmup": trials[:WARMUP_TRIALS],
            "background_per_s": (s1.get("received", 0) - s0.get("received", 0)) / (t1 - t0),
            "published_per_s": published.value,
            "bridge": s1,
            "requests": len(robot.snapshot()),
            "stages": stage_split(measured),
            "deliveries": deliveries_summary(measured),
        }
    finally:
        robot.server.shutdown()
        robot.server.server_close()


# --- engine throughput ---------------------------------------------------------------

# metric -> a normal value; thresholds are set far from it so nothing breaches.
BASE_VALUES = {
    "do": 6.5,
    "water_temp": 26.0,
    "ph": 7.6,
    "tan": 0.6,
    "nh3": 0.02,
    "do_sat": 85.0,
    "salinity": 0.3,
    "battery_v": 3.9,
    "rssi": -80.0,
    "snr": 7.5,
}


def build_throughput_world() -> tuple[int, list[tuple[int, int, str]]]:
    """1,000 rules of one organisation over 50 ponds and 10 metrics; returns the farm and
    the (farm, site, device) of each pond's node."""
    from decimal import Decimal

    from alerts.models import Rule
    from farm.models import Farm, Organisation, Pond

    C = Rule.Condition
    region = county()
    org = Organisation.objects.create(name="吞吐测试合作社", region=region)
    farm = Farm.objects.create(
        organisation=org, region=region, name="吞吐测试基地", kind=Farm.Kind.AQUACULTURE
    )
    ponds = [
        Pond.objects.create(
            farm=farm,
            name=f"{i + 1}号塘",
            area_m2=Decimal(6700),
            depth_m=Decimal("2.0"),
            species="草鱼",
        )
        for i in range(THROUGHPUT_PONDS)
    ]
    metrics = list(BASE_VALUES)
    conditions = [C.BELOW, C.ABOVE, C.OUTSIDE, C.RATE]
    rules = []
    for i in range(THROUGHPUT_RULES):
        metric = metrics[i % len(metrics)]
        base = BASE_VALUES[metric]
        spread = 2 * abs(base) + 1
        condition = conditions[(i // len(metrics)) % len(conditions)]
        kw: dict[str, Any] = {"threshold": base - spread}
        if condition == C.ABOVE:
            kw = {"threshold": base + spread}
        elif condition == C.OUTSIDE:
            kw = {"threshold": base - spread, "threshold_high": base + spread}
        elif condition == C.RATE:
            kw = {"threshold": spread, "window": timedelta(hours=1)}
        # The first rule of each metric watches the whole organisation; the rest one pond.
        site = None if i < len(metrics) else ponds[(i // len(metrics)) % len(ponds)]
        rules.append(
            Rule(
                organisation=org,
                name=f"rule {i}",
                metric=metric,
                site=site,
                condition=condition,
                severity="warning",
                **kw,
            )
        )
    Rule.objects.bulk_create(rules)
    nodes = [(farm.pk, p.pk, f"7a02{i:012x}") for i, p in enumerate(ponds)]
    return farm.pk, nodes


def run_throughput() -> dict[str, Any]:
    import random

    from alerts.engine import evaluate
    from alerts.models import AlertState
    from vocabulary.events import ReadingEvent

    _, nodes = build_throughput_world()
    rng = random.Random(3)
    per_batch = len(nodes) * len(BASE_VALUES)
    batches_of = THROUGHPUT_BATCH // per_batch  # rounds of all nodes per batch
    start = datetime.now(UTC) - timedelta(hours=1)
    step = 0

    def batch() -> list[ReadingEvent]:
        nonlocal step
        out = []
        for _ in range(batches_of):
            step += 1
            at = start + timedelta(seconds=step)  # later than every earlier reading
            for farm_id, site_id, eui in nodes:
                for metric, base in BASE_VALUES.items():
                    value = base + rng.gauss(0, 0.02 * abs(base))
                    out.append(ReadingEvent.at(at, farm_id, site_id, eui, metric, value))
        return out

    evaluate(batch())  # creates the states
    states = AlertState.objects.filter(farm_id=nodes[0][0]).count()
    batches = [batch() for _ in range(THROUGHPUT_BATCHES)]
    times = []
    transitions = 0
    for b in batches:
        t = time.perf_counter()
        transitions += len(evaluate(b))
        times.append(time.perf_counter() - t)
    readings = sum(len(b) for b in batches)
    return {
        "readings": readings,
        "seconds": sum(times),
        "per_s": readings / sum(times),
        "batch_ms": [x * 1000 for x in times],
        "states": states,
        "transitions": transitions,
    }


# --- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=25)
    parser.add_argument("--background-rate", type=float, default=1000, help="uplinks/s")
    parser.add_argument("--spacing", type=float, default=1.5, help="seconds between trials")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait per trial")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DB}")
    args = parser.parse_args()
    if args.spacing < 1.0:
        parser.error("--spacing must be at least 1 s")

    influx_db = f"bench_alerts_{uuid.uuid4().hex[:8]}"
    state = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    env = bench_env(state, influx_db)
    os.environ.update(env)
    procs = Processes(state, env)
    ts = None
    try:
        ts = prepare_stores(influx_db)
        print(
            f"latency: {args.trials} trials (+{WARMUP_TRIALS} warm-up) every {args.spacing:g} s, "
            f"background {args.background_rate:.0f} uplinks/s from {BACKGROUND_NODES} nodes"
        )
        lat = run_latency(args, procs, influx_db)
        procs.stop_all()

        trials = lat["trials"]
        got = [(t.arrived - t.published) * 1000 for t in trials if t.arrived is not None]
        missed = len(trials) - len(got)
        p50, p95 = percentile(got, 0.50), percentile(got, 0.95)
        warm = [
            f"{(t.arrived - t.published) * 1000:.0f}" if t.arrived else "none"
            for t in lat["warmup"]
        ]
        bridge = lat["bridge"]
        print(
            f"background published at {lat['published_per_s']:.0f} uplinks/s; "
            f"at the bridge {lat['background_per_s']:.0f} uplinks/s during the "
            f"trials; bridge publish→written p50 {bridge.get('p50_ms')} ms, p95 "
            f"{bridge.get('p95_ms')} ms, inbox {bridge.get('inbox')}, "
            f"dead letters {bridge.get('dead_lettered')}"
        )
        print(f"warm-up trials (not counted): {', '.join(warm)} ms")
        print(
            f"publish→robot request: n={len(got)} missed={missed} p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms, min {min(got, default=float('nan')):.0f} ms, "
            f"max {max(got, default=float('nan')):.0f} ms "
            f"(robot requests in all: {lat['requests']})"
        )
        for name, label in (
            ("to_engine", "publish → engine (MQTT, bridge batch, decode, InfluxDB)"),
            ("to_worker", "engine → worker (evaluate, commit, Celery pickup)"),
            ("to_endpoint", "worker → endpoint (render, HTTP)"),
        ):
            values = lat["stages"][name]
            if values:
                print(
                    f"  {label}: median {statistics.median(values):.0f} ms, "
                    f"p95 {percentile(values, 0.95):.0f} ms"
                )
        print(f"deliveries: {lat['deliveries']}")

        print(
            f"engine: {THROUGHPUT_RULES} rules, {THROUGHPUT_BATCHES} batches of "
            f"{THROUGHPUT_BATCH} readings"
        )
        thr = run_throughput()
        print(
            f"engine: {thr['readings']} readings in {thr['seconds']:.2f} s; "
            f"batch median {statistics.median(thr['batch_ms']):.0f} ms, max "
            f"{max(thr['batch_ms']):.0f} ms; {thr['states']} states, "
            f"{thr['transitions']} transitions"
        )
        print(f"p50_ms={p50:.0f} p95_ms={p95:.0f} evals_per_s={thr['per_s']:.0f}")
    except BaseException:
        for name, _ in procs.procs:  # the logs go with the state directory
            if name != "mosquitto" and procs.log_tail(name):
                print(f"--- {name} log (last lines) ---\n{procs.log_tail(name)}")
        raise
    finally:
        procs.stop_all()
        if ts is not None:
            try:
                ts.drop_database()
            finally:
                ts.close()
        try:
            flush_redis()
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if not args.keep:
                drop_database(BENCH_DB)
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
