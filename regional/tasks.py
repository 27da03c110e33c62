"""Celery tasks: the weekly reports (beat, every Monday) and one on demand."""

from __future__ import annotations

from celery import shared_task

from regional.models import WeeklyReport
from regional.services import reports
from regional.services.period import last_week


@shared_task(name="regional.generate_report")
def generate_report(report_id: int) -> str:
    report = WeeklyReport.objects.select_related("region").filter(pk=report_id).first()
    if report is None:
        return "gone"
    reports.generate(report)
    return report.status


@shared_task(name="regional.weekly_reports")
def weekly_reports() -> int:
    """Last week's report for every region a reviewer or subscriber watches."""
    period = last_week()
    regions = reports.regions_to_report()
    for region in regions:
        reports.request_report(region, period)
    return len(regions)
