"""Water, pest and lot pages: their figures from roll-ups, reviewed counts and the gate."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from demo.traceability import seed_trace_demo
from farm.models import Region
from regional.services import reports
from regional.services.report_files import report_xlsx
from regional.tests.world import WEEK, build
from traceability import vocab
from traceability.models import Lot, TraceEvent
from traceability.printing import certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo, influx, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build(influx)


def test_water_hours_below_breaches_and_gaps_from_the_rollups(world, jingzhou):
    page = jingzhou.get(f"/regional/water/?region=421083&week={WEEK.monday}")
    report = page.context["report"]
    ponds = {p.site_id: p for p in report.ponds}
    a, b = ponds[world.pond_a.pk], ponds[world.pond_b.pk]
    assert (a.hours_with_data, a.hours_below, a.worst_day_hours, a.breached) == (168, 21, 9, True)
    assert a.min_do == pytest.approx(3.5) and a.nh3_peak == pytest.approx(0.03)
    assert (a.prev_hours_below, a.prev_breached) == (4, False)
    assert (b.hours_with_data, b.hours_below, b.breached) == (100, 0, False)
    gaps = [p for p in report.ponds if not p.has_data]
    assert len(gaps) == len(report.ponds) - 2
    html = page.content.decode()
    assert html.count("无数据：缺测，不是零") == len(gaps)  # a gap, never "0 hours"
    (county,) = report.by_county
    assert (county.hours_below, county.ponds_breached, county.gap_ponds) == (21, 1, len(gaps))
    assert county.hours_below_change == 21 - 4


def test_water_is_scoped_to_the_reviewers_county(world, honghu):
    assert honghu.get("/regional/water/?region=421088").status_code == 404
    report = honghu.get(f"/regional/water/?week={WEEK.monday}").context["report"]
    assert {p.county for p in report.ponds} == {"421083"}


def test_pests_reviewed_counts_first_week_over_week_and_threshold(world, jingzhou):
    page = jingzhou.get(f"/regional/pests/?region=421000&week={WEEK.monday}")
    report = page.context["report"]
    (row,) = report.rows
    assert (row.county.code, row.species, row.catch, row.prev_catch) == (
        "421088", "brown_planthopper", 12, 4
    )  # fmt: skip
    assert (row.change_pct, row.per_trap, row.threshold, row.above) == (200.0, 12.0, 10, True)
    assert row.county.pending_review == 1
    # photos on Tuesday (7 reviewed of 10) and Thursday (5); other days had no photo: gaps
    assert report.daily["brown_planthopper"] == [None, 7, None, 5, None, None, None]
    assert report.weekly["brown_planthopper"][-2:] == [4, 12]
    assert report.weekly["brown_planthopper"][0] is None  # no photo eight weeks ago
    assert 'data-testid="above"' in page.content.decode()


def test_lots_held_with_reasons_released_and_shipped_per_county(demo, influx, jingzhou):
    seed_trace_demo()
    page = jingzhou.get("/regional/lots/?region=421000")
    report = page.context["report"]
    period = report.period
    held = {h.lot.lot_number: h for h in report.held}
    assert "CJ-LX-01" in held and "inspection" in held["CJ-LX-01"].kinds
    harvested = Lot.objects.filter(status=Lot.Status.HARVESTED).count()
    assert report.total.held + report.total.waiting == harvested
    for county in report.counties:
        events = TraceEvent.objects.filter(
            lot__origin__farm__region_id=county.code,
            event_time__gte=period.start,
            event_time__lt=period.end,
        )
        assert county.released == events.filter(biz_step=vocab.RELEASE).count()
        assert county.shipped == events.filter(biz_step=vocab.SHIPPING).count()
    assert "CJ-LX-01" in page.content.decode()


def test_certificates_issued_are_the_producers_recorded_prints_per_county(
    demo, influx, jingzhou, settings
):
    settings.RESOLVER_DOMAIN = "trace.example.cn"  # codes are printed only for a public domain
    seed_trace_demo()
    released = Lot.objects.filter(status=Lot.Status.RELEASED).select_related("origin__farm")
    lot = released.first()
    assert lot is not None, "the trace demo releases a lot"
    producer = get_user_model().objects.get(username="manager_honghu")
    certificate(lot, producer, record=True)
    certificate(lot, producer, record=True)  # printed again: two certificates handed out
    certificate(lot, producer)  # viewed only, not issued
    report = jingzhou.get("/regional/lots/?region=421000").context["report"]
    county = next(c for c in report.counties if c.code == lot.origin.farm.region_id)
    assert county.certificates == 2
    assert report.total.certificates == 2
    assert all(c.certificates == 0 for c in report.counties if c is not county)
    # the weekly report carries the same count in its traceability table
    region = Region.objects.get(code="421000")
    figures = reports.compute_figures(region, report.period, timezone.now())
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(figures)))
    sheet = next(ws for ws in book.worksheets if ws.title.endswith("追溯"))
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0] == county.name}
    assert rows[county.name][4] == 2
