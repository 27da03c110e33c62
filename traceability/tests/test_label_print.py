"""Printing labels and the 合格证 from the lot's label page.

Printing is a POST that counts the labels issued and is recorded (who, when, how many,
which size; reprints point at the job they repeat); a GET shows the page or previews
one sheet and changes nothing. The gate governs printing: nothing for a lot that may not
be released, refused with the reason. In production the codes' domain must be public.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.test import Client

from demo.farm import DEMO_PASSWORD
from traceability import documents, lots
from traceability.models import Lot, PrintJob, ProducerDetails

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _pages(resp) -> int:
    return len(pypdfium2.PdfDocument(b"".join(resp.streaming_content)))


def _url(lot: Lot) -> str:
    return f"/trace/lots/{lot.pk}/labels/"


@pytest.fixture
def manager(demo):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="manager_honghu")


@pytest.fixture
def released_lot(fish_lot, manager):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿"])
    lots.release(fish_lot, manager)
    fish_lot.refresh_from_db()
    return fish_lot


def test_the_label_page_shows_the_domain_the_codes_carry(login, released_lot):
    page = login("farmer_wang").get(_url(released_lot))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="origin">https://trace.example.cn<' in html
    assert f"https://trace.example.cn/t/{released_lot.trace_code}" in html


def test_a_preview_changes_nothing_and_shows_one_sheet(login, released_lot):
    resp = login("farmer_wang").get(_url(released_lot), {"template": "a4-3x8", "count": 5000})
    assert resp.status_code == 200 and "preview" in resp["Content-Disposition"]
    assert _pages(resp) == 1
    released_lot.refresh_from_db()
    assert released_lot.label_count == 0 and not released_lot.print_jobs.exists()


def test_printing_is_a_post_counted_and_recorded(login, released_lot):
    resp = login("farmer_wang").post(_url(released_lot), {"template": "a4-3x8", "count": 48})
    assert resp.status_code == 200 and _pages(resp) == 2
    released_lot.refresh_from_db()
    assert released_lot.label_count == 48
    job = released_lot.print_jobs.get()
    assert (job.kind, job.template, job.copies, job.printed_by.username) == (
        "labels", "a4-3x8", 48, "farmer_wang",
    )  # fmt: skip
    assert job.code == f"https://trace.example.cn/t/{released_lot.trace_code}"


@pytest.mark.parametrize("template", ["thermal-40x30", "thermal-50x30", "thermal-60x40"])
def test_thermal_labels_are_one_per_page_at_their_size(login, released_lot, template):
    resp = login("farmer_wang").post(_url(released_lot), {"template": template, "count": 3})
    doc = pypdfium2.PdfDocument(b"".join(resp.streaming_content))
    width, height = (int(n) for n in template.split("-")[1].split("x"))
    assert len(doc) == 3
    w, h = doc[0].get_size()
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (width, height)


def test_a_reprint_is_recorded_against_the_job_it_repeats(login, released_lot):
    client = login("farmer_wang")
    client.post(_url(released_lot), {"template": "thermal-50x30", "count": 20})
    first = released_lot.print_jobs.get()
    resp = client.post(
        _url(released_lot), {"template": "thermal-50x30", "count": 5, "reprint_of": first.pk}
    )
    assert resp.status_code == 200
    reprint = released_lot.print_jobs.exclude(pk=first.pk).get()
    assert reprint.reprint_of == first and reprint.copies == 5
    assert Lot.objects.get(pk=released_lot.pk).label_count == 25
    page = client.get(_url(released_lot)).content.decode()
    assert page.count('data-testid="job"') == 2


def test_a_reprint_of_another_lots_job_is_404(login, released_lot, pond):
    other = lots.create_lot(
        lots.NewLot(origin=pond, product_name="草鱼", lot_number="CY-X", quantity=Decimal(1))
    )
    job = PrintJob.objects.create(
        lot=other, kind="labels", template="a4-3x8", copies=1, code="https://x/t/1"
    )
    resp = login("farmer_wang").post(
        _url(released_lot), {"template": "a4-3x8", "count": 1, "reprint_of": job.pk}
    )
    assert resp.status_code == 404
    assert not released_lot.print_jobs.exists()


def test_printing_without_the_csrf_token_is_refused(demo, released_lot):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="farmer_wang", password=DEMO_PASSWORD)
    assert client.post(_url(released_lot), {"template": "a4-3x8", "count": 100}).status_code == 403
    assert Lot.objects.get(pk=released_lot.pk).label_count == 0


def test_the_lot_page_links_the_label_page_and_names_the_domain(login, released_lot):
    page = login("farmer_wang").get(f"/trace/lots/{released_lot.pk}/").content.decode()
    assert f'href="{_url(released_lot)}"' in page and "https://trace.example.cn" in page


def test_the_label_page_prints_with_a_post_form(login, released_lot):
    page = login("farmer_wang").get(_url(released_lot)).content.decode()
    form = re.search(rf'<form method="(\w+)" action="{_url(released_lot)}">', page)
    assert form and form.group(1) == "post"
    assert "csrfmiddlewaretoken" in page[form.end() : form.end() + 200]


@pytest.mark.parametrize(("who", "status"), [("bureau_honghu", 403), ("farmer_zhang", 404)])
def test_labels_need_write_access_to_the_lot(login, released_lot, who, status):
    client = login(who)
    assert client.get(_url(released_lot)).status_code == status
    assert client.get(_url(released_lot), {"template": "a4-3x8", "count": 1}).status_code == status
    assert client.post(_url(released_lot), {"template": "a4-3x8", "count": 1}).status_code == status
    assert Lot.objects.get(pk=released_lot.pk).label_count == 0


# --- the gate governs labels and the certificate ---------------------------------------------


def _refused(client, lot: Lot) -> str:
    """Print, preview and certificate are all refused; the print's page says why."""
    resp = client.post(_url(lot), {"template": "thermal-50x30", "count": 10}, **ZH)
    assert resp.status_code == 409
    assert client.get(_url(lot), {"template": "a4-3x8", "count": 1}, **ZH).status_code == 409
    assert client.post(f"/trace/lots/{lot.pk}/certificate.pdf", **ZH).status_code == 409
    assert Lot.objects.get(pk=lot.pk).label_count == 0 and not lot.print_jobs.exists()
    return re.sub(r"\s+", " ", resp.content.decode())


def test_a_lot_without_its_inspection_gets_no_labels(login, fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    page = _refused(login("farmer_wang"), fish_lot)
    assert "尚无检测记录" in page  # "no inspection recorded", the gate's reason


def test_a_lot_whose_test_failed_gets_no_labels(login, fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="fail", items=["孔雀石绿"])
    page = _refused(login("farmer_wang"), fish_lot)
    assert "2026-06-19" in page and "不合格" in page


def test_a_lot_inside_a_withdrawal_period_gets_no_labels(login, fish_lot, pond):
    today = date.today()
    lots.record_input(
        pond, kind="vet_drug", product="恩诺沙星粉", dose=Decimal("1"), dose_unit="kg",
        applied_on=today - timedelta(days=3), withdrawal_days=25,
    )  # fmt: skip
    lots.harvest(fish_lot, today)
    lots.inspect(fish_lot, tested_on=today, result="pass", items=["恩诺沙星"])
    page = _refused(login("farmer_wang"), fish_lot)
    assert "恩诺沙星粉" in page and "休药期" in page


def test_a_growing_lot_gets_no_labels(login, fish_lot):
    assert "尚未收获" in _refused(login("farmer_wang"), fish_lot)


def test_a_recalled_lot_gets_no_labels_nor_certificate(login, released_lot, manager):
    lots.recall(released_lot, "孔雀石绿复检超标", user=manager)
    page = _refused(login("farmer_wang"), released_lot)
    assert "召回" in page and "孔雀石绿复检超标" in page


def test_a_block_a_manager_overrode_at_release_does_not_stop_labels(login, fish_lot, manager):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.release(fish_lot, manager, override_reason="县检测站报告随货，系统未录入")
    resp = login("farmer_wang").post(_url(fish_lot), {"template": "a4-3x8", "count": 1})
    assert resp.status_code == 200


# --- the resolver domain ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "127.0.0.1:8000",
        "localhost:8000",
        "http://localhost",
        "app.localhost",
        "192.168.1.20:8000",
        "10.0.0.5",
        "172.16.3.4",
        "169.254.10.1",
        "100.64.0.1",
        "[::1]:8000",
        "http://[fe80::1]",
        "[fd00::5]",
        "",
        "exa mple.cn",
        "ftp://trace.example.cn",
        "trace.example.cn:99999",
        "中国.cn",
    ],
)
def test_production_refuses_codes_no_phone_can_reach(login, released_lot, settings, domain):
    settings.RESOLVER_DOMAIN = domain
    settings.DEBUG = False
    client = login("farmer_wang")
    resp = client.post(_url(released_lot), {"template": "a4-3x8", "count": 10}, **ZH)
    assert resp.status_code == 409 and "RESOLVER_DOMAIN" in resp.content.decode()
    assert client.post(f"/trace/lots/{released_lot.pk}/certificate.pdf").status_code == 409
    assert not released_lot.print_jobs.exists()
    page = client.get(_url(released_lot), **ZH).content.decode()
    assert 'data-testid="domain-problem"' in page and "RESOLVER_DOMAIN" in page


def test_a_development_server_may_print_a_local_domain(login, released_lot, settings):
    settings.RESOLVER_DOMAIN = "http://192.168.1.20:8000"
    settings.DEBUG = True
    resp = login("farmer_wang").post(_url(released_lot), {"template": "a4-3x8", "count": 1})
    assert resp.status_code == 200
    assert released_lot.print_jobs.get().code.startswith("http://192.168.1.20:8000/t/")


@pytest.mark.parametrize(
    ("domain", "origin"),
    [
        ("trace.example.cn", "https://trace.example.cn"),
        ("https://trace.example.cn/", "https://trace.example.cn"),
        ("http://8.8.8.8:8080", "http://8.8.8.8:8080"),
    ],
)
def test_a_public_domain_prints(login, released_lot, settings, domain, origin):
    settings.RESOLVER_DOMAIN = domain
    resp = login("farmer_wang").post(_url(released_lot), {"template": "a4-3x8", "count": 1})
    assert resp.status_code == 200
    assert released_lot.print_jobs.get().code == f"{origin}/t/{released_lot.trace_code}"


# --- the certificate ---------------------------------------------------------------------------


def _text_and_codes(resp) -> tuple[str, list[str]]:
    page = pypdfium2.PdfDocument(b"".join(resp.streaming_content))[0]
    codes = [r.text for r in zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil())]
    return page.get_textpage().get_text_range(), codes


def test_the_certificate_names_the_producer_and_carries_the_code(login, released_lot):
    org = released_lot.organisation
    org.contact_phone = "0716-2000001"
    org.save()
    ProducerDetails.objects.create(organisation=org, address="湖北省洪湖市大沙湖农场清水湖路 8 号")
    resp = login("farmer_wang").post(f"/trace/lots/{released_lot.pk}/certificate.pdf")
    assert resp.status_code == 200
    text, codes = _text_and_codes(resp)
    assert org.name in text and "0716-2000001" in text and "清水湖路 8 号" in text
    assert "未使用禁用农药、兽药及其他化合物" in text
    assert codes == [f"https://trace.example.cn/t/{released_lot.trace_code}"]
    assert "trace.example.cn" in text  # the domain the code opens, printed beside it
    job = released_lot.print_jobs.get()
    assert (job.kind, job.printed_by.username) == ("certificate", "farmer_wang")


def test_the_certificate_stays_available_after_shipping_with_its_first_date(
    login, released_lot, manager
):
    client = login("farmer_wang")
    client.post(f"/trace/lots/{released_lot.pk}/certificate.pdf")
    # First issued at 07:30 Beijing time on 29 June (still the 28th in UTC).
    PrintJob.objects.filter(lot=released_lot).update(
        printed_at=datetime(2026, 6, 28, 23, 30, tzinfo=UTC)
    )
    lots.ship(released_lot, destination="武汉白沙洲农副产品大市场", user=manager)
    resp = client.get(f"/trace/lots/{released_lot.pk}/certificate.pdf")
    assert resp.status_code == 200
    text, _ = _text_and_codes(resp)
    assert "开具日期：2026-06-29" in text
    assert documents.certificate_fields(released_lot)["issued"] == "2026-06-29"


def test_a_reviewer_may_view_but_not_issue_a_certificate(login, released_lot):
    client = login("bureau_honghu")
    page = client.get(f"/trace/lots/{released_lot.pk}/").content.decode()
    assert 'data-testid="certificate-link"' in page
    assert client.get(f"/trace/lots/{released_lot.pk}/certificate.pdf").status_code == 200
    assert client.post(f"/trace/lots/{released_lot.pk}/certificate.pdf").status_code == 403
    assert not released_lot.print_jobs.exists()


def test_print_jobs_are_never_changed(released_lot):
    from django.core.exceptions import ValidationError

    job = PrintJob.objects.create(
        lot=released_lot, kind="labels", template="a4-3x8", copies=1, code="x"
    )
    job.copies = 1000
    with pytest.raises(ValidationError):
        job.save()


@pytest.mark.parametrize(
    "data",
    [
        {"template": "a4-3x8", "count": 0},
        {"template": "a4-3x8", "count": 5001},
        {"template": "a4-3x8", "count": "many"},
        {"template": "letter-2x5", "count": 1},
        {"template": "../../etc/passwd", "count": 1},
        {"template": "a4-3x8", "count": 1, "reprint_of": "x"},
        {"template": "a4-3x8", "count": 1, "reprint_of": -4},
        {"template": "a4-3x8", "count": 1, "reprint_of": 10**12},
        {},
    ],
)
def test_bad_print_requests_are_refused_with_a_reason_not_500(login, released_lot, data):
    resp = login("farmer_wang").post(_url(released_lot), data, **ZH)
    assert resp.status_code in (400, 404)
    assert not released_lot.print_jobs.exists()
    assert Lot.objects.get(pk=released_lot.pk).label_count == 0


def test_the_system_check_warns_of_a_local_domain_in_production(settings):
    from traceability.checks import resolver_domain_is_public

    settings.DEBUG, settings.RESOLVER_DOMAIN = False, "192.168.1.20:8000"
    [warning] = resolver_domain_is_public()
    assert warning.id == "traceability.W001" and "RESOLVER_DOMAIN" in warning.msg
    settings.RESOLVER_DOMAIN = "trace.example.cn"
    assert resolver_domain_is_public() == []
    settings.DEBUG, settings.RESOLVER_DOMAIN = True, "127.0.0.1:8000"
    assert resolver_domain_is_public() == []


@pytest.mark.parametrize("domain", ["", "http://", "https://[::1", "exa mple.cn"])
def test_a_gtin_lot_with_an_unusable_domain_gets_a_page_not_a_500(
    login, released_lot, settings, domain
):
    Lot.objects.filter(pk=released_lot.pk).update(gtin="06901234567892")
    settings.RESOLVER_DOMAIN, settings.DEBUG = domain, False
    client = login("farmer_wang")
    assert client.get(_url(released_lot)).status_code == 200
    resp = client.post(_url(released_lot), {"template": "a4-3x8", "count": 1})
    assert resp.status_code == 409 and not released_lot.print_jobs.exists()
