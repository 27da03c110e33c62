"""Alert pages; include under ``alerts/`` with the namespace ``alerts``.

The short message link ``/i/<id>`` belongs at the site root: see ``alerts.short_urls``.
"""

from django.urls import path

from alerts import callback_views, contact_views, fragments, views

app_name = "alerts"

urlpatterns = [
    path("", views.incident_list, name="inbox"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/row/", fragments.incident_row, name="incident-row"),
    path("incidents/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("incidents/<int:pk>/snooze/", views.snooze, name="snooze"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:org_id>/adopt/", views.adopt_templates, name="adopt-templates"),
    path("rules/<int:org_id>/new/", views.rule_create, name="rule-create"),
    path("rule/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("rule/<int:pk>/toggle/", views.rule_toggle, name="rule-toggle"),
    path("rule/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("policies/", views.policies, name="policies"),
    path("policies/<int:org_id>/new/", views.policy_create, name="policy-create"),
    path("policy/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("policy/<int:pk>/delete/", views.policy_delete, name="policy-delete"),
    path("incidents/<int:pk>/silence/", views.silence, name="silence"),
    path("silences/", views.silences, name="silences"),
    path("silence/<int:pk>/end/", views.silence_end, name="silence-end"),
    path("push/subscribe/", views.push_subscribe, name="push-subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push-unsubscribe"),
    path("me/", contact_views.me, name="me"),
    path("me/send-code/", contact_views.send_code, name="me-send-code"),
    path("me/verify/", contact_views.verify, name="me-verify"),
    path("me/test/", contact_views.send_test, name="me-test"),
    path("reachability/", contact_views.reachability, name="reachability"),
    # Vendor callbacks (acknowledging from an SMS reply or a keypress); see alerts.callbacks.
    path("callbacks/aliyun/sms-up/", callback_views.aliyun_sms_up, name="callback-aliyun-sms"),
    path(
        "callbacks/tencent/sms-reply/",
        callback_views.tencent_sms_reply,
        name="callback-tencent-sms",
    ),
    path("callbacks/aliyun/voice/", callback_views.aliyun_voice, name="callback-aliyun-voice"),
    path("callbacks/tencent/voice/", callback_views.tencent_voice, name="callback-tencent-voice"),
]
