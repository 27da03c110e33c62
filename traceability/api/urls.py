"""Routes of the traceability API, registered on the project's API router (``farm.api.urls``)."""

from traceability.api import views

routes = [
    ("lots", views.LotViewSet, "lot"),
]
