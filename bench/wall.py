"""Farm-wall figures on this machine: a wall of 200 ponds under live traffic.

    python -m bench.wall [--ponds 200] [--trials 30] [--rate 10] [--keep]

Real processes: uvicorn serving ``agrimon.asgi`` (one process, as the Procfile's web),
PostgreSQL, Redis (the Channels layer) and InfluxDB, and Debian's Chromium, headless,
showing the wall in wall-screen mode at 1920×1080 as the demo user ``farmer_wang``,
whose farm here has ``--ponds`` ponds each with a DO, temperature, pH and NH3 history.

* Render: the server's time to answer ``GET /monitoring/wall/`` (median of 10, after
  one warm-up), measured by a logged-in HTTP client on this machine.
* Page weight: bytes the browser transferred for the wall (document, CSS, JS; the
  Performance API's ``transferSize``), in KiB.
* Live: while a background thread sends ``--rate`` normal uplinks per second to random
  ponds, each trial stores one breaching DO reading (2.3 mg/L, below the 3 mg/L rule)
  for a pond of its own in InfluxDB and hands it to the bridge hook
  (``monitoring.live.on_bridge_readings``: the alert engine, then the live message),
  exactly what the bridge does after a durable write. Latency is from just before the
  InfluxDB write to the moment the page holds that pond's tile in the "critical" state
  (a MutationObserver's ``Date.now()``; same machine, same clock).

Uses its own resources only: the PostgreSQL database ``agrimon_bench_wall`` (dropped at
the end unless ``--keep``), a throw-away InfluxDB database and Redis database 10. The
last line holds ``key=value`` pairs for the README.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from bench.scratch import create_database, drop_database  # noqa: E402
from bench.support import bench_env, free_port, percentile  # noqa: E402

BENCH_DB = "agrimon_bench_wall"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = "redis://127.0.0.1:6379/10"
BREACH_DO = 2.3
WALL = {"width": 1920, "height": 1080}

TRANSFERRED_JS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return [
    (nav.transferSize + res.reduce((a, e) => a + e.transferSize, 0)) / 1024,
    nav.encodedBodySize / 1024,
    nav.decodedBodySize / 1024,
    res.map((e) => e.name.split('/').pop() + ':' + e.transferSize).join(' '),
  ];
}
"""
# When each site's first live message reached the page: splits the latency into
# uplink → message (server) and message → tile on screen (fetch, render, swap).
MESSAGES_JS = """
(() => {
  const Native = window.WebSocket;
  window.__messageAt = {};
  function Recording(url, protocols) {
    const ws = new Native(url, protocols);
    ws.addEventListener('message', (m) => {
      try {
        const d = JSON.parse(m.data);
        if (d.site && !(d.site in window.__messageAt)) window.__messageAt[d.site] = Date.now();
      } catch (e) {}
    });
    return ws;
  }
  Recording.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Recording[k] = Native[k];
  window.WebSocket = Recording;
})();
"""
WATCH_JS = """
() => {
  window.__critical = {};
  new MutationObserver((records) => {
    const now = Date.now();
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType === 1 && n.classList.contains('tile') && n.dataset.status === 'critical'
          && !(n.dataset.site in window.__critical)) window.__critical[n.dataset.site] = now;
    }
  }).observe(document.querySelector('[data-tiles]'), {childList: true});
}
"""


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def seed(ponds: int, ts) -> tuple[list, int]:
    """The demo, plus a farm of ``ponds`` ponds for farmer_wang with an hour of readings."""
    from decimal import Decimal

    from alerts.models import Rule
    from demo.farm import seed_demo
    from farm.models import Farm, Membership, Pond
    from sensors.timeseries import Point, to_ns

    seed_demo()
    home = Farm.objects.get(name="大沙湖草鱼养殖场")
    farm = Farm.objects.create(
        organisation=home.organisation,
        region=home.region,
        name="大屏测试养殖场",
        kind="aquaculture",
    )
    Membership.objects.get(user__username="farmer_wang").farms.add(farm)
    Rule.objects.create(
        organisation=farm.organisation, name="溶解氧过低", metric="do",
        condition=Rule.Condition.BELOW, threshold=3.0, clear_threshold=4.0,
        severity="critical", match_kind=Rule.TargetKind.POND,
    )  # fmt: skip
    made = [
        Pond(farm=farm, name=f"{n + 1:03d}号塘", area_m2=Decimal(6700), species="草鱼",
             depth_m=Decimal("2.0"))
        for n in range(ponds)
    ]  # fmt: skip
    for p in made:
        p.save()
    now = datetime.now(UTC)
    points = []
    for p in made:
        tags = {"farm": str(farm.pk), "site": str(p.pk), "device": f"{p.pk:016x}"}
        for minutes in (50, 30, 10):
            fields = {"do": 6.0 + random.random(), "water_temp": 27.0, "ph": 7.8, "nh3": 0.01}
            points.append(Point("water", tags, fields, to_ns(now - timedelta(minutes=minutes))))
    ts.write(points)
    return made, farm.pk


def uplink(ts, pond, farm_id: int, do: float) -> None:
    """What the bridge does with one stored uplink."""
    from monitoring.live import on_bridge_readings
    from sensors.timeseries import Point, to_ns
    from vocabulary.events import ReadingEvent

    when = to_ns(datetime.now(UTC))
    eui = f"{pond.pk:016x}"
    tags = {"farm": str(farm_id), "site": str(pond.pk), "device": eui}
    ts.write([Point("water", tags, {"do": do, "water_temp": 27.1, "ph": 7.8}, when)])
    on_bridge_readings([ReadingEvent(0, eui, pond.pk, farm_id, "do", do, when)])


class Background(threading.Thread):
    """Normal uplinks for random ponds at ``rate`` per second."""

    def __init__(self, ts, ponds: list, farm_id: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.ts, self.ponds, self.farm_id, self.rate = ts, ponds, farm_id, rate
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        from django.db import connection

        interval = 1.0 / self.rate
        next_at = time.monotonic()
        try:
            while not self.stop.is_set():
                uplink(self.ts, random.choice(self.ponds), self.farm_id, 6.0 + random.random())
                self.sent += 1
                next_at += interval
                self.stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            connection.close()


def close_connection() -> None:
    from django.db import connection

    connection.close()


def login_session(base: str):
    import requests

    s = requests.Session()
    s.get(f"{base}/accounts/login/")
    s.post(
        f"{base}/accounts/login/",
        data={
            "username": "farmer_wang",
            "password": "demo-only-2026",
            "csrfmiddlewaretoken": s.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
    )
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ponds", type=int, default=200)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--rate", type=float, default=2.0, help="background uplinks/s")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DB}")
    parser.add_argument("--verbose", action="store_true", help="print every trial")
    parser.add_argument("--screenshot", help="save a screenshot of the wall to this path")
    args = parser.parse_args()
    if args.trials > args.ponds // 2:
        parser.error("--trials must be at most half of --ponds (one pond per trial)")

    influx_db = f"bench_wall_{uuid.uuid4().hex[:8]}"
    state = Path(tempfile.mkdtemp(prefix="bench-wall-"))
    env = bench_env(state, influx_db, DATABASE_URL, REDIS_URL)
    os.environ.update(env)
    server = None
    ts = None
    try:
        create_database(BENCH_DB)
        import django

        django.setup()
        import redis
        from django.core.management import call_command

        from sensors.timeseries import TimeSeries

        redis.Redis.from_url(REDIS_URL).flushdb()
        ts = TimeSeries.from_config()
        ts.ensure_database("1d")
        call_command("migrate", verbosity=0)
        # DEBUG is off as in production: static files come from the collected,
        # compressed copies (WhiteNoise), as a browser would get them.
        call_command("collectstatic", interactive=False, verbosity=0)
        ponds, farm_id = seed(args.ponds, ts)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "agrimon.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_http(f"{base}/accounts/login/", server)

        client = login_session(base)
        client.get(f"{base}/monitoring/wall/")  # warm-up
        renders = []
        for _ in range(10):
            t0 = time.perf_counter()
            r = client.get(f"{base}/monitoring/wall/")
            renders.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
        tiles = len(re.findall(r'data-testid="tile"', r.text))
        print(
            f"wall of {tiles} tiles: render median {statistics.median(renders):.0f} ms, "
            f"min {min(renders):.0f}, max {max(renders):.0f} ms; "
            f"{len(r.content) / 1024:.0f} KiB HTML"
        )

        from playwright.sync_api import sync_playwright

        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            # Service workers off: the bytes counted are those on the network.
            context = browser.new_context(viewport=WALL, locale="zh-CN", service_workers="block")
            page = context.new_page()
            page.add_init_script(MESSAGES_JS)
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "farmer_wang")
            page.fill("input[name=password]", "demo-only-2026")
            page.click("form:not(.inline) button[type=submit]")
            page.wait_for_load_state("load")
            # A cold load of the wall: nothing from the login page's cache.
            context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
            page.goto(f"{base}/monitoring/wall/?screen=1")
            page.wait_for_selector("[data-wall]")
            page.wait_for_load_state("load")
            page.wait_for_selector("[data-live-status][data-state=live]", timeout=30_000)
            page_kb, html_kb, html_plain_kb, resources = page.evaluate(TRANSFERRED_JS)
            if args.verbose:
                print(f"  document {html_kb:.0f} KiB ({html_plain_kb:.0f} KiB unpacked); "
                      f"resources: {resources}")  # fmt: skip
            pages = page.get_attribute("[data-wall]", "data-pages")
            print(f"page transferred {page_kb:.0f} KiB; wall screen shows {pages} rotating pages")
            page.evaluate(WATCH_JS)

            random.shuffle(ponds)
            trial_ponds, background_ponds = ponds[: args.trials], ponds[args.trials :]
            background = Background(ts, background_ponds, farm_id, args.rate)
            started = time.monotonic()
            background.start()
            time.sleep(3)
            latencies, missed, to_message, to_tile = [], 0, [], []
            # Playwright's sync API keeps an event loop on this thread; the hook's
            # async_to_sync needs a thread without one, as in the bridge.
            hook = ThreadPoolExecutor(1)
            for pond in trial_ponds:
                t0 = time.time() * 1000
                hook.submit(uplink, ts, pond, farm_id, BREACH_DO).result()
                key = str(pond.pk)
                seen = None
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    seen = page.evaluate(f"() => window.__critical[{key!r}]")
                    if seen:
                        break
                    page.wait_for_timeout(20)
                message = page.evaluate(f"() => window.__messageAt[{key!r}]")
                if message:
                    to_message.append(message - t0)
                if seen:
                    latencies.append(seen - t0)
                    if message:
                        to_tile.append(seen - message)
                else:
                    missed += 1
                if args.verbose:
                    print(
                        f"  pond {pond.pk}: message {message - t0 if message else '-'} ms, "
                        f"tile {seen - t0 if seen else 'missed'} ms",
                        flush=True,
                    )
                page.wait_for_timeout(300)
            background.stop.set()
            background.join(5)
            hook.submit(close_connection).result()
            hook.shutdown()
            elapsed = time.monotonic() - started
            if args.screenshot:
                page.screenshot(path=args.screenshot)
            browser.close()
        sent_rate = background.sent / elapsed
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(
            f"uplink → tile update: n={len(latencies)} missed={missed} p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms, max {max(latencies, default=float('nan')):.0f} ms "
            f"(background ~{sent_rate:.0f} uplinks/s)"
        )
        print(
            f"  uplink → live message at the page: p50 {percentile(to_message, 0.5):.0f} ms, "
            f"p95 {percentile(to_message, 0.95):.0f} ms; message → tile on screen: "
            f"p50 {percentile(to_tile, 0.5):.0f} ms, p95 {percentile(to_tile, 0.95):.0f} ms"
        )
        print(
            f"ponds={tiles} wall_render_ms={statistics.median(renders):.0f} "
            f"tile_update_p50_ms={p50:.0f} tile_update_p95_ms={p95:.0f} "
            f"page_kb={page_kb:.0f} missed={missed}"
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if ts is not None:
            try:
                ts.drop_database()
            finally:
                ts.close()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(BENCH_DB)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
