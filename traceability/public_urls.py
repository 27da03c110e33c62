"""Public routes: the scan page and the GS1 Digital Link resolver (no login)."""

from django.urls import path, re_path

from traceability import views

urlpatterns = [
    path("t/<str:code>", views.scan_page, name="scan"),
    path(".well-known/gs1resolver", views.resolver_description, name="gs1resolver"),
    re_path(r"^(?P<path>01/.+)$", views.resolve_digital_link, name="digital-link"),
]
