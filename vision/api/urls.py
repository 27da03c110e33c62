"""Routes of the vision API, mounted by the project under ``/api/vision/`` with their own
API root."""

from rest_framework.routers import DefaultRouter

from vision.api import views

router = DefaultRouter()
router.register("cameras", views.CameraViewSet, basename="vision-camera")
router.register("detections", views.DetectionViewSet, basename="vision-detection")
router.register("trap-photos", views.TrapPhotoViewSet, basename="vision-trap-photo")

urlpatterns = router.urls
