from django.contrib import admin

from aeration.models import Aerator, Command, RelayController


@admin.register(RelayController)
class RelayControllerAdmin(admin.ModelAdmin):
    list_display = ["device", "network", "application_id", "network_device_id"]
    list_filter = ["network"]
    raw_id_fields = ["device"]


@admin.register(Aerator)
class AeratorAdmin(admin.ModelAdmin):
    list_display = ["name", "pond", "controller", "channel", "mode", "reported_on", "reported_at"]
    list_filter = ["mode"]
    raw_id_fields = ["pond", "controller"]
    readonly_fields = ["reported_on", "reported_at", "current_a", "changed_at"]


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    """The audit log: read it, never edit it."""

    list_display = ["created_at", "aerator", "desired_on", "source", "user", "rule", "status"]
    list_filter = ["status", "source"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
