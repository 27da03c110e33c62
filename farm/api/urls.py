"""Routes of the farm API (regions, organisations, farms, sites, plots, ponds), mounted by
the project under ``/api/``."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from farm.api import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("farms", views.FarmViewSet, basename="farm")
router.register("sites", views.SiteViewSet, basename="site")
router.register("plots", views.PlotViewSet, basename="plot")
router.register("ponds", views.PondViewSet, basename="pond")

urlpatterns = format_suffix_patterns(router.urls)
