"""Top-level URL map."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from alerts import views as alert_views
from farm import views
from phone import views as phone_views

app_urls = (
    [
        path("", views.dashboard, name="dashboard"),
        path("farms/<int:pk>/", views.farm_detail, name="farm-detail"),
        path("sites/<int:pk>/", views.site_detail, name="site-detail"),
        path("farms/export.csv", views.farms_csv, name="farms-csv"),
    ],
    "farm",
)

urlpatterns = [
    path("", include(app_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("farm.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/vision/", include("vision.api")),
    path("devices/", include("sensors.urls")),
    path("alerts/", include("alerts.urls")),
    path("aeration/", include("aeration.urls")),
    path("i/<int:pk>", alert_views.short_link, name="incident-short"),
    path("phone/", include("phone.urls")),
    path("sw.js", phone_views.service_worker, name="service-worker"),
    path("manifest.webmanifest", phone_views.manifest, name="manifest"),
    path("vision/", include("vision.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("trace/", include("traceability.urls")),
    path("trace/", include("traceability.epcis_xml_urls")),
    path("regional/", include("regional.urls")),
    path("", include("traceability.public_urls")),
    path("admin/", admin.site.urls),
]
