"""Admin for lots and their records; events are read-only (append-only chain)."""

from django.contrib import admin

from farm import access
from traceability.models import (
    InputRecord,
    Inspection,
    Lot,
    PrintJob,
    ProducerDetails,
    Scan,
    TraceEvent,
)


class ScopedAdmin(admin.ModelAdmin):
    farm_path = "origin__farm"

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request), self.farm_path)


@admin.register(Lot)
class LotAdmin(ScopedAdmin):
    list_display = (
        "product_name",
        "lot_number",
        "gtin",
        "origin",
        "status",
        "quantity",
        "unit",
        "label_count",
        "flagged_reason",
    )
    list_filter = ("status",)
    search_fields = ("product_name", "lot_number", "gtin", "trace_code")
    readonly_fields = ("trace_code",)


@admin.register(InputRecord)
class InputRecordAdmin(ScopedAdmin):
    farm_path = "site__farm"
    list_display = (
        "kind",
        "product",
        "site",
        "applied_on",
        "phi_days",
        "withdrawal_days",
        "withdrawal_degree_days",
    )
    list_filter = ("kind",)


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    farm_path = "lot__origin__farm"
    list_display = ("lot", "kind", "tested_on", "result", "lab")


@admin.register(TraceEvent)
class TraceEventAdmin(ScopedAdmin):
    farm_path = "lot__origin__farm"
    list_display = ("lot", "seq", "biz_step", "event_time", "event_hash")
    readonly_fields = [f.name for f in TraceEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Scan)
class ScanAdmin(ScopedAdmin):
    farm_path = "lot__origin__farm"
    list_display = ("lot", "hour", "client", "block")


@admin.register(PrintJob)
class PrintJobAdmin(ScopedAdmin):
    """The print record is an audit trail: read-only here too."""

    farm_path = "lot__origin__farm"
    list_display = ("lot", "kind", "template", "copies", "printed_by", "printed_at", "reprint_of")
    list_filter = ("kind", "template")
    readonly_fields = [f.name for f in PrintJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProducerDetails)
class ProducerDetailsAdmin(admin.ModelAdmin):
    """The address a 合格证 prints, per organisation (name and phone are the organisation's)."""

    list_display = ("organisation", "address")
    search_fields = ("organisation__name", "address")

    def get_queryset(self, request):
        orgs = access.visible_organisations(request.user)
        return super().get_queryset(request).filter(organisation__in=orgs)
