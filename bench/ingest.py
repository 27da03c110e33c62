"""Ingestion figures on this machine: simulator → Mosquitto → bridge → InfluxDB.

    python -m bench.ingest [--rate 20000] [--seconds 20] [--bridges 2] [--publishers 1]

Starts a private Mosquitto (``deploy/mosquitto.conf``) and N bridge processes
(``manage.py run_bridge``) sharing one subscription group, registers a simulated
fleet, publishes a burst of ChirpStack v4 uplinks at the offered rate
(``manage.py simulate_fleet --rate``) and measures the figures below. The default
offer (20,000/s) is above the 15,000/s target: the sustained figure can never exceed
the offer, so offering exactly the target would hide whether there is headroom.

- sustained uplinks/s: uplinks published / time from the first publish until the
  last one is in InfluxDB;
- publish→written latency p50/p95: each uplink's ``time`` is stamped at publish
  time and the bridge records when its batch was acknowledged by InfluxDB (p50 is
  the mean over bridges, p95 the worst bridge);
- uplinks lost: published minus the ``device`` points counted in InfluxDB (each
  uplink has exactly one); must be 0;
- the raw InfluxDB write ceiling: the same kind of line protocol POSTed directly
  (no MQTT, no decoding) at several batch sizes; the best is reported.

Uses the configured InfluxDB (``INFLUX_URL``) with a throw-away database and a
throw-away PostgreSQL database for the simulated devices (``bench/scratch.py``), so
the demo's data is never touched. The last line holds
``key=value`` pairs for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agrimon.settings")

from bench.scratch import scratch_database  # noqa: E402
from bench.support import (  # noqa: E402
    free_port,
    listening,
    mosquitto_binary,
    mosquitto_config,
    wait,
)


def start_mosquitto(state: Path) -> tuple[subprocess.Popen, int]:
    """Mosquitto as deployed, without persistence and logging, on a free port.

    The bridge acks a message only once its batch is durable, so the broker's
    ``max_inflight_messages`` (``deploy/mosquitto.conf``) caps the batch size.
    """
    port = free_port()
    proc = subprocess.Popen([mosquitto_binary(), "-c", str(mosquitto_config(state, port))])
    wait(lambda: listening(port), 20, "mosquitto")
    return proc, port


def ceiling(ts, lines: list[str], seconds_per_size: float = 3.0) -> tuple[float, int]:
    """Best points/s writing ``lines`` straight to InfluxDB, over a few batch sizes."""
    best = (0.0, 0)
    for size in (1000, 5000, 10000, 20000):
        chunks = [
            "\n".join(lines[i : i + size]).encode() for i in range(0, len(lines) - size + 1, size)
        ]
        written = 0
        started = time.monotonic()
        i = 0
        while time.monotonic() - started < seconds_per_size:
            ts.write_lines(chunks[i % len(chunks)])
            written += size
            i += 1
        rate = written / (time.monotonic() - started)
        print(f"  ceiling: batch {size:>6}: {rate:,.0f} points/s")
        best = max(best, (rate, size))
    return best


def ceiling_lines(n: int) -> list[str]:
    """Line protocol shaped like the bridge's: soil/water + device points, 100 devices."""
    from sensors.timeseries import encode_line, tag_set

    base = time.time_ns() - 3600 * 10**9
    out = []
    for i in range(n):
        dev = f"5aff{i % 100:012x}"
        tags = tag_set(
            {"org": "1", "region": "421083", "farm": "1", "site": str(i % 7), "device": dev}
        )
        t = base + i * 1000
        if i % 2:
            fields = {"do": 6.5, "water_temp": 26.1, "ph": 7.6, "battery_v": 3.9, "tan": 0.6}
            out.append(encode_line("water", tags, fields, t))
        else:
            fields = {"soil_vwc": 31.2, "soil_temp": 22.0, "soil_ec": 1100.0, "battery_v": 3.9}
            out.append(encode_line("soil", tags, fields, t))
        out.append(
            encode_line("device", tags, {"rssi": -80.0, "snr": 7.5, "f_cnt": i, "gateways": 2}, t)
        )
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (also readable for an exited, unreaped child)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20000, help="offered uplinks/s")
    parser.add_argument("--seconds", type=float, default=20, help="length of the burst")
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--bridges", type=int, default=2)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument("--max-batch", type=int, default=5000)
    parser.add_argument(
        "--on-readings",
        default="",
        help="hook each bridge hands its batches to, e.g. alerts.engine:on_bridge_readings",
    )
    args = parser.parse_args()
    with scratch_database("agrimon_bench_ingest"):
        run(args)


def run(args: argparse.Namespace) -> None:
    from agrimon.config import load
    from demo.fleet import Fleet, register_fleet
    from sensors.timeseries import TimeSeries

    config = load()
    db = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    prefix = f"bench{uuid.uuid4().hex[:6]}/"
    ts = TimeSeries(
        config.influx_url,
        db,
        username=config.influx_username,
        password=config.influx_password,
        timeout=60,
    )
    ts.ensure_database("30d")
    state = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    procs: list[subprocess.Popen] = []
    fleet = None
    try:
        print(f"InfluxDB {config.influx_url} database {db}; state {state}")
        # The ceiling gets its own database so its points do not count as uplinks.
        raw = TimeSeries(
            config.influx_url,
            db + "_ceiling",
            username=config.influx_username,
            password=config.influx_password,
            timeout=60,
        )
        raw.ensure_database("30d")
        try:
            best_rate, best_size = ceiling(raw, ceiling_lines(60_000))
        finally:
            raw.drop_database()
            raw.close()

        # All nodes exist in the device table before the bridges load their directory.
        fleet = Fleet(args.nodes, seed=11, lost=0.0, corrupt=0.0, prefix=prefix)
        register_fleet(fleet)

        mosq, mqtt_port = start_mosquitto(state)
        procs.append(mosq)
        env = dict(os.environ, PYTHONUNBUFFERED="1", AGRIMON_STATE_DIR=str(state))
        manage = [sys.executable, str(REPO / "manage.py")]
        metrics_ports = []
        for i in range(args.bridges):
            port = free_port()
            metrics_ports.append(port)
            options = {
                "mqtt_url": f"mqtt://127.0.0.1:{mqtt_port}",
                "influx_db": db,
                "client_id": f"bench-{i}",
                "share_group": "bench",
                "topic_prefix": prefix,
                "metrics_port": port,
                "max_batch": args.max_batch,
                "log_interval_s": 5.0,
            }
            if args.on_readings:
                options["on_readings"] = args.on_readings
            cmd = [*manage, "run_bridge"]
            for key, value in options.items():
                cmd += ["--" + key.removesuffix("_s").replace("_", "-"), str(value)]
            log = open(state / f"bridge-{i}.log", "w")  # noqa: SIM115 - closed with the process
            procs.append(
                subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
            )
        for port in metrics_ports:
            wait(lambda p=port: status(p).get("connected"), 60, "bridges to connect")

        # CPU spent starting up (Django, imports) is not per-uplink work.
        bridge_cpu0 = sum(cpu_seconds(p.pid) for p in procs[1:])
        broker_cpu0 = cpu_seconds(mosq.pid)
        total = int(args.rate * args.seconds)
        per_pub = total // args.publishers
        nodes_per_pub = args.nodes // args.publishers
        started = time.monotonic()
        pubs = []
        for i in range(args.publishers):
            # Each publisher simulates its own slice of the fleet (--first-node).
            pubs.append(
                subprocess.Popen(
                    [
                        *manage,
                        "simulate_fleet",
                        "--no-register",
                        "--nodes",
                        str(nodes_per_pub),
                        "--first-node",
                        str(i * nodes_per_pub),
                        "--seed",
                        str(100 + i),
                        "--rate",
                        str(args.rate / args.publishers),
                        "--count",
                        str(per_pub),
                        "--topic-prefix",
                        prefix,
                        "--mqtt-url",
                        f"mqtt://127.0.0.1:{mqtt_port}",
                        "--client-id",
                        f"pub-{i}",
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                    text=True,
                )
            )
        print(
            f"publishing {per_pub * args.publishers} uplinks at {args.rate:.0f}/s "
            f"from {args.publishers} publisher(s) to {args.bridges} bridge(s)"
        )
        published = per_pub * args.publishers

        def written() -> int:
            return sum(status(p).get("uplinks_written", 0) for p in metrics_ports)

        deadline = time.monotonic() + args.seconds * 6 + 60
        last, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = written()
            if n >= published:
                break
            if n != last:
                last, last_change = n, time.monotonic()
            elif time.monotonic() - last_change > 20:
                break  # stalled
            time.sleep(0.05)
        finished = time.monotonic()
        bridge_cpu = sum(cpu_seconds(p.pid) for p in procs[1:]) - bridge_cpu0
        broker_cpu = cpu_seconds(mosq.pid) - broker_cpu0
        for p in pubs:
            os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        publisher_cpu = sum(cpu_seconds(p.pid) for p in pubs)
        for p in pubs:
            out, _ = p.communicate(timeout=60)
            for line in out.strip().splitlines()[-2:]:
                print("  publisher: " + line)
        statuses = [status(p) for p in metrics_ports]
        rows = ts.query('SELECT count("f_cnt") FROM "raw"."device"')
        in_influx = rows[0]["values"][0][1] if rows else 0
        lost = published - in_influx
        elapsed = finished - started
        rate = in_influx / elapsed
        p50s = [s["p50_ms"] for s in statuses if s.get("p50_ms") is not None]
        p95s = [s["p95_ms"] for s in statuses if s.get("p95_ms") is not None]
        p50 = sum(p50s) / len(p50s) if p50s else float("nan")
        p95 = max(p95s) if p95s else float("nan")
        for i, s in enumerate(statuses):
            print(
                f"  bridge {i}: received={s.get('received')} written={s.get('uplinks_written')} "
                f"dead={s.get('dead_lettered')} dup={s.get('duplicates')} p95={s.get('p95_ms')}"
            )
        print(
            f"published {published} in-influx {in_influx} in {elapsed:.2f}s; "
            f"ceiling best batch {best_size}; bridge/ceiling = "
            f"{rate * 2 / best_rate:.2f} (2 points per uplink)"
        )
        per = 1e6 / max(1, in_influx)
        print(
            f"CPU per uplink: bridges {bridge_cpu * per:.0f} µs, broker {broker_cpu * per:.0f} µs, "
            f"publishers {publisher_cpu * per:.0f} µs (one core = 1e6 µs/s)"
        )
        print(f"latency p50 {p50:.0f} ms (mean over bridges), p95 {p95:.0f} ms (worst bridge)")
        print(
            f"uplinks_per_s={rate:.0f} p95_ms={p95:.0f} lost={lost} "
            f"ceiling_points_per_s={best_rate:.0f}"
        )
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if fleet is not None:
            from sensors.models import Device

            Device.objects.filter(dev_eui__in=[n.dev_eui for n in fleet.nodes]).delete()
        ts.drop_database()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
