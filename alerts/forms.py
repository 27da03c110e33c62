"""Forms for rules, notification policies with their escalation steps, and silences.

Durations are asked for in whole minutes or hours: a farmer on a phone types "30",
not "00:30:00". Rule checks live in ``alerts.editing.check_rule`` so they hold for
every caller; the forms only map its findings onto their fields.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from alerts import channels, editing
from alerts.conditions import engine_owned
from alerts.contacts import normalise_phone, set_phone
from alerts.models import ContactProfile, EscalationStep, NotificationPolicy, Rule
from alerts.rule_text import editable_description, stored_description
from alerts.transports import transport_kinds
from farm import access
from farm.models import Farm, Organisation, Plot, Role, Site
from sensors.models import eui64

MAX_WINDOW_MIN = 31 * 24 * 60
MAX_FOR_MIN = 7 * 24 * 60
MAX_SILENCE_HOURS = 30 * 24
RECIPIENT_ROLES = [
    (Role.OPERATOR.value, Role.OPERATOR.label),
    (Role.MANAGER.value, Role.MANAGER.label),
]


def _bound(field: forms.Field, low: int, high: int) -> None:
    """Limits on a field the model form generated (its own bounds are too wide)."""
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update(min=low, max=high)


def _minutes(d: timedelta | None) -> int | None:
    return None if d is None else int(d.total_seconds() // 60)


CHANNEL_LABELS = {**channels.LABELS, "none": _("No channel reaches them")}


class ChannelCheckboxes(forms.CheckboxSelectMultiple):
    """Every channel, the ones this deployment has not configured shown as such and disabled."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value and not channels.is_configured(str(value)):
            option["attrs"]["disabled"] = True
            option["label"] = f"{label}（{_('not configured')}）"
        return option


def validate_configured(kinds: list[str]) -> None:
    missing = [channels.label(k) for k in kinds if not channels.is_configured(k)]
    if missing:
        raise ValidationError(
            _("Not configured on this server: %(channels)s."),
            params={"channels": "、".join(missing)},
            code="not_configured",
        )


def _scope_farms(organisation: Organisation, user) -> QuerySet[Farm]:
    """Farms a rule or policy may be scoped to: the organisation's, that the user may edit."""
    farms = Farm.objects.filter(organisation=organisation)
    return farms if user is None else farms.filter(pk__in=access.editable_farms(user).values("pk"))


def _channel_choices() -> list[tuple[str, str]]:
    """Every channel of the registry in ladder order; unconfigured ones are disabled."""
    return [(k, channels.label(k)) for k in channels.LADDER if k in transport_kinds()]


class RuleForm(forms.ModelForm):
    """One rule of one organisation; the scope lists only that organisation's farms."""

    window_minutes = forms.IntegerField(
        label=_("Window (minutes)"),
        required=False,
        min_value=1,
        max_value=MAX_WINDOW_MIN,
        help_text=_("For change-over-window, hours-below-a-level and no-data."),
    )
    for_minutes = forms.IntegerField(
        label=_("For (minutes)"),
        required=False,
        min_value=0,
        max_value=MAX_FOR_MIN,
        help_text=_("How long the breach must last before the alert fires."),
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "condition",
            "source",
            "metric",
            "threshold",
            "threshold_high",
            "clear_threshold",
            "clear_threshold_high",
            "window_minutes",
            "for_minutes",
            "for_readings",
            "severity",
            "farm",
            "site",
            "device_eui",
            "match_kind",
            "match_text",
            "match_cultivation",
            "enabled",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation: Organisation, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        farms = _scope_farms(organisation, user)
        self.fields["farm"].queryset = farms
        self.fields["site"].queryset = Site.objects.filter(farm__in=farms).select_related("farm")
        self.fields["site"].label_from_instance = str
        conditions = [
            c
            for c in Rule.Condition.choices
            if c[0] not in engine_owned() or c[0] == self.instance.condition
        ]
        self.fields["condition"].choices = conditions
        self.fields["match_cultivation"] = forms.ChoiceField(
            label=capfirst(Rule._meta.get_field("match_cultivation").verbose_name),
            choices=[("", "---------"), *Plot.Cultivation.choices],
            required=False,
        )
        self.fields["description"].validators.append(MaxLengthValidator(4000))
        self.fields["description"].widget.attrs["maxlength"] = 4000
        self.fields["device_eui"].validators.append(eui64)
        _bound(self.fields["for_readings"], 1, 1000)
        if not self.is_bound:
            self.initial.setdefault("window_minutes", _minutes(self.instance.window))
            self.initial.setdefault("for_minutes", _minutes(self.instance.for_duration))
            self.initial["description"] = editable_description(self.instance)

    def clean_description(self) -> str:
        return stored_description(self.instance, self.cleaned_data.get("description", ""))

    def clean_device_eui(self) -> str:
        return self.cleaned_data.get("device_eui", "").strip().lower()

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data  # field errors first; the rule checks need every value
        window = data.get("window_minutes")
        rule = construct_instance(self, copy.copy(self.instance))
        rule.window = None if window is None else timedelta(minutes=window)
        rule.for_duration = timedelta(minutes=data.get("for_minutes") or 0)
        rename = {"window": "window_minutes", "for_duration": "for_minutes"}
        for field, messages in editing.check_rule(rule).items():
            for message in messages:
                self.add_error(rename.get(field, field), message)
        self.instance.window = rule.window
        self.instance.for_duration = rule.for_duration
        return data


def organisation_users(organisation: Organisation):
    User = get_user_model()
    return (
        User.objects.filter(memberships__organisation=organisation, is_active=True)
        .distinct()
        .order_by("username")
    )


class PolicyForm(forms.ModelForm):
    """Who hears about incidents and how; a farm's policy replaces the organisation's."""

    roles = forms.MultipleChoiceField(
        label=_("Tell everyone with the role"),
        choices=RECIPIENT_ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Operators of the incident's farm, managers of the organisation."),
    )
    channels_info = forms.MultipleChoiceField(
        label=_("Channels for info"),
        required=False,
        widget=ChannelCheckboxes,
        validators=[validate_configured],
    )
    channels_warning = forms.MultipleChoiceField(
        label=_("Channels for warnings"),
        required=False,
        widget=ChannelCheckboxes,
        validators=[validate_configured],
    )
    channels_critical = forms.MultipleChoiceField(
        label=_("Channels for critical alerts"),
        required=False,
        widget=ChannelCheckboxes,
        validators=[validate_configured],
    )
    repeat_minutes = forms.IntegerField(
        label=_("Remind every (minutes)"),
        min_value=0,
        max_value=7 * 24 * 60,
        help_text=_("Until acknowledged; 0 sends no reminders."),
    )
    rate_limit_minutes = forms.IntegerField(
        label=_("Rate-limit window (minutes)"), min_value=1, max_value=24 * 60
    )
    wecom_webhook_url = forms.URLField(
        label=NotificationPolicy._meta.get_field("wecom_webhook_url").verbose_name,
        required=False,
        max_length=200,
        assume_scheme="https",
    )

    field_order = [
        "name",
        "farm",
        "roles",
        "recipient_users",
        "channels_critical",
        "channels_warning",
        "channels_info",
        "wecom_webhook_url",
        "repeat_minutes",
        "quiet_start",
        "quiet_end",
        "rate_limit_count",
        "rate_limit_minutes",
    ]

    class Meta:
        model = NotificationPolicy
        fields = [
            "name",
            "farm",
            "recipient_users",
            "wecom_webhook_url",
            "quiet_start",
            "quiet_end",
            "rate_limit_count",
        ]
        labels = {
            "name": _("Name"),
            "farm": _("Only for farm"),
            "recipient_users": _("And these people"),
            "quiet_start": _("Quiet hours from"),
            "quiet_end": _("Quiet hours until"),
            "rate_limit_count": _("At most this many messages per person and channel"),
        }
        widgets = {
            "recipient_users": forms.CheckboxSelectMultiple,
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, organisation: Organisation, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        farm = self.fields["farm"]
        farm.queryset = _scope_farms(organisation, user)
        farm.empty_label = _("Every farm of the organisation")
        self.fields["recipient_users"].queryset = organisation_users(organisation)
        self.fields["recipient_users"].label_from_instance = _user_label
        _bound(self.fields["rate_limit_count"], 1, 100)
        for sev in ("info", "warning", "critical"):
            self.fields[f"channels_{sev}"].choices = _channel_choices()
        if not self.is_bound:
            p = self.instance
            self.initial.update(
                roles=p.recipient_roles,
                repeat_minutes=_minutes(p.repeat_interval) or 0,
                rate_limit_minutes=_minutes(p.rate_limit_window),
                **{
                    f"channels_{sev}": p.channels.get(sev, [])
                    for sev in ("info", "warning", "critical")
                },
            )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        elif start is not None and start == end:
            self.add_error("quiet_end", _("Quiet hours must not start and end at the same time."))
        channels = {sev: data.get(f"channels_{sev}", []) for sev in ("info", "warning", "critical")}
        if self.uses_wecom(channels) and not data.get("wecom_webhook_url"):
            self.add_error(
                "wecom_webhook_url",
                _("WeCom is chosen as a channel: give the group robot webhook."),
            )
        if not any(channels.values()):
            self.add_error("channels_critical", _("Choose at least one channel."))
        elif not data.get("roles") and not data.get("recipient_users"):
            if not self.uses_wecom(channels):  # a WeCom group needs no people
                self.add_error("roles", _("Choose whom to tell."))
        self.instance.recipient_roles = data.get("roles", [])
        self.instance.channels = channels
        if data.get("repeat_minutes") is not None:
            self.instance.repeat_interval = timedelta(minutes=data["repeat_minutes"])
        if data.get("rate_limit_minutes") is not None:
            self.instance.rate_limit_window = timedelta(minutes=data["rate_limit_minutes"])
        if "farm" in data:
            self.instance.farm = data["farm"]
            if editing.policy_clash(self.instance):
                self.add_error(
                    "farm",
                    _("This farm already has a policy.")
                    if data["farm"]
                    else _("The organisation already has an organisation-wide policy."),
                )
        return data

    @staticmethod
    def uses_wecom(channels: dict[str, list[str]]) -> bool:
        return any("wecom" in c for c in channels.values())


def _user_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class StepForm(forms.ModelForm):
    """One escalation step: after N minutes without acknowledgement, also tell these."""

    after_minutes = forms.IntegerField(
        label=_("After (minutes) without acknowledgement"), min_value=1, max_value=7 * 24 * 60
    )
    step_roles = forms.MultipleChoiceField(
        label=_("Tell the role"),
        choices=RECIPIENT_ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    step_channels = forms.MultipleChoiceField(
        label=_("On the channels"), widget=ChannelCheckboxes, validators=[validate_configured]
    )

    class Meta:
        model = EscalationStep
        fields = ["order", "after_minutes", "step_roles", "users", "step_channels"]
        labels = {"order": _("Step"), "users": _("And these people")}
        widgets = {"users": forms.CheckboxSelectMultiple}

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _bound(self.fields["order"], 1, 20)
        self.fields["users"].queryset = organisation_users(organisation)
        self.fields["users"].label_from_instance = _user_label
        self.fields["users"].required = False
        self.fields["step_channels"].choices = _channel_choices()
        if not self.is_bound and self.instance.pk:
            self.initial.update(
                after_minutes=_minutes(self.instance.after),
                step_roles=self.instance.roles,
                step_channels=self.instance.channels,
            )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("after_minutes") is not None:
            self.instance.after = timedelta(minutes=data["after_minutes"])
        self.instance.roles = data.get("step_roles", [])
        self.instance.channels = data.get("step_channels", [])
        only_wecom = set(self.instance.channels) == {"wecom"}
        if not data.get("step_roles") and not data.get("users") and not only_wecom:
            self.add_error("step_roles", _("Choose whom this step tells."))
        return data


class BaseStepFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        steps = []
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            data = form.cleaned_data
            if data.get("order") is not None and data.get("after_minutes") is not None:
                steps.append((data["order"], data["after_minutes"], form))
        orders = [o for o, _, _ in steps]
        if len(orders) != len(set(orders)):
            raise forms.ValidationError(_("Each step needs its own number."))
        super().clean()
        steps.sort(key=lambda s: s[0])
        for (_o1, a1, _f1), (_o2, a2, f2) in zip(steps, steps[1:], strict=False):
            if a2 <= a1:
                f2.add_error("after_minutes", _("A later step must come after the earlier one."))

    def uses_wecom(self) -> bool:
        return any(
            "wecom" in (f.cleaned_data.get("step_channels") or [])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        )


StepFormSet = forms.inlineformset_factory(
    NotificationPolicy,
    EscalationStep,
    form=StepForm,
    formset=BaseStepFormSet,
    extra=1,
    max_num=10,
    validate_max=True,
    can_delete=True,
)


def policy_forms_valid(form: PolicyForm, steps: BaseStepFormSet) -> bool:
    """Both valid, and a step on WeCom has the policy's webhook to post to."""
    ok = form.is_valid() & steps.is_valid()
    if ok and steps.uses_wecom() and not form.cleaned_data.get("wecom_webhook_url"):
        form.add_error(
            "wecom_webhook_url", _("An escalation step uses WeCom: give the group robot webhook.")
        )
        ok = False
    return ok


class SilenceForm(forms.Form):
    """Silence from an incident: this rule on this target, the whole site, or the farm."""

    SCOPES = [
        ("target", _("This rule, this place")),
        ("site", _("Every rule, this site")),
        ("farm", _("This rule, the whole farm")),
    ]

    scope = forms.ChoiceField(label=_("Silence"), choices=SCOPES, initial="target")
    hours = forms.IntegerField(
        label=_("For (hours)"), min_value=1, max_value=MAX_SILENCE_HOURS, initial=4
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, has_site: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not has_site:
            self.fields["scope"].choices = [c for c in self.SCOPES if c[0] != "site"]


# Names that only resolve inside a network (RFC 6761, RFC 8375 and common practice).
LOCAL_NAMES = ("localhost", "localdomain", "local", "internal", "lan", "home.arpa")


def validate_push_endpoint(url: str) -> str:
    """A Web Push endpoint the worker may POST to: https on a public host.

    The worker sends every alert of the subscriber to this URL, so a loopback,
    private, link-local or otherwise non-global address would let a user aim our
    server at the inside of its own network. Literal IPs (IPv4-mapped IPv6
    included) and local names are refused; other names are not resolved here.
    """
    if not isinstance(url, str) or len(url) > 1000:
        raise ValidationError(_("The push endpoint must be an https URL."))
    URLValidator(schemes=["https"])(url)
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise ValidationError(_("The push endpoint must be on a public host."))
    elif not host or any(host == n or host.endswith("." + n) for n in LOCAL_NAMES):
        raise ValidationError(_("The push endpoint must be on a public host."))
    return url


class LanguageSelect(forms.Select):
    """Each language named in itself, marked with its own ``lang``."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["lang"] = value
        return option


class ContactForm(forms.ModelForm):
    """A person's own numbers and ids, and how they want to hear about alerts."""

    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Mainland mobile, e.g. 13712345678. Verified by an SMS code."),
    )
    channels_critical = forms.MultipleChoiceField(
        label=_("Critical alerts reach me by"), required=False, widget=ChannelCheckboxes
    )
    channels_warning = forms.MultipleChoiceField(
        label=_("Warnings reach me by"), required=False, widget=ChannelCheckboxes
    )
    channels_info = forms.MultipleChoiceField(
        label=_("Information reaches me by"), required=False, widget=ChannelCheckboxes
    )

    class Meta:
        model = ContactProfile
        fields = ["phone", "wecom_userid", "wechat_openid", "language", "quiet_start", "quiet_end"]
        labels = {
            "wecom_userid": _("WeCom user id"),
            "wechat_openid": _("WeChat Official Account user id"),
            "language": _("Language of messages"),
            "quiet_start": _("Quiet hours from"),
            "quiet_end": _("Quiet hours until"),
        }
        help_texts = {
            "wecom_userid": _("The account in your WeCom address book (账号)."),
            "wechat_openid": _("Given when you follow the Official Account."),
            "quiet_start": _("Critical alerts still come through."),
        }
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "language": LanguageSelect,
        }

    SEVERITIES = ("critical", "warning", "info")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        personal = [(k, channels.label(k)) for k in channels.LADDER if k != "wecom"]
        for sev in self.SEVERITIES:
            self.fields[f"channels_{sev}"].choices = personal
            self.fields[f"channels_{sev}"].validators.append(validate_configured)
        if not self.is_bound:
            configured = [k for k, _label in personal if channels.is_configured(k)]
            for sev in self.SEVERITIES:
                self.initial[f"channels_{sev}"] = self.instance.channels.get(sev, configured)

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        return normalise_phone(raw) if raw else ""

    def clean_wecom_userid(self) -> str:
        value = self.cleaned_data.get("wecom_userid", "").strip()
        if value and not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", value):
            raise ValidationError(_("Letters, digits and _ . @ - only."))
        return value

    def clean_wechat_openid(self) -> str:
        value = self.cleaned_data.get("wechat_openid", "").strip()
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", value):
            raise ValidationError(_("This id is 28 letters, digits, - or _."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        elif start is not None and start == end:
            self.add_error("quiet_end", _("Quiet hours must not start and end at the same time."))
        return data

    def save(self, commit: bool = True):
        profile = self.instance
        phone = self.cleaned_data.get("phone", "")
        # The model form already copied the field; compare with what was stored.
        stored = type(profile).objects.filter(pk=profile.pk).values_list("phone", flat=True)
        profile.phone = stored.first() or "" if profile.pk else ""
        set_phone(profile, phone)
        profile.channels = {
            sev: list(self.cleaned_data.get(f"channels_{sev}", [])) for sev in self.SEVERITIES
        }
        if commit:
            profile.save()
        return profile
