"""Alert pages; include under ``alerts/`` with the namespace ``alerts``.

The short message link ``/i/<id>`` (``views.short_link``) belongs at the site root.
"""

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.incident_list, name="inbox"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("incidents/<int:pk>/snooze/", views.snooze, name="snooze"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:org_id>/adopt/", views.adopt_templates, name="adopt-templates"),
    path("push/subscribe/", views.push_subscribe, name="push-subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push-unsubscribe"),
]
