from django.urls import path

from aeration import views

app_name = "aeration"

urlpatterns = [
    path("ponds/<int:site_id>/", views.pond_aerators, name="pond"),
    path("ponds/<int:site_id>/switch/", views.switch, name="switch"),
    path("ponds/<int:site_id>/mode/", views.set_mode, name="mode"),
]
