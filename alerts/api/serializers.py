"""REST representations of incidents and their audit trail."""

from __future__ import annotations

from rest_framework import serializers

from alerts.models import Incident, IncidentEvent


def state_of(incident: Incident) -> str:
    if incident.resolved_at is not None:
        return "resolved"
    if incident.acknowledged_at is not None:
        return "acknowledged"
    return "open"


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = IncidentEvent
        fields = ["at", "kind", "actor", "reason", "value"]


class IncidentSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    farm_name = serializers.CharField(source="farm.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True, default="")
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", read_only=True, default=None
    )

    class Meta:
        model = Incident
        fields = [
            "id", "title", "subject", "severity", "state", "farm", "farm_name", "site",
            "site_name", "device_eui", "rule", "rule_name", "value", "value_text",
            "threshold_text", "opened_at", "resolved_at", "acknowledged_at", "acknowledged_by",
            "snoozed_until", "silenced_until",
        ]  # fmt: skip
        read_only_fields = fields

    def get_state(self, incident: Incident) -> str:
        return state_of(incident)


class IncidentDetailSerializer(IncidentSerializer):
    events = IncidentEventSerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = IncidentSerializer.Meta.fields + ["events"]
        read_only_fields = fields
