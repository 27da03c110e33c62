"""Read-only REST endpoints for cameras, detections and trap photos, scoped by ``farm.access``.

Mounted by the project under ``api/vision/``; this module is also its URL map.
"""

from __future__ import annotations

import django_filters
from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import DefaultRouter

from farm import access
from vision.models import Camera, Detection, TrapCount, TrapPhoto


class ScopedReadOnly(viewsets.ReadOnlyModelViewSet):
    farm_path = "site__farm"
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return access.scope(self.request.user, super().get_queryset(), self.farm_path)


class CameraSerializer(serializers.ModelSerializer):
    class Meta:
        model = Camera
        fields = [
            "id", "site", "name", "kind", "source_kind", "sample_interval_s", "regions", "loop",
            "enabled", "model", "health_state", "fps", "lag_s", "last_frame_at", "errors",
            "last_error", "health_updated",
        ]  # fmt: skip


class DetectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Detection
        fields = ["id", "camera", "time", "class_name", "confidence", "box", "track_id", "reviewed"]


class TrapCountSerializer(serializers.ModelSerializer):
    count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrapCount
        fields = ["species", "raw_present", "raw_new", "reviewed_new", "count"]


class TrapPhotoSerializer(serializers.ModelSerializer):
    counts = TrapCountSerializer(many=True, read_only=True)

    class Meta:
        model = TrapPhoto
        fields = [
            "id", "camera", "taken_at", "width", "height", "status", "boxes", "labels",
            "labels_complete", "reviewed_at", "counts",
        ]  # fmt: skip


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


router = DefaultRouter()
router.register("cameras", CameraViewSet, basename="vision-camera")
router.register("detections", DetectionViewSet, basename="vision-detection")
router.register("trap-photos", TrapPhotoViewSet, basename="vision-trap-photo")

urlpatterns = router.urls
