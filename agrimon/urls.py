"""Top-level URL map: each app's pages, API and root-level routes come from its own modules.

Pages are ``<app>/urls.py``; REST routes are ``<app>/api/urls.py``, mounted together
under ``/api/`` with one API root listing them; the few routes an app serves at the site
root (short incident links, the service worker) are small modules of their own.
"""

from importlib import import_module

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import APIRootView
from rest_framework.urlpatterns import format_suffix_patterns

# Apps whose ``api/urls.py`` is mounted under /api/, in the order the API root lists them.
API_APPS = ("farm", "sensors", "alerts", "traceability")


def api_root_urls() -> list:
    """``/api/``: links to the list endpoint of every route the API apps register."""
    links = {
        prefix: f"{basename}-list"
        for app in API_APPS
        for prefix, _viewset, basename in import_module(f"{app}.api.urls").router.registry
    }
    return format_suffix_patterns(
        [path("", APIRootView.as_view(api_root_dict=links), name="api-root")]
    )


urlpatterns = [
    path("", include("farm.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    *(path("api/", include(f"{app}.api.urls")) for app in API_APPS),
    path("api/", include(api_root_urls())),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/vision/", include("vision.api.urls")),
    path("devices/", include("sensors.urls")),
    path("alerts/", include("alerts.urls")),
    path("aeration/", include("aeration.urls")),
    path("", include("alerts.short_urls")),
    path("phone/", include("phone.urls")),
    path("", include("phone.root_urls")),
    path("vision/", include("vision.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("trace/", include("traceability.urls")),
    path("trace/", include("traceability.epcis_xml_urls")),
    path("regional/", include("regional.urls")),
    path("", include("traceability.public_urls")),
    path("admin/", admin.site.urls),
]
