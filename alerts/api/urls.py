"""Routes of the alerts API (incidents), mounted by the project under ``/api/``."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from alerts.api import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")

urlpatterns = format_suffix_patterns(router.urls)
