"""Admin pages for cameras (with their health), models, detections and trap photos."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from farm import access
from vision.models import Camera, Detection, DetectionModel, TrapCount, TrapPhoto


class FarmScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see only records of farms they may read."""

    farm_path = "site__farm"

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request), self.farm_path)


@admin.register(DetectionModel)
class DetectionModelAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "task", "imgsz", "map50", "created")
    list_filter = ("task",)
    search_fields = ("name",)
    readonly_fields = ("created",)

    @admin.display(description="mAP50")
    def map50(self, obj: DetectionModel) -> str:
        return "—" if obj.mAP50 is None else f"{obj.mAP50:.3f}"


@admin.register(Camera)
class CameraAdmin(FarmScopedAdmin):
    list_display = (
        "name",
        "site",
        "kind",
        "source_kind",
        "enabled",
        "model",
        "worker",
        "health_state",
        "fps",
        "lag_s",
        "last_frame_at",
        "errors",
    )
    list_filter = ("enabled", "kind", "source_kind", "health_state", "worker")
    search_fields = ("name", "site__name", "site__farm__name")
    raw_id_fields = ("site",)
    readonly_fields = (
        "health_state",
        "fps",
        "lag_s",
        "last_frame_at",
        "errors",
        "last_error",
        "health_updated",
        "created",
    )
    actions = ("issue_upload_token",)

    def save_model(self, request, obj: Camera, form, change: bool) -> None:
        token = None
        if obj.source_kind == Camera.Source.UPLOAD and not obj.upload_token_hash:
            token = obj.issue_upload_token()
        super().save_model(request, obj, form, change)
        if token:
            self._show_token(request, obj, token)

    @admin.action(description=_("Issue a new upload token (the old one stops working)"))
    def issue_upload_token(self, request, queryset) -> None:
        for camera in queryset.filter(source_kind=Camera.Source.UPLOAD):
            token = camera.issue_upload_token()
            camera.save(update_fields=["upload_token_hash"])
            self._show_token(request, camera, token)

    @staticmethod
    def _show_token(request, camera: Camera, token: str) -> None:
        messages.warning(
            request,
            _("Upload token for %(camera)s (id %(id)s), shown only now: %(token)s")
            % {"camera": camera.name, "id": camera.pk, "token": token},
        )


@admin.register(Detection)
class DetectionAdmin(FarmScopedAdmin):
    farm_path = "camera__site__farm"
    list_display = ("time", "camera", "class_name", "confidence", "track_id", "reviewed")
    list_filter = ("class_name", "reviewed")
    date_hierarchy = "time"
    raw_id_fields = ("camera", "model")


class TrapCountInline(admin.TabularInline):
    model = TrapCount
    extra = 0


@admin.register(TrapPhoto)
class TrapPhotoAdmin(FarmScopedAdmin):
    farm_path = "camera__site__farm"
    list_display = ("taken_at", "camera", "status", "reviewer", "reviewed_at", "labels_complete")
    list_filter = ("status", "labels_complete")
    date_hierarchy = "taken_at"
    raw_id_fields = ("camera", "model", "reviewer")
    readonly_fields = ("received_at", "boxes")
    inlines = (TrapCountInline,)


@admin.register(TrapCount)
class TrapCountAdmin(FarmScopedAdmin):
    farm_path = "photo__camera__site__farm"
    list_display = ("photo", "species", "raw_present", "raw_new", "reviewed_new")
    list_filter = ("species",)
    raw_id_fields = ("photo",)
