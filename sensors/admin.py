"""Admin pages for devices, profiles, gateways and the dead-letter table."""

from __future__ import annotations

import base64

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from farm import access
from sensors.models import DeadLetter, Device, DeviceProfile, Gateway


class FarmScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see only devices of farms they may read."""

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request), "farm")


@admin.register(DeviceProfile)
class DeviceProfileAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "vendor")
    search_fields = ("id", "name", "vendor")


@admin.register(Device)
class DeviceAdmin(FarmScopedAdmin):
    list_display = (
        "dev_eui",
        "name",
        "farm",
        "site",
        "profile",
        "enabled",
        "last_seen",
        "battery_v",
        "rssi",
        "snr",
    )
    list_filter = ("enabled", "profile", "farm")
    search_fields = ("dev_eui", "name")
    raw_id_fields = ("farm", "site")
    readonly_fields = ("last_seen", "battery_v", "rssi", "snr", "f_cnt", "created")


@admin.register(Gateway)
class GatewayAdmin(admin.ModelAdmin):
    list_display = ("gateway_eui", "name", "farm", "last_seen")
    search_fields = ("gateway_eui", "name")
    raw_id_fields = ("farm",)


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("received_at", "reason", "network_server", "dev_eui", "topic")
    list_filter = ("reason", "network_server")
    search_fields = ("dev_eui", "topic", "detail")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in DeadLetter._meta.fields] + ["message_text"]

    @admin.display(description=_("raw message"))
    def message_text(self, obj: DeadLetter) -> str:
        return base64.b64decode(obj.message_b64).decode("utf-8", "replace")

    def has_add_permission(self, request) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """Show how many dead letters each reason has, over the current filter."""
        response = super().changelist_view(request, extra_context)
        try:
            qs = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        counts = qs.order_by().values("reason").annotate(n=Count("id")).order_by("-n")
        labels = dict(DeadLetter.Reason.choices)
        response.context_data["reason_counts"] = [
            (labels.get(row["reason"], row["reason"]), row["n"]) for row in counts
        ]
        return response
