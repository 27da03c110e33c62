"""The short incident link ``/i/<id>`` printed in SMS and voice messages; included at the
site root, outside the ``alerts`` namespace, so the link stays short."""

from django.urls import path

from alerts import views

urlpatterns = [
    path("i/<int:pk>", views.short_link, name="incident-short"),
]
