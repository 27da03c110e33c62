"""Device and readings endpoints: scope from ``farm.access``, data from ``sensors.timeseries``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from farm import access
from farm.models import Site
from sensors.api import serializers
from sensors.models import Device
from sensors.timeseries import InfluxError, InfluxUnavailable, TimeSeries, bucket_for
from vocabulary.metrics import CANONICAL_UNITS

log = logging.getLogger(__name__)


class TimeSeriesUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The time-series store is unavailable; try again in a minute.")
    default_code = "timeseries_unavailable"


class TimeSeriesRefused(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = _("The time-series store refused the query.")
    default_code = "timeseries_refused"


@contextmanager
def timeseries() -> Iterator[TimeSeries]:
    ts = TimeSeries.from_config()
    try:
        yield ts
    finally:
        ts.close()


class DeviceFilter(django_filters.FilterSet):
    farm = django_filters.NumberFilter(field_name="farm_id")
    site = django_filters.NumberFilter(field_name="site_id")

    class Meta:
        model = Device
        fields = ["farm", "site", "profile", "enabled"]


class DeviceViewSet(viewsets.ReadOnlyModelViewSet):
    """Devices of the farms the caller may read, each with its latest reading per metric."""

    serializer_class = serializers.DeviceSerializer
    filterset_class = DeviceFilter
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "dev_eui"
    lookup_value_regex = "[0-9a-fA-F]{16}"
    queryset = Device.objects.select_related("farm", "site").order_by(
        "farm__name", "site__name", "dev_eui"
    )

    def get_queryset(self):
        return access.scope(self.request.user, super().get_queryset(), "farm")

    def get_object(self) -> Device:
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].lower()
        return super().get_object()

    def get_serializer(self, *args, **kwargs):
        # One round trip to InfluxDB for the whole page (or the one device).
        instance = args[0] if args else kwargs.get("instance")
        if instance is not None:
            devices = [instance] if isinstance(instance, Device) else list(instance)
            kwargs["context"] = {**self.get_serializer_context(), **self._latest(devices)}
        return super().get_serializer(*args, **kwargs)

    def _latest(self, devices) -> dict:
        if not devices:
            return {"latest": {}}
        try:
            with timeseries() as ts:
                return {"latest": ts.latest_many(d.dev_eui for d in devices)}
        except InfluxError as exc:
            log.warning("latest readings unavailable for %d devices: %s", len(devices), exc)
            return {"latest": None, "latest_error": str(TimeSeriesUnavailable.default_detail)}


class OneObjectSchema(AutoSchema):
    """``/readings/`` is a list route that answers one object, not a list of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class ReadingsViewSet(viewsets.ViewSet):
    """Readings of one device or one site over a time range, averaged per bucket."""

    permission_classes = [permissions.IsAuthenticated]
    schema = OneObjectSchema()

    @extend_schema(
        parameters=[serializers.ReadingsQuerySerializer],
        responses={200: serializers.ReadingsSerializer},
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        query = serializers.ReadingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        if "device" in q:
            target = access.get_readable_or_404(
                request.user, Device.objects.all(), "farm", dev_eui=q["device"]
            )
        else:
            target = access.get_readable_or_404(
                request.user, Site.objects.all(), "farm", pk=q["site"]
            )
        try:
            with timeseries() as ts:
                samples = ts.series(target, q["metric"], q["start"], q["end"])
        except InfluxUnavailable as exc:
            log.warning("readings unavailable: %s", exc)
            raise TimeSeriesUnavailable() from exc
        except InfluxError as exc:
            log.error("readings query refused: %s", exc)
            raise TimeSeriesRefused() from exc
        body = {
            "device": q.get("device"),
            "site": q.get("site"),
            "metric": q["metric"],
            "unit": CANONICAL_UNITS[q["metric"]],
            "start": q["start"],
            "end": q["end"],
            "bucket_s": bucket_for(q["start"], q["end"]),
            "points": samples,
        }
        return Response(serializers.ReadingsSerializer(body).data)
