"""REST representations of devices and readings, and the readings query's validation."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sensors.models import Device
from vocabulary.metrics import CANONICAL_UNITS

# The longest range one request may cover: beyond it even hourly roll-ups make a
# response no chart needs; ask for consecutive ranges instead.
MAX_RANGE = timedelta(days=400)
DEFAULT_RANGE = timedelta(hours=24)
METRICS = tuple(CANONICAL_UNITS)


class LatestReadingSerializer(serializers.Serializer):
    time = serializers.DateTimeField()
    value = serializers.FloatField()
    unit = serializers.CharField()


class DeviceSerializer(serializers.ModelSerializer):
    """A device; ``latest`` comes from the time-series store, null when it is unreachable."""

    farm_name = serializers.CharField(source="farm.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True, default="")
    latest = serializers.SerializerMethodField()
    latest_error = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "dev_eui", "name", "farm", "farm_name", "site", "site_name", "profile",
            "install_depth_cm", "enabled", "last_seen", "battery_v", "rssi", "snr",
            "latest", "latest_error",
        ]  # fmt: skip

    @extend_schema_field(serializers.DictField(child=LatestReadingSerializer(), allow_null=True))
    def get_latest(self, device: Device) -> dict | None:
        latest = self.context.get("latest")
        if latest is None:
            return None
        field = serializers.DateTimeField()
        return {
            metric: {
                "time": field.to_representation(t),
                "value": v,
                "unit": CANONICAL_UNITS[metric],
            }
            for metric, (t, v) in latest.get(device.dev_eui, {}).items()
            if metric in CANONICAL_UNITS
        }

    def get_latest_error(self, device: Device) -> str:
        return self.context.get("latest_error", "")


class MetricField(serializers.ChoiceField):
    """A canonical metric; an unknown one is refused with the list of known ones."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data not in self.choices:
            raise serializers.ValidationError(
                _('Unknown metric "%(metric)s"; known metrics: %(known)s.')
                % {"metric": data[:40], "known": ", ".join(METRICS)}
            )
        return super().to_internal_value(data)


class ReadingsQuerySerializer(serializers.Serializer):
    """``?device=<DevEUI>`` or ``?site=<id>``, ``metric``, and an optional range.

    Times are ISO 8601; without an offset they are read in the site's time zone.
    The range defaults to the last 24 hours and may not exceed 400 days.
    """

    device = serializers.RegexField(
        r"^[0-9a-fA-F]{16}$", required=False, help_text=_("DevEUI, 16 hex digits")
    )
    site = serializers.IntegerField(required=False, min_value=1, help_text=_("plot or pond id"))
    metric = MetricField(choices=METRICS)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict) -> dict:
        if ("device" in attrs) == ("site" in attrs):
            raise serializers.ValidationError(_("Give exactly one of device and site."))
        end: datetime = attrs.get("end") or timezone.now()
        start: datetime = attrs.get("start") or end - DEFAULT_RANGE
        if start >= end:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if end - start > MAX_RANGE:
            raise serializers.ValidationError(
                {
                    "start": _("The range may cover at most %(days)d days.")
                    % {"days": MAX_RANGE.days}
                }
            )
        attrs["start"], attrs["end"] = start, end
        if "device" in attrs:
            attrs["device"] = attrs["device"].lower()
        return attrs


class SampleSerializer(serializers.Serializer):
    time = serializers.DateTimeField()
    value = serializers.FloatField()


class ReadingsSerializer(serializers.Serializer):
    """Mean per bucket; ``bucket_s`` grows with the range so there are at most 1,000."""

    device = serializers.CharField(allow_null=True)
    site = serializers.IntegerField(allow_null=True)
    metric = serializers.CharField()
    unit = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bucket_s = serializers.IntegerField()
    points = SampleSerializer(many=True)
