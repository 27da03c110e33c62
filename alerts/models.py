"""Rules, their per-target state, incidents and everything needed to tell people.

Modelled on Prometheus Alertmanager and Grafana alerting: a ``Rule`` is evaluated
per target (a site or a device) into an ``AlertState`` (ok → pending → firing →
resolved); a firing state owns one open ``Incident`` until it resolves. The state
fields are changed in one place only, ``alerts.state.advance``; the incident fields
in ``alerts.incidents``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Rule(models.Model):
    """What to watch, where, and when it counts as a problem.

    Thresholds are in the metric's canonical unit (DESIGN §5). ``threshold`` is the
    trigger; ``clear_threshold`` the hysteresis level that resolves a firing alert
    (defaults to the trigger). For a band, ``threshold``/``threshold_high`` are the
    limits and ``clear_threshold``/``clear_threshold_high`` the inner band.
    """

    class Source(models.TextChoices):
        METRIC = "metric", _("Sensor metric")
        DETECTION = "detection", _("Vision detection class")
        DEVICE = "device", _("Device health")

    class Condition(models.TextChoices):
        ABOVE = "above", _("Above")
        BELOW = "below", _("Below")
        OUTSIDE = "outside", _("Outside a band")
        RATE = "rate", _("Change over a window")
        TIME_BELOW = "time_below", _("Hours at or below a level within a window")
        NO_DATA = "no_data", _("No data for a duration")
        BATTERY_BELOW = "battery_below", _("Battery below")
        DAWN_FORECAST = "dawn_forecast", _("Dawn oxygen forecast below")
        PROBE_FAULT = "probe_fault", _("Probe reports a fault")
        GATEWAY_SILENT = "gateway_silent", _("Gateway silent")

    class TargetKind(models.TextChoices):
        POND = "pond", _("Pond")
        PLOT = "plot", _("Plot")

    organisation = models.ForeignKey(
        "farm.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("organisation"),
        help_text=_("Empty for a template, which is copied into organisations."),
    )
    template_key = models.CharField(
        _("template"), max_length=64, blank=True, help_text=_("e.g. gc.do.floor")
    )
    is_template = models.BooleanField(_("is a template"), default=False)
    name = models.CharField(_("name"), max_length=128)
    description = models.TextField(_("description and sources"), blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.METRIC
    )
    metric = models.CharField(
        _("metric or detection class"), max_length=64, blank=True, help_text=_("e.g. do, nh3")
    )
    # Scope: the most specific given wins; none of them means every site of the organisation.
    site = models.ForeignKey(
        "farm.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("site"),
    )
    farm = models.ForeignKey(
        "farm.Farm",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("farm"),
    )
    device_eui = models.CharField(_("device EUI"), max_length=16, blank=True)
    match_kind = models.CharField(
        _("applies to sites of kind"), max_length=8, choices=TargetKind.choices, blank=True
    )
    match_text = models.CharField(
        _("species or crop contains"), max_length=64, blank=True, help_text=_("e.g. 草鱼, 番茄")
    )
    match_cultivation = models.CharField(
        _("cultivation"), max_length=16, blank=True, help_text=_("greenhouse or open_field")
    )
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    threshold_high = models.FloatField(_("upper threshold"), null=True, blank=True)
    clear_threshold = models.FloatField(_("clear at"), null=True, blank=True)
    clear_threshold_high = models.FloatField(_("clear at (upper)"), null=True, blank=True)
    window = models.DurationField(
        _("window"), null=True, blank=True, help_text=_("For change-over-window and no-data.")
    )
    for_duration = models.DurationField(_("for"), default=timedelta(0))
    for_readings = models.PositiveSmallIntegerField(
        _("for consecutive readings"), default=1, help_text=_("Breaching readings in a row.")
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation_id", "name"]
        indexes = [models.Index(fields=["organisation", "enabled", "metric"])]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    @property
    def stream_key(self) -> str:
        """The key readings are matched on: the metric, or ``detection.<class>``."""
        if self.source == self.Source.DETECTION:
            return f"detection.{self.metric}"
        return self.metric


class AlertState(models.Model):
    """Where one rule stands for one target. Changed only by ``alerts.state.advance``."""

    class State(models.TextChoices):
        OK = "ok", _("OK")
        PENDING = "pending", _("Pending")
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="states")
    target_key = models.CharField(_("target"), max_length=64)  # "site:12", "device:<eui>"
    farm = models.ForeignKey("farm.Farm", on_delete=models.CASCADE, related_name="alert_states")
    site = models.ForeignKey(
        "farm.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="alert_states"
    )
    device_eui = models.CharField(max_length=16, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OK)
    since = models.DateTimeField(_("in this state since"), null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_seen = models.DateTimeField(_("last reading"), null=True, blank=True)
    breach_count = models.PositiveIntegerField(default=0)
    inhibited_by = models.CharField(_("held back by"), max_length=128, blank=True)
    memory = models.JSONField(default=dict, blank=True)  # rate window, evening DO readings

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "target_key"], name="alertstate_one_per_target")
        ]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.target_key}: {self.state}"


class Incident(models.Model):
    """One firing episode of one rule on one target, from firing until resolved."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="incidents")
    alert_state = models.ForeignKey(
        AlertState, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    target_key = models.CharField(max_length=64)
    farm = models.ForeignKey("farm.Farm", on_delete=models.CASCADE, related_name="incidents")
    site = models.ForeignKey(
        "farm.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    device_eui = models.CharField(max_length=16, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    title = models.CharField(_("what is wrong"), max_length=200)
    subject = models.CharField(max_length=64, blank=True)  # "溶解氧", "网关离线"
    value = models.FloatField(null=True, blank=True)
    value_text = models.CharField(max_length=32, blank=True)
    threshold_text = models.CharField(max_length=32, blank=True)
    opened_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=200, blank=True)
    silenced_until = models.DateTimeField(null=True, blank=True)
    silence_reason = models.CharField(max_length=200, blank=True)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "target_key"],
                condition=Q(resolved_at__isnull=True),
                name="incident_one_open_per_target",
            )
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def is_quiet(self, now) -> bool:
        """Acknowledged, snoozed or silenced: reminders and escalation hold off."""
        return (
            self.acknowledged_at is not None
            or (self.snoozed_until is not None and self.snoozed_until > now)
            or (self.silenced_until is not None and self.silenced_until > now)
        )


class IncidentEvent(models.Model):
    """The audit trail: every state transition and every human action, with who and why."""

    class Kind(models.TextChoices):
        PENDING = "pending", _("Pending")
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")
        OK = "ok", _("Back to OK before firing")
        INHIBITED = "inhibited", _("Held back")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        SNOOZED = "snoozed", _("Snoozed")
        SNOOZE_ENDED = "snooze_ended", _("Snooze ended")
        SILENCED = "silenced", _("Silenced")
        SILENCE_ENDED = "silence_ended", _("Silence ended")
        ESCALATED = "escalated", _("Escalated")
        REMINDED = "reminded", _("Reminder sent")

    alert_state = models.ForeignKey(
        AlertState, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)
    value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class Silence(models.Model):
    """Hold notifications back for matching incidents until ``ends_at`` (maintenance, harvest)."""

    organisation = models.ForeignKey(
        "farm.Organisation", on_delete=models.CASCADE, related_name="alert_silences"
    )
    farm = models.ForeignKey("farm.Farm", on_delete=models.CASCADE, null=True, blank=True)
    site = models.ForeignKey("farm.Site", on_delete=models.CASCADE, null=True, blank=True)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.reason} (until {self.ends_at:%Y-%m-%d %H:%M})"

    def matches(self, incident: Incident) -> bool:
        return (
            (self.farm_id is None or self.farm_id == incident.farm_id)
            and (self.site_id is None or self.site_id == incident.site_id)
            and (self.rule_id is None or self.rule_id == incident.rule_id)
        )


def default_channels() -> dict[str, list[str]]:
    return {"info": ["webpush"], "warning": ["webpush", "wecom"], "critical": ["webpush", "wecom"]}


class NotificationPolicy(models.Model):
    """Who hears about an organisation's (or one farm's) incidents, how and how often.

    A farm's own policy replaces the organisation-wide one for that farm.
    """

    organisation = models.ForeignKey(
        "farm.Organisation", on_delete=models.CASCADE, related_name="notification_policies"
    )
    farm = models.ForeignKey(
        "farm.Farm",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_policies",
    )
    name = models.CharField(max_length=128)
    recipient_roles = models.JSONField(
        default=list, blank=True, help_text=_('Membership roles, e.g. ["operator", "manager"].')
    )
    recipient_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    channels = models.JSONField(
        default=default_channels, help_text=_("Transport kinds per severity.")
    )
    wecom_webhook_url = models.URLField(_("WeCom group robot webhook"), blank=True)
    repeat_interval = models.DurationField(default=timedelta(hours=1))
    quiet_start = models.TimeField(null=True, blank=True, help_text=_("Critical ignores it."))
    quiet_end = models.TimeField(null=True, blank=True)
    rate_limit_count = models.PositiveSmallIntegerField(
        default=3, help_text=_("Messages per person and channel within the window.")
    )
    rate_limit_window = models.DurationField(default=timedelta(minutes=10))

    class Meta:
        constraints = [
            # An empty farm means the organisation-wide policy: one of those too.
            models.UniqueConstraint(
                fields=["organisation", "farm"],
                name="one_policy_per_org_or_farm",
                nulls_distinct=False,
            )
        ]
        verbose_name = _("notification policy")
        verbose_name_plural = _("notification policies")

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """After ``after`` without acknowledgement, also tell these people on these channels."""

    policy = models.ForeignKey(NotificationPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    after = models.DurationField()
    roles = models.JSONField(default=list, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    channels = models.JSONField(default=list)

    class Meta:
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="escalation_step_order")
        ]

    def __str__(self) -> str:
        return f"{self.policy} step {self.order}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (PushSubscription.toJSON()) for one user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.endpoint[:60]

    def as_json(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class Delivery(models.Model):
    """One message to one address; the key makes a retried or duplicated task send once."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DEFERRED = "deferred", _("Deferred (quiet hours or grouped)")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent (acknowledged, silenced or grouped)")

    # Empty for a message about no incident: a person's "send me a test", a code to verify.
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_key = models.CharField(max_length=64, db_index=True)  # "user:7", "wecom:policy:3"
    recipient_label = models.CharField(max_length=128)
    address = models.CharField(max_length=1000, blank=True)
    channel = models.CharField(max_length=32)
    kind = models.CharField(max_length=16)  # firing | resolved | escalation | reminder
    idempotency_key = models.CharField(max_length=200, unique=True)
    not_before = models.DateTimeField(null=True, blank=True, db_index=True)
    created = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.QUEUED)
    detail = models.TextField(blank=True)
    provider_id = models.CharField(max_length=128, blank=True)
    vendor_code = models.CharField(_("provider's code"), max_length=64, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    grouped_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="grouped"
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.idempotency_key


class ContactProfile(models.Model):
    """How one person can be reached and how they want to be.

    ``phone`` is E.164 (+86 and an 11-digit mobile). When an SMS channel is configured
    it counts for SMS and voice only once verified with a code (``phone_verified_at``);
    without one there is no way to verify, so it counts as given. ``channels`` lists,
    per severity, the channels the person wants; a severity not listed takes whatever
    the notification policy sends. Quiet hours are the person's own, in the site's time
    zone, and critical alerts ignore them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact"
    )
    phone = models.CharField(_("mobile number"), max_length=16, blank=True)
    phone_verified_at = models.DateTimeField(_("mobile number verified"), null=True, blank=True)
    wecom_userid = models.CharField(_("WeCom user id"), max_length=64, blank=True)
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True)
    language = models.CharField(
        _("language of messages"), max_length=8, choices=settings.LANGUAGES, default="zh-hans"
    )
    channels = models.JSONField(_("channels per severity"), default=dict, blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact profile")
        verbose_name_plural = _("contact profiles")

    def __str__(self) -> str:
        return f"{self.user} {self.phone}"


class PhoneVerification(models.Model):
    """One SMS code sent to prove a number; only its keyed hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications"
    )
    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)
    created = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.phone} {self.created:%Y-%m-%d %H:%M}"


class InboundCallback(models.Model):
    """Every vendor callback received (SMS reply, voice keypress), with what it led to.

    ``dedup_key`` identifies the vendor's message (Aliyun's ``sequence_id``, a voice
    call id with its key, a hash of a Tencent reply); a second callback with the same key
    is a replay and is refused. Refused callbacks (bad token, unknown sender) are kept
    with an empty key so they never block the genuine one.
    """

    class Outcome(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("Acknowledged the incident")
        ALREADY = "already", _("Incident was already acknowledged")
        IGNORED = "ignored", _("Nothing to do")
        REJECTED = "rejected", _("Rejected")

    vendor = models.CharField(max_length=32)  # aliyun_sms_up, tencent_sms_reply, ...
    dedup_key = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(db_index=True)
    sender = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=255, blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "dedup_key"],
                condition=~Q(dedup_key=""),
                name="inbound_callback_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.outcome} {self.sender}"
