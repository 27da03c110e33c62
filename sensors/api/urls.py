"""Routes of the sensors API, registered on the project's API router (``farm.api.urls``)."""

from sensors.api import views

routes = [
    ("devices", views.DeviceViewSet, "device"),
    ("readings", views.ReadingsViewSet, "reading"),
]
