"""The phone app's service worker and web manifest; included at the site root so the
service worker's scope covers every page of the site."""

from django.urls import path

from phone import views

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
