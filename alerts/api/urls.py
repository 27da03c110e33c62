"""Routes of the alerts API, registered on the project's API router (``farm.api.urls``)."""

from alerts.api import views

routes = [
    ("incidents", views.IncidentViewSet, "incident"),
]
