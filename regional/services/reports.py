"""The weekly report of a region: its figures, the PDF and XLSX made from them, the mail.

The figures are computed once into ``WeeklyReport.figures`` (plain JSON) by the same
services the pages use, and both files are written from that JSON, so the PDF, the XLSX
and the pages cannot disagree. Every table row carries the address of the page that shows
the same number for the same week. The report covers every farm of the region: it is the
region's, not a reader's; who may download or receive it is checked at that moment.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from farm import access
from farm.models import Farm, Region
from regional.models import ReportSubscription, WeeklyReport
from regional.services.drilldown import Figures, drilldown
from regional.services.period import Period, week_of
from regional.services.pests import pest_situation
from regional.services.trace import traceability_overview
from regional.services.water import water_quality
from vocabulary.detector_classes import class_label

GENERATE_TASK = "regional.generate_report"  # registered by regional.tasks

log = logging.getLogger(__name__)


def species_label(species: str) -> str:
    return class_label(species)


def filename(report: WeeklyReport, kind: str) -> str:
    return f"weekly-{report.region_id}-{report.week_start.isoformat()}.{kind}"


def _page(name: str, region: Region, period: Period) -> str:
    return f"{reverse(name)}?region={region.code}&week={period.monday.isoformat()}"


def _num(value):
    return value if value is not None else None


def _child(f: Figures) -> dict:
    return {
        "name": f.name,
        "code": f.key,
        "farms": f.farms,
        "plots": f.plots,
        "ponds": f.ponds,
        "devices": f.devices,
        "online": f.online,
        "offline": f.offline,
        "never_reported": f.never_reported,
        "low_battery": f.low_battery,
        "coverage_pct": f.coverage_pct,
        "open_critical": f.open_critical,
        "open_warning": f.open_warning,
        "open_info": f.open_info,
        "opened": f.opened_in_period,
        "acknowledged": f.acknowledged_in_period,
        "ack_median_min": f.ack_median_min,
        "ack_p90_min": f.ack_p90_min,
    }


def compute_figures(region: Region, period: Period, now: datetime) -> dict:
    """Every number of the report, from the same services as the pages."""
    farms = Farm.objects.filter(region__code__startswith=region.prefix)
    data = drilldown(region, farms, period, now)
    water = water_quality(region, farms, period)
    pests = pest_situation(region, farms, period)
    trace = traceability_overview(farms, period, now)
    region_page = _page("regional:region", region, period)
    gaps = []
    if not data.total.farms:
        gaps.append(_("No farm is registered in this region."))
    if data.total.never_reported:
        gaps.append(_("%(n)d devices have never reported.") % {"n": data.total.never_reported})
    if water.unavailable:
        gaps.append(_("Water quality could not be read from the time-series database."))
    for row in water.by_county:
        if row.gap_ponds:
            gaps.append(
                _("%(county)s: %(n)d of %(total)d ponds have no water data this week.")
                % {"county": row.name, "n": row.gap_ponds, "total": row.ponds}
            )
    for c in pests.counties:
        if not c.traps:
            gaps.append(_("%(county)s: no trap photo this week.") % {"county": c.name})
    return {
        "region": {"code": region.code, "name": region.name},
        "week_start": period.monday.isoformat(),
        "week_end": (period.end - timedelta(days=1)).date().isoformat(),
        "generated_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "overview": {**_child(data.total), "page": region_page},
        "children": [{**_child(c), "page": region_page} for c in data.children],
        "attention": [
            {
                "farm": a.farm.name,
                "county": a.farm.region.name,
                "reasons": [[k, n] for k, n in a.reasons],
                "page": reverse("farm:farm-detail", args=[a.farm.pk]),
            }
            for a in data.attention
        ],
        "water": {
            "page": _page("regional:water", region, period),
            "unavailable": bool(water.unavailable),
            "rows": [
                {
                    "name": r.name,
                    "ponds": r.ponds,
                    "ponds_with_data": r.ponds_with_data,
                    "gap_ponds": r.gap_ponds,
                    "data_pct": r.data_pct,
                    "hours_below": r.hours_below if r.ponds_with_data else None,
                    "prev_hours_below": r.prev_hours_below if r.prev_ponds_with_data else None,
                    "ponds_breached": r.ponds_breached if r.ponds_with_data else None,
                    "prev_ponds_breached": (
                        r.prev_ponds_breached if r.prev_ponds_with_data else None
                    ),
                    "nh3_peak": r.nh3_peak,
                }
                for r in water.by_county
            ],
        },
        "pests": {
            "page": _page("regional:pests", region, period),
            "rows": [
                {
                    "county": r.county.name,
                    "species": r.label,
                    "catch": r.catch if r.county.traps else None,
                    "prev_catch": r.prev_catch,
                    "change_pct": r.change_pct,
                    "traps": r.county.traps,
                    "per_trap": r.per_trap,
                    "threshold": r.threshold,
                    "above": r.above,
                }
                for r in pests.rows
            ],
            "pending_review": sum(c.pending_review for c in pests.counties),
        },
        "trace": {
            "page": _page("regional:trace", region, period),
            "rows": [
                {
                    "county": c.name,
                    "released": c.released,
                    "shipped": c.shipped,
                    "held": c.held,
                    "certificates": c.certificates,
                }
                for c in trace.counties
            ],
            "held": [
                {"lot": h.lot.lot_number, "product": h.lot.product_name, "reasons": h.reasons}
                for h in trace.held
            ],
        },
        "gaps": gaps,
    }


def request_report(region: Region, period: Period, user=None) -> WeeklyReport:
    """Create (or reuse) the week's report row and queue its generation."""
    report, _created = WeeklyReport.objects.get_or_create(
        region=region, week_start=period.monday, defaults={"requested_by": user}
    )
    if report.status != WeeklyReport.Status.PENDING:
        report.status = WeeklyReport.Status.PENDING
        report.requested_by = user or report.requested_by
        report.error = ""
        report.save(update_fields=["status", "requested_by", "error"])
    transaction.on_commit(lambda: current_app.tasks[GENERATE_TASK].delay(report.pk))
    return report


def generate(report: WeeklyReport, now: datetime | None = None, *, mail: bool = True) -> None:
    """Compute the figures, write both files, then mail the subscribers."""
    from regional.services.report_files import report_pdf, report_xlsx

    now = now or timezone.now()
    began = time.monotonic()
    period = week_of(report.week_start)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            figures = compute_figures(report.region, period, now)
            pdf = report_pdf(figures)
            xlsx = report_xlsx(figures)
        except Exception as exc:  # recorded on the report and shown in the list
            log.exception("weekly report %s failed", report.pk)
            report.status = WeeklyReport.Status.FAILED
            report.error = f"{exc.__class__.__name__}: {exc}"[:2000]
            report.save(update_fields=["status", "error"])
            return
        report.figures = figures
        report.pdf.save(filename(report, "pdf"), ContentFile(pdf), save=False)
        report.xlsx.save(filename(report, "xlsx"), ContentFile(xlsx), save=False)
        report.status = WeeklyReport.Status.READY
        report.generated_at = now
        report.error = ""
        report.seconds = round(time.monotonic() - began, 3)
        report.save()
        if mail:
            report.mail_log = mail_subscribers(report, pdf, xlsx)
            report.save(update_fields=["mail_log"])


def mail_subscribers(report: WeeklyReport, pdf: bytes, xlsx: bytes) -> list[dict]:
    """Send the report to each subscriber who may read its region at this moment.

    A subscriber whose membership changed since subscribing (moved to another region,
    deactivated) is skipped with the reason, never sent a region they may no longer see.
    """
    out = []
    User = get_user_model()
    subject = _("Weekly report %(region)s, week of %(week)s") % {
        "region": report.region.name,
        "week": report.week_start.isoformat(),
    }
    body = _(
        "The weekly regional monitoring report is attached (PDF for printing, XLSX "
        "for further work). Every figure in it links to the page that shows it."
    )
    subs = ReportSubscription.objects.filter(region=report.region).select_related("user")
    for sub in subs.order_by("user__username"):
        user = User.objects.get(pk=sub.user_id)  # fresh: no cached scope
        entry = {"user": user.username, "outcome": "sent", "reason": ""}
        if not user.is_active:
            entry.update(outcome="skipped", reason="account inactive")
        elif not user.email:
            entry.update(outcome="skipped", reason="no e-mail address")
        else:
            try:
                access.readable_region_or_404(user, report.region_id)
            except Http404:
                entry.update(outcome="skipped", reason="no longer a reviewer of this region")
        if entry["outcome"] == "sent":
            message = EmailMessage(subject, body, to=[user.email])
            message.attach(filename(report, "pdf"), pdf, "application/pdf")
            message.attach(
                filename(report, "xlsx"),
                xlsx,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            try:
                message.send()
            except OSError as exc:  # SMTP refused or unreachable: record, go on
                entry.update(outcome="failed", reason=f"{exc.__class__.__name__}: {exc}"[:300])
        out.append(entry)
    return out


def regions_to_report() -> list[Region]:
    """Every region a bureau reviewer or a subscriber watches: their reports are due."""
    from farm.models import Membership, Role

    codes = set(
        Membership.objects.filter(role=Role.BUREAU, region__isnull=False).values_list(
            "region_id", flat=True
        )
    )
    codes |= set(ReportSubscription.objects.values_list("region_id", flat=True))
    return list(Region.objects.filter(code__in=codes).order_by("code"))
