"""URLs of the sensors pages; included by the project URLconf under ``devices/``."""

from django.urls import path

from sensors import views

app_name = "sensors"

urlpatterns = [
    path("", views.device_list, name="device-list"),
    path("dead-letters/", views.dead_letter_list, name="deadletter-list"),
    path("<str:dev_eui>/", views.device_detail, name="device-detail"),
]
