"""Phone figures: breaching uplink → the phone's service worker handling the push.

    python -m bench.phone [--trials 20] [--background-rate 1000] [--keep]

End to end through the real processes, as ``bench/alert_latency.py`` starts them: a
private Mosquitto, one bridge (``run_bridge --on-readings alerts.engine:on_bridge_readings``),
one Celery worker (prefork, concurrency 2), the web server (uvicorn, ``agrimon.asgi``) and
headless Chromium with a persistent profile, logged in as an operator of the farm, whose
page has installed the phone app's service worker. While 100 simulated nodes publish
normal uplinks at the background rate, each trial publishes one ChirpStack v4 uplink whose
DO is below the critical rule of its own pond. The notification policy sends critical
alerts by web push to the operator, whose push subscription points at a local push
service in this process.

What is measured, and where it stops being real: headless Chromium has no push service it
can reach here (Chrome's is FCM), so the local push service stands in for it. It accepts
the worker's real RFC 8291/8292 request (``aes128gcm``, VAPID), answers 201, decrypts the
payload with the subscription's private key (http_ece) and hands the plaintext to the
browser with the DevTools protocol (``ServiceWorker.deliverPushMessage``), which fires the
service worker's ``push`` event as a push service's message would. The figure is the time
from just before the MQTT publish to the ``push`` handler's first line (``Date.now()`` it
records in IndexedDB; same machine clock). It includes everything on our side and the
browser's dispatch to the worker; it leaves out the real push service's own transit to a
phone (FCM or a vendor's), which we do not control. The split shows publish → push
service request and push service request → service worker.

Offline acknowledgements: after the trials the page goes offline
(``context.set_offline``), every trial's incident is acknowledged on the page, the page is
reloaded from the service worker's cache, the network comes back, and the server's audit
trail is counted: ``offline_acks_lost`` is incidents without exactly one acknowledgement
(missing or doubled).

Uses its own resources only: the PostgreSQL database ``agrimon_bench_phone`` (dropped at
the end unless ``--keep``), a throw-away InfluxDB database, Redis database 12 (flushed)
and private ports. The last line holds ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import alert_latency as al
from bench.scratch import drop_database
from bench.support import (
    Processes,
    bridge_status,
    free_port,
    percentile,
    start_alert_path,
    start_mosquitto,
    wait,
    wait_alert_path,
)

# The alert bench's world and environment, on databases of this bench's own.
al.BENCH_DB = "agrimon_bench_phone"
al.DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{al.BENCH_DB}"
al.REDIS_URL = "redis://127.0.0.1:6379/12"
USERNAME, PASSWORD = "bench_farmer", "bench-only-2026"
PHONE = {"width": 390, "height": 844}


# --- the stand-in push service -------------------------------------------------------


@dataclass
class PushService:
    """Answers like a push service (201 + Location), decrypts, queues the plaintext."""

    server: ThreadingHTTPServer
    inbox: queue.Queue = field(default_factory=queue.Queue)
    arrivals: list[tuple[float, dict]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/push/bench-phone"


def start_push_service(ua_private: Any, auth_secret: bytes) -> PushService:
    import http_ece

    service: PushService

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            at = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if self.headers.get("Content-Encoding") != "aes128gcm":
                    raise ValueError(f"content coding {self.headers.get('Content-Encoding')!r}")
                if not self.headers.get("Authorization", "").startswith("vapid t="):
                    raise ValueError("no VAPID authorization")
                plain = http_ece.decrypt(
                    body, private_key=ua_private, auth_secret=auth_secret, version="aes128gcm"
                )
                data = json.loads(plain)
            except Exception as exc:  # noqa: BLE001 - any bad request is answered and counted
                service.errors.append(f"{type(exc).__name__}: {exc}")
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            service.arrivals.append((at, data))
            service.inbox.put((at, plain.decode()))
            self.send_response(201)
            self.send_header("Location", f"/m/{uuid.uuid4().hex}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service = PushService(server)
    threading.Thread(target=server.serve_forever, name="push-service", daemon=True).start()
    return service


def subscription_keys() -> tuple[Any, str, bytes, str]:
    """A browser-side key pair and auth secret, as ``pushManager.subscribe()`` makes them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)

    def b64u(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return private, b64u(point), auth, b64u(auth)


# --- the world -----------------------------------------------------------------------


def build_world(fleet: Any, n_trials: int, endpoint: str, p256dh: str, auth: str) -> list:
    """The alert bench's organisation, with web push to one operator instead of the robot."""
    from django.contrib.auth import get_user_model

    from alerts.models import NotificationPolicy, PushSubscription
    from farm.models import Farm, Membership, Role

    trials = al.build_latency_world(fleet, n_trials, "http://127.0.0.1:9/unused")
    farm = Farm.objects.get(name="基准测试基地")
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD, first_name="基准")
    membership = Membership.objects.create(
        user=user, role=Role.OPERATOR, organisation=farm.organisation
    )
    membership.farms.set([farm])
    NotificationPolicy.objects.filter(organisation=farm.organisation).update(
        recipient_roles=["operator"],
        channels={"info": ["webpush"], "warning": ["webpush"], "critical": ["webpush"]},
        wecom_webhook_url="",
    )
    PushSubscription.objects.create(user=user, endpoint=endpoint, p256dh=p256dh, auth=auth)
    return trials


# --- the browser ---------------------------------------------------------------------


def open_phone(p: Any, profile: Path, base: str) -> tuple[Any, Any, Any, str]:
    """Chromium logged in on the phone page, its service worker in control; CDP session."""
    context = p.chromium.launch_persistent_context(
        str(profile),
        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="allow",
    )
    context.grant_permissions(["notifications"], origin=base)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a shared, loaded machine: slow is not broken here
    page.goto(f"{base}/accounts/login/?next=/phone/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("#phone-home")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cdp = context.new_cdp_session(page)
    found: dict[str, str] = {}

    def updated(event: dict) -> None:
        for reg in event["registrations"]:
            if reg["scopeURL"].startswith(base) and not reg.get("isDeleted"):
                found["id"] = reg["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 20
    while "id" not in found and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    if "id" not in found:
        raise RuntimeError("the service worker's registration did not show up in DevTools")
    return context, page, cdp, found["id"]


def answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status == 200
    except OSError:
        return False


def handled_pushes(page: Any) -> dict[int, float]:
    """incident id -> when the service worker's push handler ran (s since the epoch)."""
    rows = page.evaluate("AgrimonStore.all('pushes')")
    out: dict[int, float] = {}
    for row in rows:
        incident = row.get("alert", {}).get("incident")
        if incident and int(incident) not in out:
            out[int(incident)] = row["received"] / 1000
    return out


# --- the run -------------------------------------------------------------------------


@dataclass
class Timing:
    published: float
    incident_id: int | None = None
    push_arrived: float | None = None
    handled: float | None = None


def run(args: argparse.Namespace, procs: Processes, influx_db: str, env: dict) -> dict:
    import paho.mqtt.client as mqtt
    from playwright.sync_api import sync_playwright

    from alerts.models import Incident, IncidentEvent
    from demo.fleet import Fleet

    ua_private, p256dh, auth, auth_b64 = subscription_keys()
    push = start_push_service(ua_private, auth)
    n_trials = args.trials + al.WARMUP_TRIALS
    fleet = Fleet(al.BACKGROUND_NODES, seed=7, lost=0.0, corrupt=0.0)
    trials = build_world(fleet, n_trials, push.endpoint, p256dh, auth_b64)
    by_site = {t.site_id: t for t in trials}

    mqtt_port = start_mosquitto(procs)
    metrics_port, worker = start_alert_path(procs, "bench-phone", mqtt_port, influx_db)
    web_port = free_port()
    # DEBUG on for the web process only, so it serves the app shell's static files from
    # the apps (no collectstatic); nothing it serves is timed.
    procs.env = {**env, "DEBUG": "1"}
    procs.start(
        "web",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "agrimon.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(web_port),
            "--log-level",
            "warning",
        ],
    )
    procs.env = env
    base = f"http://127.0.0.1:{web_port}"
    wait(lambda: answers(f"{base}/accounts/login/"), 180, "the web server", interval=1)
    wait_alert_path(procs, metrics_port, worker)

    with sync_playwright() as p:
        context, page, cdp, registration = open_phone(p, procs.state / "profile", base)

        def deliver_waiting() -> None:
            while True:
                try:
                    _at, text = push.inbox.get_nowait()
                except queue.Empty:
                    return
                cdp.send(
                    "ServiceWorker.deliverPushMessage",
                    {"origin": base, "registrationId": registration, "data": text},
                )

        ctx = multiprocessing.get_context("spawn")
        stop, published = ctx.Event(), ctx.Value("d", 0.0)
        publisher = ctx.Process(
            target=al.publish_background,
            args=(mqtt_port, args.background_rate, 4 + n_trials * args.spacing + 30, stop),
            kwargs={"published_rate": published},
            name="bench-background",
        )
        publisher.start()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-phone-trials")
        timings: dict[int, Timing] = {}
        try:
            if args.background_rate > 0:
                wait(
                    lambda: bridge_status(metrics_port).get("received", 0) > 0,
                    60,
                    "background uplinks at the bridge",
                )
                time.sleep(3)
            client.connect("127.0.0.1", mqtt_port)
            client.loop_start()
            s0, t0 = bridge_status(metrics_port), time.monotonic()
            for i, trial in enumerate(trials):
                if not publisher.is_alive():
                    raise RuntimeError("background publisher stopped early")
                time_ns = time.time_ns()
                topic, body = al.breaching_uplink(trial.dev_eui, time_ns)
                timing = timings[trial.site_id] = Timing(time_ns / 1e9)
                client.publish(topic, body, qos=1)
                deadline = time.monotonic() + args.timeout
                while time.monotonic() < deadline and timing.handled is None:
                    deliver_waiting()
                    page.wait_for_timeout(10)
                    match(push, page, by_site, timings)
                label = "warm-up" if i < al.WARMUP_TRIALS else f"trial {i - 1:>2}"
                if timing.handled is None:
                    print(f"  {label}: not handled within {args.timeout:.0f} s")
                else:
                    total = (timing.handled - timing.published) * 1000
                    print(f"  {label}: {total:7.1f} ms")
                time.sleep(max(0.0, timing.published + args.spacing - time.time()))
            s1, t1 = bridge_status(metrics_port), time.monotonic()
        finally:
            client.disconnect()
            client.loop_stop()
            stop.set()
            publisher.join(30)
            if publisher.is_alive():
                publisher.terminate()
                publisher.join(10)

        # Offline acknowledgements: queued on the phone, kept across a reload, synced once.
        incident_ids = [t.incident_id for t in timings.values() if t.incident_id is not None]
        page.reload()
        context.set_offline(True)
        buttons = page.locator("[data-testid=incident] [data-testid=acknowledge]")
        tapped = 0
        for incident_id in incident_ids:
            item = page.locator(f"[data-testid=incident][data-incident='{incident_id}']")
            if item.count():
                item.locator("[data-testid=acknowledge]").tap()
                item.locator("[data-testid=pending]").wait_for(state="visible")
                tapped += 1
        page.reload()  # offline: from the service worker's cache
        queued = len(page.evaluate("AgrimonStore.pending()"))
        context.set_offline(False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and page.evaluate("AgrimonStore.pending()"):
            page.wait_for_timeout(200)
        left = len(page.evaluate("AgrimonStore.pending()"))
        del buttons
        context.close()

    acks = {
        i: IncidentEvent.objects.filter(incident_id=i, kind="acknowledged").count()
        for i in incident_ids
    }
    opened = set(Incident.objects.filter(pk__in=incident_ids).values_list("pk", flat=True))
    return {
        "trials": [timings.get(t.site_id) for t in trials],
        "background_per_s": (s1.get("received", 0) - s0.get("received", 0)) / (t1 - t0),
        "published_per_s": published.value,
        "bridge": s1,
        "push_requests": len(push.arrivals),
        "push_errors": push.errors,
        "offline": {
            "incidents": len(opened),
            "tapped": tapped,
            "queued_after_reload": queued,
            "left_in_queue": left,
            "exactly_once": sum(1 for n in acks.values() if n == 1),
            "lost": sum(1 for n in acks.values() if n != 1),
            "doubled": sum(1 for n in acks.values() if n > 1),
        },
    }


def match(push: PushService, page: Any, by_site: dict, timings: dict[int, Timing]) -> None:
    """Give each trial its incident, its push request's arrival and its handling time."""
    from alerts.models import Incident

    waiting = [t for t in timings.values() if t.handled is None]
    if not waiting:
        return
    handled = handled_pushes(page)
    if not handled:
        return
    sites = dict(Incident.objects.filter(pk__in=list(handled)).values_list("pk", "site_id"))
    arrived = {}
    for at, data in push.arrivals:
        arrived.setdefault(int(data.get("incident") or 0), at)
    for incident_id, when in handled.items():
        trial = by_site.get(sites.get(incident_id))
        timing = timings.get(trial.site_id) if trial else None
        if timing is not None and timing.handled is None:
            timing.incident_id = incident_id
            timing.handled = when
            timing.push_arrived = arrived.get(incident_id)


def stage_split(done: list[Timing]) -> dict[str, list[float]]:
    """publish → delivery row written (bridge, engine, commit) → worker's attempt (Celery
    pickup) → push service request (render, encrypt, sign, POST), in ms."""
    from alerts.models import Delivery

    by_incident = {t.incident_id: t for t in done if t.push_arrived}
    out: dict[str, list[float]] = {"to_delivery": [], "to_worker": [], "to_push": []}
    rows = Delivery.objects.filter(
        incident_id__in=list(by_incident), channel="webpush", kind="firing"
    )
    for d in rows:
        t = by_incident[d.incident_id]
        if d.last_attempt_at is None:
            continue
        created, started = d.created.timestamp(), d.last_attempt_at.timestamp()
        out["to_delivery"].append((created - t.published) * 1000)
        out["to_worker"].append((started - created) * 1000)
        out["to_push"].append((t.push_arrived - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--background-rate", type=float, default=1000, help="uplinks/s")
    parser.add_argument("--spacing", type=float, default=1.5, help="seconds between trials")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait per trial")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {al.BENCH_DB}")
    args = parser.parse_args()

    influx_db = f"bench_phone_{uuid.uuid4().hex[:8]}"
    state = Path(tempfile.mkdtemp(prefix="bench-phone-"))
    env = al.bench_env(state, influx_db)
    env.pop("WEBPUSH_VAPID_PRIVATE_KEY", None)  # the key is made in the state directory
    os.environ.update(env)
    # Playwright's sync API keeps an event loop on this thread; the ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    procs = Processes(state, env)
    ts = None
    try:
        ts = al.prepare_stores(influx_db)
        print(
            f"phone push: {args.trials} trials (+{al.WARMUP_TRIALS} warm-up) every "
            f"{args.spacing:g} s, background {args.background_rate:.0f} uplinks/s"
        )
        out = run(args, procs, influx_db, env)
        procs.stop_all()

        measured = out["trials"][al.WARMUP_TRIALS :]
        done = [t for t in measured if t is not None and t.handled is not None]
        total = [(t.handled - t.published) * 1000 for t in done]
        to_push = [(t.push_arrived - t.published) * 1000 for t in done if t.push_arrived]
        to_sw = [(t.handled - t.push_arrived) * 1000 for t in done if t.push_arrived]
        missed = len(measured) - len(done)
        p50, p95 = percentile(total, 0.5), percentile(total, 0.95)
        bridge = out["bridge"]
        print(
            f"background published at {out['published_per_s']:.0f} uplinks/s; at the bridge "
            f"{out['background_per_s']:.0f} uplinks/s during the trials; bridge inbox "
            f"{bridge.get('inbox')}, dead letters {bridge.get('dead_lettered')}"
        )
        print(
            f"publish→service worker push handler: n={len(done)} missed={missed} "
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(total, default=float('nan')):.0f} ms"
        )
        if to_push:
            print(
                f"  publish → push service request (bridge, engine, Celery, encrypt, POST): "
                f"median {statistics.median(to_push):.0f} ms, p95 "
                f"{percentile(to_push, 0.95):.0f} ms"
            )
            print(
                f"  push service request → push handler (decrypt, DevTools delivery, worker "
                f"wake-up): median {statistics.median(to_sw):.0f} ms, p95 "
                f"{percentile(to_sw, 0.95):.0f} ms"
            )
        for name, label in (
            ("to_delivery", "publish → delivery written (MQTT, bridge batch, engine, commit)"),
            ("to_worker", "delivery written → worker attempt (Celery pickup)"),
            ("to_push", "worker attempt → push service request (render, encrypt, VAPID, POST)"),
        ):
            values = stage_split(done)[name]
            if values:
                print(
                    f"    {label}: median {statistics.median(values):.0f} ms, "
                    f"p95 {percentile(values, 0.95):.0f} ms"
                )
        print(f"push requests {out['push_requests']}, refused {len(out['push_errors'])}")
        load = os.getloadavg()
        print(f"load average at the end (2 cores, shared): {load[0]:.1f} {load[1]:.1f}")
        for error in out["push_errors"][:3]:
            print(f"  refused: {error}")
        off = out["offline"]
        print(
            f"offline: {off['tapped']} of {off['incidents']} incidents acknowledged offline, "
            f"{off['queued_after_reload']} queued after an offline reload, "
            f"{off['left_in_queue']} left after the network returned; server: "
            f"{off['exactly_once']} acknowledged exactly once, {off['doubled']} twice or more"
        )
        lost = off["lost"] + (off["incidents"] - off["tapped"])
        print(
            f"push_p50_ms={p50:.0f} push_p95_ms={p95:.0f} offline_acks_lost={lost} "
            f"push_missed={missed}"
        )
    except BaseException:
        for name, _ in procs.procs:
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
            al.flush_redis()
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if not args.keep:
                drop_database(al.BENCH_DB)
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
