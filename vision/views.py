"""Pages and the trap upload endpoint: parse input, check access through ``farm.access``, call a
service, render."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from farm import access
from farm.models import Site
from vision.charts import daily_chart_svg
from vision.detectors import DetectorError
from vision.forms import DetectionFilterForm, TrapReviewForm
from vision.models import Camera, Detection, TrapPhoto
from vision.services import MAX_UPLOAD_BYTES, UploadRejected, daily_counts, ingest_trap_photo
from vision.services.traps import review_trap_photo
from vocabulary.detector_classes import LESION_CLASSES, class_label

log = logging.getLogger(__name__)

_UPLOAD_TYPES = ("image/jpeg", "image/png", "application/octet-stream", "multipart/form-data")


def _error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="trap-upload"'
    return response


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _read_photo(request: HttpRequest) -> bytes:
    """The photo bytes from a raw image body or a multipart ``photo`` field, size-checked."""
    content_type = request.content_type or ""
    if content_type not in _UPLOAD_TYPES:
        raise UploadRejected(
            "unsupported_media_type", f"content type {content_type or 'none'} not accepted", 415
        )
    if content_type == "multipart/form-data":
        upload = request.FILES.get("photo")
        if upload is None:
            raise UploadRejected("no_photo", "multipart body has no 'photo' file")
        if upload.size > MAX_UPLOAD_BYTES:
            raise UploadRejected("too_large", f"photo exceeds {MAX_UPLOAD_BYTES} bytes", 413)
        return upload.read()
    # Read the stream ourselves: request.body stops at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
    data = request.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected("too_large", f"photo exceeds {MAX_UPLOAD_BYTES} bytes", 413)
    return data


@csrf_exempt  # machine-to-machine: authenticated by the camera's bearer token, not a session
@require_POST
def trap_upload(request: HttpRequest, camera_id: int) -> JsonResponse:
    camera = (
        Camera.objects.select_related("model", "site__farm")
        .filter(pk=camera_id, source_kind=Camera.Source.UPLOAD)
        .first()
    )
    # An unknown camera and a wrong token look the same (and take as long), so ids cannot be
    # probed.
    token_ok = (camera or Camera()).check_upload_token(_bearer(request))
    if camera is None or not token_ok:
        return _error(401, "unauthorized", "unknown camera or wrong upload token")
    if not camera.enabled:
        return _error(403, "camera_disabled", "this camera is disabled")
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _error(413, "too_large", f"photo exceeds {MAX_UPLOAD_BYTES} bytes")
    taken_at = None
    if raw := request.headers.get("X-Taken-At") or request.GET.get("taken_at"):
        taken_at = parse_datetime(raw)
        if taken_at is None or timezone.is_naive(taken_at):
            return _error(400, "bad_time", "taken_at must be an ISO 8601 time with a UTC offset")
    try:
        photo = ingest_trap_photo(camera, _read_photo(request), taken_at)
    except UploadRejected as exc:
        return _error(exc.status, exc.code, str(exc))
    except DetectorError as exc:
        Camera.objects.filter(pk=camera.pk).update(
            last_error=str(exc)[:2000], errors=F("errors") + 1
        )
        log.error("camera %s: detector unavailable: %s", camera.pk, exc)
        return _error(503, "model_unavailable", "the camera's detection model cannot be loaded")
    counts = {c.species: {"new": c.raw_new, "present": c.raw_present} for c in photo.counts.all()}
    return JsonResponse(
        {"photo": photo.pk, "status": photo.status, "taken_at": photo.taken_at, "counts": counts},
        status=201,
    )


def _cameras(request: HttpRequest) -> QuerySet[Camera]:
    return access.scope(
        request.user, Camera.objects.select_related("site__farm", "model"), "site__farm"
    )


@login_required
def camera_health(request: HttpRequest) -> HttpResponse:
    cameras = _cameras(request).order_by("site__farm__name", "site__name", "name")
    stale_before = timezone.now() - timedelta(minutes=5)
    return render(
        request,
        "vision/camera_health.html",
        {"cameras": cameras, "stale_before": stale_before},
    )


@login_required
def camera_wall(request: HttpRequest) -> HttpResponse:
    """Each enabled camera with its latest annotated picture and its health."""
    latest_detection = Detection.objects.filter(camera=OuterRef("pk"), snapshot__gt="")
    latest_photo = TrapPhoto.objects.filter(camera=OuterRef("pk"))
    cameras = list(
        _cameras(request)
        .filter(enabled=True)
        .select_related("model")
        .annotate(
            detection_id=Subquery(latest_detection.order_by("-time").values("pk")[:1]),
            photo_id=Subquery(latest_photo.order_by("-taken_at").values("pk")[:1]),
        )
        .order_by("site__farm__name", "site__name", "name")
    )
    detections = Detection.objects.in_bulk([c.detection_id for c in cameras if c.detection_id])
    photos = TrapPhoto.objects.in_bulk([c.photo_id for c in cameras if c.photo_id])
    tiles = [
        {
            "camera": c,
            "detection": detections.get(c.detection_id),
            "photo": photos.get(c.photo_id),
            "fish": c.kind in (Camera.Kind.POND_SURFACE, Camera.Kind.UNDERWATER),
            "lesions": bool(c.model and LESION_CLASSES & set(c.model.class_names)),
        }
        for c in cameras
    ]
    return render(request, "vision/camera_wall.html", {"tiles": tiles})


@login_required
def detection_timeline(request: HttpRequest) -> HttpResponse:
    cameras = _cameras(request)
    sites = access.scope(request.user, Site.objects.select_related("farm"), "farm").filter(
        cameras__isnull=False
    )
    detections = access.scope(
        request.user,
        Detection.objects.select_related("camera__site__farm"),
        "camera__site__farm",
    )
    form = DetectionFilterForm(cameras, sites, request.GET or None)
    if form.is_bound:
        detections = form.filter(detections) if form.is_valid() else detections.none()
    page = Paginator(detections.order_by("-time", "-pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "vision/detection_timeline.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
def trap_photos(request: HttpRequest) -> HttpResponse:
    photos = access.scope(
        request.user,
        TrapPhoto.objects.select_related("camera__site__farm").prefetch_related("counts"),
        "camera__site__farm",
    )
    status = request.GET.get("status", TrapPhoto.Status.PENDING)
    if status in TrapPhoto.Status.values:
        photos = photos.filter(status=status)
    return render(
        request,
        "vision/trap_photos.html",
        {"photos": photos[:100], "status": status, "statuses": TrapPhoto.Status.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def trap_review(request: HttpRequest, pk: int) -> HttpResponse:
    photo = access.get_readable_or_404(
        request.user,
        TrapPhoto.objects.select_related("camera__site__farm", "model", "reviewer"),
        "camera__site__farm",
        pk=pk,
    )
    farm = photo.camera.site.farm
    can_edit = access.can_edit_farm(request.user, farm)
    form = TrapReviewForm(photo, request.POST or None)
    if request.method == "POST":
        access.require_edit(request.user, farm)
        if photo.model is None:
            return HttpResponse("no model has looked at this photo", status=409)
        if form.is_valid():
            review_trap_photo(photo, request.user, form.review())
            return redirect("vision:trap-review", pk=photo.pk)
    return render(
        request,
        "vision/trap_review.html",
        {
            "photo": photo,
            "form": form,
            "can_edit": can_edit,
            "counts": photo.counts.all(),
            "overlay": _overlay(photo),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _overlay(photo: TrapPhoto) -> list[dict]:
    """Box rectangles for the SVG drawn over the photo, sized to stay legible on big photos."""
    scale = max(photo.width, photo.height) / 640
    out = []
    for n, box in enumerate(photo.boxes, start=1):
        x0, y0, x1, y1 = box["box"]
        out.append(
            {
                "n": n,
                "x": round(x0, 1),
                "y": round(y0, 1),
                "w": round(x1 - x0, 1),
                "h": round(y1 - y0, 1),
                "new": box.get("new", True),
                "class_name": box["class_name"],
                "stroke": round(2 * scale, 1),
                "font": round(12 * scale, 1),
                "label_y": round(max(y0 - 3 * scale, 12 * scale), 1),
            }
        )
    return out


@login_required
def trap_photo_image(request: HttpRequest, pk: int) -> FileResponse:
    photo = access.get_readable_or_404(
        request.user, TrapPhoto.objects.all(), "camera__site__farm", pk=pk
    )
    return _file(photo.image)


@login_required
def trap_photo_annotated(request: HttpRequest, pk: int) -> FileResponse:
    photo = access.get_readable_or_404(
        request.user, TrapPhoto.objects.all(), "camera__site__farm", pk=pk
    )
    return _file(photo.annotated)


@login_required
def detection_snapshot(request: HttpRequest, pk: int) -> FileResponse:
    detection = access.get_readable_or_404(
        request.user, Detection.objects.all(), "camera__site__farm", pk=pk
    )
    return _file(detection.snapshot)


def _file(field) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def pest_trends(request: HttpRequest, site_id: int) -> HttpResponse:
    site = access.get_readable_or_404(
        request.user, Site.objects.select_related("farm"), "farm", pk=site_id
    )
    try:
        days = min(max(int(request.GET.get("days", 30)), 1), 366)
    except ValueError:
        days = 30
    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    photos = TrapPhoto.objects.filter(camera__site=site)
    series = daily_counts(photos, start, end)
    day_list = [start + timedelta(d) for d in range(days)]
    table = [(day, [series[s].get(day, 0) for s in sorted(series)]) for day in reversed(day_list)]
    return render(
        request,
        "vision/pest_trends.html",
        {
            "site": site,
            "days": days,
            "species": sorted(series),
            "table": [row for row in table if any(row[1])],
            "chart": daily_chart_svg(series, start, end, title=site.name, label=class_label),
        },
    )
