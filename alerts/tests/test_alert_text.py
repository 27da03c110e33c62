"""What people read about alerts: plain Chinese summaries with the sources for managers,
values in their own units, probe faults and history lines named, not coded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from alerts import rule_templates
from alerts.engine import evaluate, probe_fault_rule
from alerts.event_text import event_reason
from alerts.forms import RuleForm
from alerts.models import Incident, Rule
from alerts.rule_text import rule_text
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at

world = alert_fixtures.world
C = Rule.Condition


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_a_template_rule_has_a_plain_summary_and_its_sources_as_basis(world: World):
    [rule] = [r for r in rule_templates.adopt(world.org.pk) if r.template_key == "gc.nh3"]
    text = rule_text(rule)
    assert text.summary == "非离子氨高于 0.02 mg/L 持续 2 小时。降到 0.015 mg/L 以下后解除。"
    assert "S4，二手资料" in text.basis and "未经核实" in text.basis
    assert "[S]" not in text.basis and "row not verified" not in text.basis


def test_a_description_someone_wrote_is_shown_as_written(world: World):
    rule = world.rule(threshold=3.0, description="老王说三点以下就开机")
    assert rule_text(rule).summary == "老王说三点以下就开机" and rule_text(rule).basis == ""


def test_the_built_in_probe_fault_rule_reads_in_chinese(world: World):
    assert (
        rule_text(probe_fault_rule(world.org.pk)).summary
        == "节点报告探头故障；该探头的告警暂不判断。"
    )


def test_editing_a_template_rule_without_touching_its_text_keeps_the_sources(world: World):
    [rule] = [r for r in rule_templates.adopt(world.org.pk) if r.template_key == "gc.do.floor"]
    form = RuleForm(instance=rule, organisation=world.org)
    shown = form.initial["description"]
    assert shown.startswith("溶解氧低于 3 mg/L 持续 5 分钟")
    form.cleaned_data = {"description": shown}
    assert form.clean_description() == rule.description  # the stored basis, unchanged
    form.cleaned_data = {"description": "我们塘口自己的说明"}
    assert form.clean_description() == "我们塘口自己的说明"


def test_the_hours_below_rule_reports_hours_not_milligrams(world: World):
    world.rule(
        condition=C.TIME_BELOW, threshold=5.0, window=timedelta(hours=24), params={"hours": 8}
    )
    evaluate([world.reading(m, 4.0) for m in range(0, 9 * 60 + 1, 30)], now=at(9 * 60))
    incident = Incident.objects.get()
    assert incident.value_text == "8 小时" and "mg/L" not in incident.value_text


@pytest.mark.parametrize(
    "metric, threshold, value, unit",
    [("ph", 9.0, 9.4, "pH"), ("orp", 400.0, 450.0, "mV"), ("soil_ph", 8.0, 8.5, "pH")],
)
def test_a_reading_is_worded_in_its_catalogue_unit(world: World, metric, threshold, value, unit):
    world.rule(metric=metric, condition=C.ABOVE, threshold=threshold)
    evaluate([world.reading(0, value, metric=metric)], now=at(0))
    incident = Incident.objects.get()
    assert incident.value_text == f"{value:g} {unit}"
    assert incident.threshold_text == f"{threshold:g} {unit}"
    assert incident.title.endswith(f"高于{threshold:g} {unit}")


def test_a_probe_fault_is_named_in_the_incident_title(world: World):
    evaluate([world.reading(0, None, fault="no_response")], now=at(0))
    incident = Incident.objects.get(rule__condition=C.PROBE_FAULT)
    assert incident.title.endswith("：探头无响应")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("pending → firing", "待定 → 告警中"),
        ("reminder 2", "第 2 次提醒"),
        ("step 1: 90 min unacknowledged", "第 1 级：1 小时 30 分钟 无人确认"),
        ("no_response", "探头无响应"),
        ("until 2026-07-20T04:00:00+00:00: 已开增氧机", "至 07-20 12:00：已开增氧机"),
        ("已开增氧机", "已开增氧机"),
    ],
)
def test_history_reasons_are_shown_in_the_readers_language(stored, shown):
    assert event_reason(stored) == shown


def test_a_farmer_reads_the_summary_and_a_manager_also_the_basis(world: World):
    rule_templates.adopt(world.org.pk, ["grass_carp_pond"])
    farmer, manager = Client(), Client()
    farmer.force_login(world.farmer)
    manager.force_login(world.manager)
    page = farmer.get("/alerts/rules/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "非离子氨高于 0.02 mg/L 持续 2 小时" in page and "依据" not in page
    page = manager.get("/alerts/rules/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<summary>依据</summary>" in page and "S4，二手资料" in page


def test_titles_are_stored_in_the_site_language_whoever_opens_the_incident(world: World):
    with translation.override("en"):  # e.g. an English-speaking uploader's request
        evaluate([world.reading(0, None, fault="no_response")], now=at(0))
    assert Incident.objects.get(rule__condition=C.PROBE_FAULT).title.endswith("：探头无响应")
