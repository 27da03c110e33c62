"""Regional pages and the weekly report at province scale, on this machine.

    python -m bench.regional [--farms 2000] [--devices 10000] [--incidents 50000]
                             [--days 365] [--requests 20] [--keep]

A throw-away PostgreSQL database (``agrimon_bench_regional``) and a private influxd get the
demo plus ``manage.py generate_regional_load`` (about 2,000 farms, 10,000 devices, 50,000
incidents, a year of hourly roll-ups per pond). Then, in this process, the server time of
each page (Django's test client: view, queries, InfluxDB, template; no network or browser)
for the province, the city (荆州市) and counties, as their reviewers, and the time to
generate a city's weekly report (figures, PDF and XLSX; no mail). The time is split into
PostgreSQL, InfluxDB and the rest (Python and templates).

Last line: ``region_page_p95_ms=`` (the city's and counties' region pages, the goal's pages)
``weekly_report_s=`` (the slower of the city's and the province's report) and the figures
beside them: each kind of page, the province, and every page together.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from bench.scratch import create_database, drop_database  # noqa: E402

BENCH_DB = "agrimon_bench_regional"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


class Split:
    """Wall time spent in PostgreSQL (Django's execute wrapper) and in InfluxDB (HTTP)."""

    def __init__(self) -> None:
        self.sql = 0.0
        self.influx = 0.0

    def sql_wrapper(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - t

    @contextmanager
    def watching(self):
        from django.db import connection

        from sensors import timeseries

        original = timeseries.TimeSeries._request

        def timed(ts, *a, **kw):
            t = time.perf_counter()
            try:
                return original(ts, *a, **kw)
            finally:
                self.influx += time.perf_counter() - t

        timeseries.TimeSeries._request = timed
        try:
            with connection.execute_wrapper(self.sql_wrapper):
                yield self
        finally:
            timeseries.TimeSeries._request = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--farms", type=int, default=2000)
    parser.add_argument("--devices", type=int, default=10000)
    parser.add_argument("--incidents", type=int, default=50000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--keep", action="store_true", help=f"keep {BENCH_DB} and the influxd files"
    )
    args = parser.parse_args()

    from tests.servers import PrivateInflux

    state = Path(tempfile.mkdtemp(prefix="bench-regional-"))
    influx = PrivateInflux(state / "influx").start()  # its own influxd: no other load on it
    influx_db = f"bench_regional_{uuid.uuid4().hex[:8]}"
    os.environ.update(
        INFLUX_URL=influx.url,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
        INFLUX_DB=influx_db,
        DJANGO_SETTINGS_MODULE="agrimon.settings",
        AGRIMON_STATE_DIR=str(REPO / ".state" / "bench-regional"),
    )
    create_database(BENCH_DB)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from demo.farm import seed_demo

        seed_demo()
        t = time.monotonic()
        call_command(
            "generate_regional_load",
            farms=args.farms,
            devices=args.devices,
            incidents=args.incidents,
            days=args.days,
        )
        generate_s = time.monotonic() - t
        figures = run(args)
        figures["generate_s"] = round(generate_s, 1)
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
    finally:
        influx.stop()
        if not args.keep:
            shutil.rmtree(state, ignore_errors=True)
            from django.db import connections

            connections.close_all()
            drop_database(BENCH_DB)


def run(args) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from farm.models import Farm, Region
    from regional.models import WeeklyReport
    from regional.services import reports
    from regional.services.period import last_week

    User = get_user_model()
    clients = {}
    for name in ("bureau_hubei", "bureau_jingzhou"):
        c = Client()
        c.force_login(User.objects.get(username=name))
        clients[name] = c
    counties = list(
        Region.objects.filter(code__in=Farm.objects.values("region_id"))
        .exclude(code__startswith="4210")
        .order_by("code")
        .values_list("code", flat=True)[:3]
    ) + ["421083"]
    week = last_week().monday.isoformat()
    pages = [("bureau_hubei", f"/regional/?region=420000&week={week}", "province")]
    pages += [("bureau_jingzhou", f"/regional/?region=421000&week={week}", "city")]
    pages += [("bureau_jingzhou", f"/regional/water/?region=421000&week={week}", "city_water")]
    pages += [("bureau_hubei", f"/regional/?region={c}&week={week}", "county") for c in counties]
    pages += [
        ("bureau_hubei", f"/regional/water/?region={c}&week={week}", "county_water")
        for c in counties
    ]
    pages += [
        ("bureau_hubei", f"/regional/farms.geojson?region=420000&week={week}", "province_map")
    ]
    times: dict[str, list[float]] = {}
    split = Split()
    total = 0.0
    for user, url, _kind in pages:  # warm-up: connections, templates, caches
        assert clients[user].get(url).status_code == 200, url
    with split.watching():
        for _ in range(args.requests):
            for user, url, kind in pages:
                t = time.perf_counter()
                response = clients[user].get(url)
                elapsed = time.perf_counter() - t
                assert response.status_code == 200, url
                times.setdefault(kind, []).append(elapsed * 1000)
                total += elapsed
    page_sql, page_influx = split.sql, split.influx
    for kind, values in times.items():
        print(
            f"{kind:14s} n={len(values):3d} p50={statistics.median(values):7.1f} ms "
            f"p95={p95(values):7.1f} ms"
        )
    everything = [v for values in times.values() for v in values]
    print(
        f"page time: PostgreSQL {100 * page_sql / total:.0f} %, InfluxDB "
        f"{100 * page_influx / total:.0f} %, Python and templates "
        f"{100 * (total - page_sql - page_influx) / total:.0f} %"
    )

    report_times = []
    split = Split()
    with split.watching():
        for region in ("421000", "420000"):
            report = WeeklyReport.objects.create(region_id=region, week_start=last_week().monday)
            t = time.perf_counter()
            reports.generate(report, mail=False)
            report_times.append(time.perf_counter() - t)
            report.refresh_from_db()
            assert report.status == "ready", report.error
            print(
                f"weekly report {region}: {report_times[-1]:.2f} s, PDF {report.pdf.size} B, "
                f"XLSX {report.xlsx.size} B"
            )
    rep_total = sum(report_times)
    print(
        f"report time: PostgreSQL {100 * split.sql / rep_total:.0f} %, InfluxDB "
        f"{100 * split.influx / rep_total:.0f} %, the rest "
        f"{100 * (rep_total - split.sql - split.influx) / rep_total:.0f} %"
    )
    return {
        # the goal's pages: the city's and the counties' region pages (drill-down and map)
        "region_page_p95_ms": round(p95(times["city"] + times["county"]), 1),
        "weekly_report_s": round(max(report_times), 2),
        "city_p95_ms": round(p95(times["city"]), 1),
        "county_p95_ms": round(p95(times["county"]), 1),
        "province_p95_ms": round(p95(times["province"]), 1),
        "water_p95_ms": round(p95(times["city_water"] + times["county_water"]), 1),
        "province_map_p95_ms": round(p95(times["province_map"]), 1),
        "all_pages_p95_ms": round(p95(everything), 1),
        "farms": Farm.objects.count(),
    }


if __name__ == "__main__":
    main()
