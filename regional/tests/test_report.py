"""The weekly report: its PDF text and XLSX cells against the database, and its mailing."""

from __future__ import annotations

import io
import socket
from email import message_from_bytes

import openpyxl
import pypdfium2
import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from alerts.models import Incident
from farm.models import Farm, Membership, Pond, Region, Role
from regional.models import ReportSubscription, WeeklyReport
from regional.services import reports
from regional.tests.conftest import login
from regional.tests.world import NOW, WEEK, build
from sensors.models import Device

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def world(demo, influx, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build(influx)


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def sheet_rows(book, prefix: str) -> list[list]:
    ws = next(ws for ws in book.worksheets if ws.title.startswith(prefix))
    return [list(r) for r in ws.iter_rows(values_only=True)]


def make(region_code: str) -> WeeklyReport:
    report = WeeklyReport.objects.create(region_id=region_code, week_start=WEEK.monday)
    reports.generate(report, NOW, mail=True)
    report.refresh_from_db()
    assert report.status == WeeklyReport.Status.READY, report.error
    return report


def test_report_figures_pdf_and_xlsx_match_the_database(world, smtp):
    report = make("421000")
    fig = report.figures
    book = openpyxl.load_workbook(io.BytesIO(report.xlsx.read()))
    text = pdf_text(report.pdf.read())

    # devices and incidents per county, straight from the database
    by_region = {r[0]: r for r in sheet_rows(book, "2 ")[3:]}
    honghu = by_region["洪湖市"]
    devices = Device.objects.filter(farm__region_id="421083")
    assert honghu[4] == devices.count() == 3
    assert honghu[5] == 1 and honghu[6] == 1 and honghu[7] == 1 and honghu[8] == 1
    opened = Incident.objects.filter(
        farm__region_id="421083", opened_at__gte=WEEK.start, opened_at__lt=WEEK.end
    )
    assert honghu[12] == opened.count() == 2
    assert honghu[13] == opened.filter(acknowledged_at__isnull=False).count() == 2
    assert honghu[14] == 12.0 and honghu[15] == pytest.approx(18.4)  # 4 and 20 minutes
    jianli = by_region["监利市"]
    assert jianli[14] == "无数据"  # nothing acknowledged: a gap, not 0 minutes
    assert fig["overview"]["opened"] == Incident.objects.count() == 3

    # water: hours below and breaches from the roll-ups; ponds without data are gaps
    water = {r[0]: r for r in sheet_rows(book, "4 ")[3:]}
    ponds = Pond.objects.filter(farm__region_id="421083").count()
    coverage = pytest.approx(100 * (168 + 100) / (168 * ponds), abs=0.1)
    assert water["洪湖市"][1:9] == [ponds, 2, ponds - 2, coverage, 21, 4, 1, 0]
    assert water["洪湖市"][9] == pytest.approx(0.03)
    assert water["监利市"][5] == "无数据"  # no pond there reported: no data, not 0 hours

    # pests: the reviewed count (7) replaces the model's (10) on the first photo
    pests = sheet_rows(book, "5 ")[3:]
    assert pests == [["监利市", "褐飞虱", 12, 4, 200.0, 1, 12.0, 10, "是"]]

    # the same numbers are in the PDF, with the page each comes from
    assert "荆州市 农业监测周报（2026-11-23 至 2026-11-29）" in text
    water_page = "对应页面：http://127.0.0.1:8000/regional/water/?region=421000&week=2026-11-23"
    for needle in ("洪湖市", "褐飞虱", "18.4", "200.0", water_page):
        assert needle in text.replace("\r", ""), needle
    assert "公安县：本周没有虫情照片。" in text


def test_report_is_mailed_only_to_subscribers_who_may_still_read_the_region(world, smtp):
    User = get_user_model()
    jingzhou = User.objects.get(username="bureau_jingzhou")
    jingzhou.email = "jingzhou@example.org"
    jingzhou.save()
    moved = User.objects.get(username="bureau_honghu")  # subscribed while a city reviewer
    moved.email = "honghu@example.org"
    moved.save()
    ReportSubscription.objects.create(user=jingzhou, region_id="421000")
    ReportSubscription.objects.create(user=moved, region_id="421000")
    assert Membership.objects.get(user=moved, role=Role.BUREAU).region_id == "421083"
    report = make("421000")
    assert [m[0] for m in smtp.messages] == [["jingzhou@example.org"]]
    mail = message_from_bytes(smtp.messages[0][1])
    names = [p.get_filename() for p in mail.walk() if p.get_filename()]
    assert names == ["weekly-421000-2026-11-23.pdf", "weekly-421000-2026-11-23.xlsx"]
    log = {e["user"]: (e["outcome"], e["reason"]) for e in report.mail_log}
    assert log == {
        "bureau_jingzhou": ("sent", ""),
        "bureau_honghu": ("skipped", "no longer a reviewer of this region"),
    }


def test_a_region_with_no_farms_gets_a_report_that_says_so(world, smtp):
    report = make("421002")
    assert "本区域没有登记的农场。" in pdf_text(report.pdf.read())
    assert report.figures["overview"]["farms"] == 0


def test_reports_list_downloads_and_scope(world, smtp, jingzhou, honghu):
    report = make("421000")
    listed = jingzhou.get("/regional/reports/?region=421000")
    assert f"?id={report.pk}&kind=pdf" in listed.content.decode()
    pdf = jingzhou.get(f"/regional/reports/file?id={report.pk}&kind=pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert honghu.get(f"/regional/reports/file?id={report.pk}&kind=pdf").status_code == 404
    assert jingzhou.get(f"/regional/reports/file?id={report.pk}&kind=exe").status_code == 404
    assert jingzhou.get("/regional/reports/file?id=x").status_code == 404


def test_a_report_is_generated_on_demand_for_a_past_week_only(world, jingzhou):
    response = jingzhou.post(
        "/regional/reports/?region=421083", {"action": "generate", "week": "2026-11-23"}
    )
    assert response.status_code == 302
    assert WeeklyReport.objects.filter(region_id="421083", week_start=WEEK.monday).exists()
    assert (
        jingzhou.post(
            "/regional/reports/?region=421083", {"action": "generate", "week": "2999-01-01"}
        ).status_code
        == 400
    )
    assert (
        jingzhou.post(
            "/regional/reports/?region=421083", {"action": "generate", "week": "junk"}
        ).status_code
        == 400
    )
    assert jingzhou.post("/regional/reports/?region=421083", {"action": "x"}).status_code == 400


def test_beat_task_requests_last_weeks_report_for_every_watched_region(world, settings):
    from regional.tasks import weekly_reports

    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert weekly_reports() == Region.objects.filter(code__in=["421000", "421083"]).count()


def test_a_report_requested_by_a_reviewer_who_then_moves_is_made_for_the_region_not_them(
    world, smtp
):
    User = get_user_model()
    reviewer = User.objects.get(username="bureau_honghu")
    reviewer.email = "honghu@example.org"
    reviewer.save()
    ReportSubscription.objects.create(user=reviewer, region_id="421083")
    report = reports.request_report(Region.objects.get(code="421083"), WEEK, reviewer)
    # between the request and the run, the reviewer is moved to another county
    Membership.objects.filter(user=reviewer, role=Role.BUREAU).update(region_id="421088")
    reports.generate(report, NOW, mail=True)
    report.refresh_from_db()
    assert report.status == WeeklyReport.Status.READY
    assert report.figures["overview"]["farms"] == Farm.objects.filter(region_id="421083").count()
    assert smtp.messages == []
    assert report.mail_log == [
        {
            "user": "bureau_honghu",
            "outcome": "skipped",
            "reason": "no longer a reviewer of this region",
        }
    ]
    moved = login("bureau_honghu")
    assert moved.get(f"/regional/reports/file?id={report.pk}&kind=pdf").status_code == 404
    assert moved.get("/regional/reports/?region=421083").status_code == 404
