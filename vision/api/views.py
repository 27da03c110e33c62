"""Read-only REST endpoints for cameras, detections and trap photos, scoped by ``farm.access``."""

from __future__ import annotations

import django_filters
from rest_framework import permissions, viewsets

from farm import access
from vision.api.serializers import CameraSerializer, DetectionSerializer, TrapPhotoSerializer
from vision.models import Camera, Detection, TrapPhoto


class ScopedReadOnly(viewsets.ReadOnlyModelViewSet):
    farm_path = "site__farm"
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return access.scope(self.request.user, super().get_queryset(), self.farm_path)


class DetectionFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="time", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="time", lookup_expr="lt")
    site = django_filters.NumberFilter(field_name="camera__site")

    class Meta:
        model = Detection
        fields = ["camera", "class_name", "reviewed"]


class CameraViewSet(ScopedReadOnly):
    queryset = Camera.objects.order_by("pk")
    serializer_class = CameraSerializer
    filterset_fields = ["site", "kind", "enabled"]


class DetectionViewSet(ScopedReadOnly):
    farm_path = "camera__site__farm"
    queryset = Detection.objects.order_by("-time", "-pk")
    serializer_class = DetectionSerializer
    filterset_class = DetectionFilter


class TrapPhotoViewSet(ScopedReadOnly):
    farm_path = "camera__site__farm"
    queryset = TrapPhoto.objects.prefetch_related("counts").order_by("-taken_at", "-pk")
    serializer_class = TrapPhotoSerializer
    filterset_fields = ["camera", "status"]
