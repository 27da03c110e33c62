"""What the bridge's pipeline costs per uplink, with in-process and with shared (Redis) dedup.

    python -m bench.pipeline_cpu [--uplinks 100000] [--batch 5000] [--nodes 1000]

Builds simulated ChirpStack v4 uplinks (``demo.fleet.BurstTemplates``), then
runs ``Pipeline.process`` over them in batches, on one core, without MQTT or
InfluxDB: parsing, time checks, lookup, de-duplication, decoding, validation and
line protocol. Run three ways: in-process dedup, shared dedup in the configured
Redis (one Lua call per batch) and shared dedup with a hostile mix (one message in
ten forged: far-future time, "NaN" RSSI, a counter of 2^70, junk gateway ids).
Uses a throw-away PostgreSQL database (``bench/scratch.py``). The last line holds
``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agrimon.settings")

from bench.scratch import scratch_database  # noqa: E402


def hostile(topic: str, body: bytes, i: int) -> tuple[str, bytes]:
    doc = json.loads(body)
    kind = (i // 10) % 4
    if kind == 0:
        doc["time"] = "2100-01-01T00:00:00Z"
    elif kind == 1:
        doc["rxInfo"][0]["rssi"] = "NaN"
    elif kind == 2:
        doc["fCnt"] = 2**70
    else:
        doc["rxInfo"] += [{"gatewayId": f"junk-{i}", "rssi": -100}]
    return topic, json.dumps(doc).encode()


def run(pipeline, messages, batch: int) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) for all batches; wall includes Redis."""
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(messages), batch):
        pipeline.process(messages[i : i + batch])
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uplinks", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--nodes", type=int, default=1000)
    args = parser.parse_args()

    with scratch_database(f"bench_pipeline_{uuid.uuid4().hex[:8]}"):
        from agrimon.config import load
        from demo.fleet import BurstTemplates, Fleet, register_fleet
        from sensors.bridge.dedup import Dedup, SharedDedup
        from sensors.bridge.pipeline import Counters, DeviceDirectory, Pipeline

        fleet = Fleet(args.nodes, lost=0.0, corrupt=0.0)
        register_fleet(fleet)
        directory = DeviceDirectory()
        directory.load()
        templates = BurstTemplates(fleet)
        messages: list[tuple[str, bytes]] = []
        while len(messages) < args.uplinks:
            messages += templates.round()
        messages = messages[: args.uplinks]
        mixed = [hostile(t, b, i) if i % 10 == 0 else (t, b) for i, (t, b) in enumerate(messages)]

        import redis

        prefix = f"bench:dedup:{uuid.uuid4().hex[:8]}:"
        redis_url = load().redis_url
        client = redis.Redis.from_url(redis_url)

        def redis_us() -> int:
            """Microseconds Redis has spent in scripts so far (any client's: run it quiet)."""
            return client.info("commandstats").get("cmdstat_evalsha", {}).get("usec", 0)

        figures = {}
        for name, dedup, batch_messages in (
            ("local", Dedup(600), messages),
            ("shared", SharedDedup(redis_url, prefix + "a:", 600), messages),
            ("shared_hostile", SharedDedup(redis_url, prefix + "b:", 600), mixed),
        ):
            pipeline = Pipeline(directory, Counters(), dedup=dedup)
            pipeline.collect_readings = False  # as a bridge without an alert hook runs
            pipeline.process(batch_messages[:1])  # connect, load the script
            spent = redis_us()
            cpu, wall = run(pipeline, batch_messages, args.batch)
            redis_cost = (redis_us() - spent) / len(batch_messages)
            rate = len(batch_messages) / cpu
            figures[f"{name}_uplinks_per_cpu_s"] = round(rate)
            figures[f"{name}_uplinks_per_wall_s"] = round(len(batch_messages) / wall)
            if name != "local":
                figures[f"{name}_redis_us_per_uplink"] = round(redis_cost, 2)
            c = pipeline.counters
            print(
                f"{name}: {rate:,.0f} uplinks per CPU second, "
                f"{len(batch_messages) / wall:,.0f} per wall second"
                + (f", Redis {redis_cost:.1f} µs per uplink" if name != "local" else "")
                + f"; duplicates={c.duplicates} "
                f"clock_corrected={c.clock_corrected} fields_rejected={c.fields_rejected} "
                f"gateways_ignored={c.gateways_ignored} dedup_fallbacks={c.dedup_fallbacks}"
            )
        keys = list(client.scan_iter(prefix + "*", count=10_000))
        for i in range(0, len(keys), 10_000):
            client.delete(*keys[i : i + 10_000])
        print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
