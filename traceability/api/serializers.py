"""REST representations of lots and of the EPCIS events in their chain."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from traceability.models import Lot, TraceEvent


class LotSerializer(serializers.ModelSerializer):
    farm = serializers.IntegerField(source="origin.farm_id", read_only=True)
    farm_name = serializers.CharField(source="origin.farm.name", read_only=True)
    origin_name = serializers.CharField(source="origin.name", read_only=True)
    parents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    event_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Lot
        fields = [
            "id", "trace_code", "product_name", "product_name_en", "gtin", "lot_number",
            "organisation", "farm", "farm_name", "origin", "origin_name", "quantity", "unit",
            "status", "growing_started", "harvest_date", "requires_inspection", "label_count",
            "parents", "event_count", "created",
        ]  # fmt: skip
        read_only_fields = fields


class TraceEventSerializer(serializers.ModelSerializer):
    """One stored EPCIS 2.0 event with its place in the lot's hash chain."""

    document = serializers.SerializerMethodField()
    corrects = serializers.IntegerField(source="corrects.seq", read_only=True, default=None)

    class Meta:
        model = TraceEvent
        fields = [
            "seq", "event_type", "biz_step", "event_time", "record_time", "document",
            "event_hash", "prev_link", "link", "key_id", "corrects", "reason",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_document(self, event: TraceEvent) -> dict:
        """The EPCIS event exactly as stored (and hashed), JSON-LD."""
        return event.document
