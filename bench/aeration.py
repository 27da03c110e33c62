"""Aerator command figures: command → downlink at the network server → confirming uplink.

    python -m bench.aeration [--trials 60] [--aerators 10] [--keep]

End to end through the real path: a private Mosquitto (``deploy/mosquitto.conf``), one
bridge process (``manage.py run_bridge`` with the alert engine and the aeration hook, as
in the Procfile) on a private influxd, and simulated Dragino LT-22222-L controllers
(``demo.relays``) that obey each ``command/down`` message and answer at once
with an uplink, as the device does. Each trial switches one aerator (on and off in turn)
with ``aeration.control.request`` and measures from just before the call to

* ``downlink``: the simulated device receiving the ChirpStack command message;
* ``confirm``: the command's row reading ``confirmed`` (the bridge decoded the answer, the
  hook matched it), polled every 5 ms.

The hook's cost for the bridge's hot path: ``aeration.bridge_hook.on_bridge_readings`` on
batches of 5,000 readings of water nodes without automatic aerators (the usual batch),
timed in this process.

Uses its own resources only: the PostgreSQL database ``agrimon_bench_aeration`` (dropped at
the end unless ``--keep``), a private influxd and Mosquitto in a temporary directory. The
last line holds ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agrimon.settings")

from bench.scratch import scratch_database  # noqa: E402
from tests.servers import PrivateBroker, PrivateInflux, wait_for  # noqa: E402

HOOKS = "alerts.engine:on_bridge_readings,aeration.bridge_hook:on_bridge_readings"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def world(n: int, app: str):
    from aeration.models import Aerator, RelayController
    from farm.models import Farm, Organisation, Pond, Region
    from sensors.models import Device, DeviceProfile

    region = Region.objects.create(code="421083", name="洪湖市", level="county")
    org = Organisation.objects.create(name="基准合作社", region=region)
    farm = Farm.objects.create(organisation=org, region=region, name="基准渔场", kind="aquaculture")
    DeviceProfile.objects.get_or_create(id="dragino-lt22222l", defaults={"name": "LT-22222-L"})
    aerators = []
    for i in range(n):
        pond = Pond.objects.create(
            farm=farm,
            name=f"{i + 1}号塘",
            area_m2=Decimal("6000"),
            species="草鱼",
            depth_m=Decimal("2.0"),
        )
        device = Device.objects.create(
            dev_eui=f"a8404100{i:08x}", farm=farm, site=pond, profile_id="dragino-lt22222l"
        )
        controller = RelayController.objects.create(device=device, application_id=app)
        aerators.append(
            Aerator.objects.create(pond=pond, name="1号增氧机", controller=controller, channel=1)
        )
    return aerators


def hook_cost(batches: int = 50, size: int = 5000) -> float:
    """Microseconds per call of the aeration hook on a batch without relay or auto-pond DO."""
    from aeration import bridge_hook
    from vocabulary.events import ReadingEvent

    metrics = ("do", "water_temp", "ph", "do_sat", "battery_v", "rssi", "snr")
    batch = [
        ReadingEvent(i, f"{i:016x}", 10_000 + i, 1, metrics[i % len(metrics)], 5.0, time.time_ns())
        for i in range(size)
    ]
    bridge_hook.on_bridge_readings(batch)  # fills the automatic-ponds cache
    t = time.perf_counter()
    for _ in range(batches):
        bridge_hook.on_bridge_readings(batch)
    return (time.perf_counter() - t) / batches * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--aerators", type=int, default=10)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-aeration-"))
    with scratch_database("agrimon_bench_aeration", keep=args.keep) as db_url:
        from aeration import control
        from aeration.models import Command
        from demo.relays import RelayFleet, SimulatedRelay

        broker = PrivateBroker(tmp / "mqtt").start()
        influx = PrivateInflux(tmp / "influx").start()
        bridge = None
        fleet = None
        try:
            app = str(uuid.uuid4())
            aerators = world(args.aerators, app)
            env = {**os.environ, "DATABASE_URL": db_url, "AGRIMON_STATE_DIR": str(tmp / "state")}
            bridge = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "run_bridge",
                    "--client-id",
                    "bench-aeration",
                    "--mqtt-url",
                    broker.url,
                    "--influx-url",
                    influx.url,
                    "--influx-db",
                    "bench_aeration",
                    "--state-dir",
                    str(tmp / "state"),
                    "--on-readings",
                    HOOKS,
                ],
                cwd=REPO,
                env=env,
                stdout=open(tmp / "bridge.log", "wb"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
            sims = [
                SimulatedRelay(a.controller.device.dev_eui, app, "dragino-lt22222l")
                for a in aerators
            ]
            fleet = RelayFleet(broker.url, sims)
            last = [0.0]

            def reported() -> bool:
                # The bridge subscribes once it is up; report again until its answers show.
                if time.monotonic() - last[0] > 1:
                    fleet.report_all()
                    last[0] = time.monotonic()
                return all(a.reported_at for a in type(aerators[0]).objects.all())

            wait_for(reported, 90, "first reports through the bridge", 0.1)
            downs, confirms, unconfirmed = [], [], 0
            for i in range(args.trials):
                a = aerators[i % len(aerators)]
                on = (i // len(aerators)) % 2 == 0
                eui = a.controller.device.dev_eui
                t0 = time.monotonic()
                cmd = control.request(a.pk, on, rule="bench", reason="bench", mqtt_url=broker.url)
                try:
                    wait_for(
                        lambda e=eui, t=t0: fleet.received.get(e, 0) > t, 10, "downlink", 0.001
                    )
                    downs.append((fleet.received[eui] - t0) * 1000)
                    wait_for(
                        lambda c=cmd: Command.objects.filter(pk=c.pk, status="confirmed").exists(),
                        15,
                        "confirmation",
                        0.005,
                    )
                    confirms.append((time.monotonic() - t0) * 1000)
                except TimeoutError:
                    unconfirmed += 1
                print(
                    f"trial {i + 1}: confirm {confirms[-1] if confirms else 0:.0f} ms", flush=True
                )
            cost = hook_cost()
        finally:
            if fleet:
                fleet.close()
            if bridge:
                bridge.terminate()
                bridge.wait(30)
            broker.stop()
            influx.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"commands={args.trials} unconfirmed={unconfirmed} "
        f"downlink_p50_ms={pct(downs, 0.5):.1f} downlink_p95_ms={pct(downs, 0.95):.1f} "
        f"confirm_p50_ms={pct(confirms, 0.5):.0f} confirm_p95_ms={pct(confirms, 0.95):.0f} "
        f"hook_us_per_5000_readings={cost:.0f}"
    )


if __name__ == "__main__":
    main()
