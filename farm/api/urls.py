"""Routes of the farm API (mounted under /api/)."""

from rest_framework.routers import DefaultRouter

from alerts.api.urls import routes as alert_routes
from farm.api import views
from sensors.api.urls import routes as sensor_routes
from traceability.api.urls import routes as lot_routes

router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("farms", views.FarmViewSet, basename="farm")
router.register("sites", views.SiteViewSet, basename="site")
router.register("plots", views.PlotViewSet, basename="plot")
router.register("ponds", views.PondViewSet, basename="pond")
# Each app keeps its own api/ package; one router gives them one root and one schema.
for prefix, viewset, basename in (*sensor_routes, *alert_routes, *lot_routes):
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
