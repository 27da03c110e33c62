"""Serializers of the vision API."""

from __future__ import annotations

from rest_framework import serializers

from vision.models import Camera, Detection, TrapCount, TrapPhoto


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
