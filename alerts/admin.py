"""Admin for rules, policies and the incident record (read-mostly: the engine owns state)."""

from django.contrib import admin

from alerts.models import (
    AlertState,
    Delivery,
    EscalationStep,
    Incident,
    IncidentEvent,
    NotificationPolicy,
    PushSubscription,
    Rule,
    Silence,
)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "template_key",
        "metric",
        "condition",
        "threshold",
        "severity",
        "enabled",
        "is_template",
    ]
    list_filter = ["is_template", "enabled", "severity", "condition", "organisation"]
    search_fields = ["name", "template_key", "metric", "description"]


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(NotificationPolicy)
class NotificationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "farm", "repeat_interval"]
    inlines = [EscalationStepInline]


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "reason", "value"]
    fields = readonly_fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "farm", "severity", "opened_at", "resolved_at", "acknowledged_by"]
    list_filter = ["severity", "farm"]
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [IncidentEventInline]


@admin.register(AlertState)
class AlertStateAdmin(admin.ModelAdmin):
    list_display = ["rule", "target_key", "state", "since", "last_value", "inhibited_by"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in AlertState._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["idempotency_key", "channel", "kind", "attempts", "outcome", "created"]
    list_filter = ["outcome", "channel", "kind"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


admin.site.register(Silence)
admin.site.register(PushSubscription)
