"""Admin: pest thresholds are set here; reports and subscriptions are kept for reference."""

from django.contrib import admin

from regional.models import PestThreshold, ReportSubscription, WeeklyReport


@admin.register(PestThreshold)
class PestThresholdAdmin(admin.ModelAdmin):
    list_display = ("species", "region", "per_trap_week", "source")
    list_filter = ("species",)


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ("region", "week_start", "status", "generated_at", "seconds")
    list_filter = ("status",)
    readonly_fields = ("figures", "mail_log", "error", "generated_at", "seconds")


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "created")
