"""Alert texts: Chinese by default, one SMS segment, link last, template params in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alerts import transports
from alerts.transports.messages import (
    MAX_PARAM_CHARS,
    SMS_SEGMENT_CHARS,
    SMS_TEMPLATE_PARAMS,
    SMS_TEMPLATE_TEXTS,
    VOICE_TEMPLATE_PARAMS,
    VOICE_TEMPLATE_TEXTS,
    IncidentSummary,
    Kind,
    metric_label,
    render,
    segment_chars,
)

URL = "https://agri.example.cn/i/12345"


def incident(**changes) -> IncidentSummary:
    fields = {
        "incident_id": 12345,
        "url": URL,
        "severity": "critical",
        "site": "3号塘",
        "subject": "溶解氧",
        "value": "2.1 mg/L",
        "threshold": "3.0 mg/L",
        "minutes_unacknowledged": 15,
    }
    return IncidentSummary(**(fields | changes))


def test_firing_message_is_chinese_by_default():
    message = render("firing", incident())

    assert message.lang == "zh-hans"
    assert message.title == "[严重] 3号塘溶解氧告警"
    assert message.body == f"3号塘溶解氧告警：当前2.1 mg/L，阈值3.0 mg/L。 {URL}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_fits_one_sms_segment_and_ends_with_the_link(kind, lang):
    long_names = incident(site="青山水产合作社东区三号高位养殖池塘", subject="溶解氧（表层探头）")

    body = render(kind, long_names, lang).body

    assert len(body) <= segment_chars(body)
    assert body.endswith(" " + URL)


def test_long_site_name_is_shortened_but_value_and_link_are_kept():
    body = render("escalation", incident(site="青山水产合作社东区三号高位养殖池塘" * 2)).body

    assert len(body) <= SMS_SEGMENT_CHARS
    assert "…" in body
    assert "2.1 mg/L" in body
    assert "15分钟" in body


def test_plain_english_may_use_the_160_character_gsm_segment():
    body = render("firing", incident(site="Pond 3", subject="dissolved oxygen"), "en").body

    assert body == f"Pond 3 dissolved oxygen: 2.1 mg/L, limit 3.0 mg/L. {URL}"
    assert segment_chars(body) == 160


def test_chinese_text_counts_against_the_70_character_segment():
    assert segment_chars("3号塘溶解氧") == SMS_SEGMENT_CHARS


def test_resolved_message_says_recovered():
    message = render("resolved", incident())

    assert message.title.startswith("[已恢复]")
    assert "已恢复正常" in message.body


def test_english_rendering_is_available():
    message = render("reminder", incident(site="Pond 3", subject="dissolved oxygen"), "en")

    assert message.lang == "en"
    assert message.title == "[Critical, reminder] Pond 3 dissolved oxygen"


def test_template_params_follow_the_registered_order():
    message = render("escalation", incident())

    assert list(message.template_params) == list(SMS_TEMPLATE_PARAMS[Kind.ESCALATION])
    assert list(message.template_params.values()) == ["3号塘", "溶解氧", "15", "2.1 mg/L", "12345"]


@pytest.mark.parametrize("kind", list(Kind))
def test_suggested_sms_text_uses_exactly_the_params_in_order(kind):
    variables = re.findall(r"\$\{(\w+)\}", SMS_TEMPLATE_TEXTS[kind])

    assert tuple(variables) == SMS_TEMPLATE_PARAMS[kind]


@pytest.mark.parametrize("kind", list(VOICE_TEMPLATE_TEXTS))
def test_suggested_voice_text_uses_params_the_message_carries(kind):
    variables = re.findall(r"\$\{(\w+)\}", VOICE_TEMPLATE_TEXTS[kind])
    message = render(kind, incident())

    assert tuple(variables) == VOICE_TEMPLATE_PARAMS[kind]
    assert set(variables) <= set(message.template_params)


def test_template_params_are_cut_to_the_variable_limit():
    message = render("firing", incident(site="青山水产合作社东区三号高位养殖池塘西侧增氧机旁"))

    assert all(len(value) <= MAX_PARAM_CHARS for value in message.template_params.values())
    assert message.template_params["site"].endswith("…")


def test_idempotency_key_is_carried_through():
    assert render("firing", incident(), idempotency_key="k-1").idempotency_key == "k-1"


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        render("exploded", incident())


def test_metric_labels_come_in_both_languages():
    assert metric_label("do") == "溶解氧"
    assert metric_label("do", "en") == "dissolved oxygen"
    assert metric_label("not_a_metric") == "not_a_metric"


@pytest.mark.parametrize("kind", list(Kind))
def test_suggested_sms_text_with_typical_values_and_signature_fits_one_segment(kind):
    params = render(kind, incident()).template_params
    text = SMS_TEMPLATE_TEXTS[kind].replace("<host>", "agri.example.cn")
    for name, value in params.items():
        text = text.replace("${" + name + "}", value)

    assert len("【农情监测】" + text) <= SMS_SEGMENT_CHARS, text


def test_package_readme_lists_the_same_template_texts():
    readme = (Path(transports.__file__).parent / "README.md").read_text(encoding="utf-8")

    for text in [*SMS_TEMPLATE_TEXTS.values(), *VOICE_TEMPLATE_TEXTS.values()]:
        assert f"`{text}`" in readme
