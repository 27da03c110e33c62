"""Regional monitoring: the region is a query parameter (``?region=421083``)."""

from django.urls import path

from regional import views

app_name = "regional"

urlpatterns = [
    path("", views.region_page, name="region"),
    path("farms.geojson", views.farms_geojson, name="farms-geojson"),
    path("boundaries.geojson", views.boundaries_geojson, name="boundaries-geojson"),
    path("water/", views.water_page, name="water"),
    path("pests/", views.pests_page, name="pests"),
    path("lots/", views.trace_page, name="trace"),
    path("screen/", views.screen_page, name="screen"),
    path("screen/data.json", views.screen_data, name="screen-data"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/file", views.report_file, name="report-file"),
]
