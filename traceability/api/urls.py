"""Routes of the traceability API (lots), mounted by the project under ``/api/``."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from traceability.api import views

router = SimpleRouter()
router.register("lots", views.LotViewSet, basename="lot")

urlpatterns = format_suffix_patterns(router.urls)
