"""URLs of monitoring; included by the project under ``monitoring/``."""

from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("wall/", views.wall_page, name="wall"),
    path("farms/<int:farm_id>/wall/", views.wall_page, name="farm-wall"),
    path("tiles/<int:site_id>/", views.tile, name="tile"),
    path("sites/<int:site_id>/panel/", views.site_panel, name="site-panel"),
    path("charts/", views.chart_page, name="charts"),
    path("charts/data.json", views.chart_data, name="chart-data"),
    path("charts/export.csv", views.chart_csv, name="chart-csv"),
    path("cameras/<int:camera_id>/", views.camera_page, name="camera"),
    path("cameras/<int:camera_id>/frame.jpg", views.camera_frame, name="camera-frame"),
    path("cameras/<int:camera_id>/snapshot.jpg", views.camera_snapshot, name="camera-snapshot"),
]
