"""Farm pages (dashboard, farm and site detail, CSV export); included at the site root
with the namespace ``farm``."""

from django.urls import path

from farm import views

app_name = "farm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("farms/<int:pk>/", views.farm_detail, name="farm-detail"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
    path("farms/export.csv", views.farms_csv, name="farms-csv"),
]
