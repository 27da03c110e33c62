"""Routes of the sensors API (devices, readings), mounted by the project under ``/api/``."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from sensors.api import views

router = SimpleRouter()
router.register("devices", views.DeviceViewSet, basename="device")
router.register("readings", views.ReadingsViewSet, basename="reading")

urlpatterns = format_suffix_patterns(router.urls)
