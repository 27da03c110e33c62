"""Phone app pages; include under ``phone/`` with the namespace ``phone``.

The service worker and the manifest belong at the site root: see ``phone.root_urls``.
"""

from django.urls import path

from phone import views

app_name = "phone"

urlpatterns = [
    path("", views.home, name="home"),
    path("ops/", views.operation, name="operation"),
    path("offline/", views.offline, name="offline"),
]
