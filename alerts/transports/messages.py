"""Alert texts, Chinese first, short enough for one SMS segment.

``render()`` turns an incident summary into a :class:`~alerts.transports.base.Message`:
a title and a body that fits one SMS segment and ends with the incident link (70
characters when UCS-2 is needed, i.e. for any Chinese character; 160 for plain
GSM 7-bit text), plus a template name and its parameters for SMS and voice.

Chinese carriers deliver only templates registered and approved in advance, so SMS
and voice never send ``body``; they send a template code and its parameters.
Links may not be template variables, so the link host is fixed in the template text
and only the incident id is a parameter. The suggested texts to register are
:data:`SMS_TEMPLATE_TEXTS` and :data:`VOICE_TEMPLATE_TEXTS` (Aliyun writes variables
``${name}``; Tencent Cloud numbers them ``{1}``, ``{2}`` ... in the order given by
:data:`SMS_TEMPLATE_PARAMS` / :data:`VOICE_TEMPLATE_PARAMS`); README.md lists them too.

Both providers cap the length of each variable value (the limits change; check the
console when registering), so every parameter is cut to :data:`MAX_PARAM_CHARS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alerts.transports.base import Message
from vocabulary.metrics import metric_label as codec_metric_label

SMS_SEGMENT_CHARS = 70  # UCS-2, needed by any Chinese character
GSM7_SEGMENT_CHARS = 160  # GSM 03.38 default alphabet, plain English text
# ASCII characters outside the GSM 7-bit default alphabet or costing two septets there.
_NOT_GSM7_BASIC = set("^{}\\[]~|`")
MAX_PARAM_CHARS = 20
ELLIPSIS = "…"


class Kind(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    ESCALATION = "escalation"
    REMINDER = "reminder"


SMS_TEMPLATE_PARAMS: dict[str, tuple[str, ...]] = {
    Kind.FIRING: ("site", "subject", "value", "threshold", "id"),
    Kind.RESOLVED: ("site", "subject", "value", "id"),
    Kind.ESCALATION: ("site", "subject", "minutes", "value", "id"),
    Kind.REMINDER: ("site", "subject", "value", "id"),
}
VOICE_TEMPLATE_PARAMS: dict[str, tuple[str, ...]] = {
    Kind.FIRING: ("site", "subject", "value", "threshold"),
    Kind.ESCALATION: ("site", "subject", "minutes", "value"),
    Kind.REMINDER: ("site", "subject", "value"),
}

# Suggested template texts in Aliyun syntax; <host> is the site's public host name.
# Filled with typical values plus a 【signature】 they stay within one 70-character segment.
SMS_TEMPLATE_TEXTS: dict[str, str] = {
    Kind.FIRING: "${site}${subject}告警：${value}，阈值${threshold}。详情 https://<host>/i/${id}",
    Kind.RESOLVED: "${site}${subject}已恢复，当前${value}。详情 https://<host>/i/${id}",
    Kind.ESCALATION: "${site}${subject}告警${minutes}分钟未确认，当前${value}。"
    "详情 https://<host>/i/${id}",
    Kind.REMINDER: "${site}${subject}告警仍未处理，当前${value}。详情 https://<host>/i/${id}",
}
VOICE_TEMPLATE_TEXTS: dict[str, str] = {
    Kind.FIRING: "您好，这里是农情监测平台。${site}${subject}告警，当前${value}，"
    "阈值${threshold}，请尽快处理，确认请按1。",
    Kind.ESCALATION: "您好，这里是农情监测平台。${site}${subject}告警已${minutes}分钟无人确认，"
    "当前${value}，请立即处理，确认请按1。",
    Kind.REMINDER: "您好，这里是农情监测平台。${site}${subject}告警仍未处理，当前${value}，"
    "请尽快处理，确认请按1。",
}


@dataclass(frozen=True)
class IncidentSummary:
    """What a message needs to know about an incident, already in the reader's language."""

    incident_id: str | int
    url: str  # keep it short (e.g. https://host/i/123): it shares the 70 characters
    severity: str  # info | warning | critical
    site: str  # "3号塘"
    subject: str  # what is wrong: "溶解氧", "稻飞虱", "网关离线"
    value: str = ""  # "2.1 mg/L"
    threshold: str = ""  # "3.0 mg/L"
    minutes_unacknowledged: int = 0


_SEVERITY = {
    "zh-hans": {"info": "提示", "warning": "警告", "critical": "严重"},
    "en": {"info": "Info", "warning": "Warning", "critical": "Critical"},
}

# (title, body); the body's "{url}" is appended last and never shortened.
_TEXTS = {
    "zh-hans": {
        Kind.FIRING: (
            "[{sev}] {site}{subject}告警",
            "{site}{subject}告警：当前{value}，阈值{threshold}。",
        ),
        Kind.RESOLVED: ("[已恢复] {site}{subject}", "{site}{subject}已恢复正常，当前{value}。"),
        Kind.ESCALATION: (
            "[{sev}·升级] {site}{subject}告警",
            "{site}{subject}告警{minutes}分钟未确认，当前{value}，请立即处理。",
        ),
        Kind.REMINDER: (
            "[{sev}·提醒] {site}{subject}告警",
            "{site}{subject}告警仍未处理，当前{value}。",
        ),
    },
    "en": {
        Kind.FIRING: ("[{sev}] {site} {subject}", "{site} {subject}: {value}, limit {threshold}."),
        Kind.RESOLVED: ("[Resolved] {site} {subject}", "{site} {subject} back to normal: {value}."),
        Kind.ESCALATION: (
            "[{sev}, escalated] {site} {subject}",
            "{site} {subject}: {value}, no ack for {minutes} min.",
        ),
        Kind.REMINDER: (
            "[{sev}, reminder] {site} {subject}",
            "{site} {subject} still firing: {value}.",
        ),
    },
}


# Canonical metric names (DESIGN.md §5) as a farmer reads them.
def metric_label(metric: str, lang: str = "zh-hans") -> str:
    return codec_metric_label(metric, _lang(lang))


def render(
    kind: str,
    incident: IncidentSummary,
    lang: str = "zh-hans",
    *,
    idempotency_key: str = "",
) -> Message:
    """Render one notification; the body including the link fits one SMS segment."""
    kind = Kind(kind)
    lang = _lang(lang)
    title_fmt, body_fmt = _TEXTS[lang][kind]
    fields = {
        "sev": _SEVERITY[lang].get(incident.severity, incident.severity),
        "site": incident.site,
        "subject": incident.subject,
        "value": incident.value or "-",
        "threshold": incident.threshold or "-",
        "minutes": str(incident.minutes_unacknowledged),
    }
    limit = segment_chars(body_fmt.format(**fields) + " " + incident.url)
    body = _fit(body_fmt, fields, limit - len(incident.url) - 1) + " " + incident.url
    if len(body) > segment_chars(body):  # shortening added "…", which needs UCS-2
        body = _fit(body_fmt, fields, SMS_SEGMENT_CHARS - len(incident.url) - 1)
        body += " " + incident.url
    params = {
        "site": incident.site,
        "subject": incident.subject,
        "value": fields["value"],
        "threshold": fields["threshold"],
        "minutes": fields["minutes"],
        "id": str(incident.incident_id),
    }
    names = SMS_TEMPLATE_PARAMS[kind]
    return Message(
        incident_id=str(incident.incident_id),
        incident_url=incident.url,
        severity=incident.severity,
        title=title_fmt.format(**fields),
        body=body,
        template=kind.value,
        template_params={name: _cut(params[name], MAX_PARAM_CHARS) for name in names},
        idempotency_key=idempotency_key,
        lang=lang,
    )


def segment_chars(text: str) -> int:
    """Characters one SMS segment holds for this text: 160 in GSM 7-bit, else 70."""
    if text.isascii() and not _NOT_GSM7_BASIC.intersection(text):
        return GSM7_SEGMENT_CHARS
    return SMS_SEGMENT_CHARS


def _lang(lang: str) -> str:
    return "zh-hans" if lang.lower().startswith("zh") else "en"


def _fit(fmt: str, fields: dict[str, str], room: int) -> str:
    """Format, shortening the free-text names (never the value) until it fits ``room``."""
    fields = dict(fields)
    text = fmt.format(**fields)
    while len(text) > room:
        longest = max(("site", "subject"), key=lambda name: len(fields[name]))
        if len(fields[longest]) <= 2:
            return _cut(text, room)
        fields[longest] = _cut(fields[longest], len(fields[longest]) - 1)
        text = fmt.format(**fields)
    return text


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS
