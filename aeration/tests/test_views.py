"""Control pages: who may switch (through farm.access), the confirmation step, the audit."""

from __future__ import annotations

import pytest
from django.test import Client

from aeration.models import Command


@pytest.fixture
def as_user(pond):
    def login(name: str) -> Client:
        c = Client()
        c.force_login(pond[name])
        return c

    return login


def url(pond, what: str) -> str:
    return f"/aeration/ponds/{pond['pond'].pk}/{what}"


def test_a_bureau_reviewer_sees_the_aerators_but_a_switch_is_403_and_audited(pond, as_user):
    c = as_user("bureau")
    page = c.get(url(pond, ""), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    text = page.content.decode()
    assert "1号增氧机" in text and "状态未知" in text
    assert 'name="state"' not in text  # no switch offered

    post = {"aerator": pond["aerator"].pk, "state": "on", "confirm": "1"}
    resp = c.post(url(pond, "switch/"), post)
    assert resp.status_code == 403
    audit = Command.objects.get(aerator=pond["aerator"])
    assert audit.status == Command.Status.REFUSED and audit.user == pond["bureau"]
    assert audit.sent_at is None and audit.topic == "" and audit.reason == "只读权限：不能开关"


def test_an_operator_is_asked_to_confirm_before_anything_is_sent(pond, as_user):
    c = as_user("op")
    resp = c.post(
        url(pond, "switch/"),
        {"aerator": pond["aerator"].pk, "state": "off"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "确认关闭1号塘的1号增氧机？" in text and 'name="confirm"' in text
    assert not Command.objects.exists()


def test_a_confirmed_switch_records_who_and_why(pond, as_user, settings):
    settings.CONFIG = settings.CONFIG.__class__(
        **{**settings.CONFIG.__dict__, "mqtt_url": "mqtt://127.0.0.1:1"}
    )
    c = as_user("mgr")
    resp = c.post(
        url(pond, "switch/"),
        {"aerator": pond["aerator"].pk, "state": "on", "confirm": "1", "reason": "凌晨缺氧"},
    )
    cmd = Command.objects.get(aerator=pond["aerator"])
    assert cmd.user == pond["mgr"] and cmd.reason == "凌晨缺氧" and cmd.desired_on
    # No broker at that address: the person is told, the command is marked failed.
    assert resp.status_code == 502 and cmd.status == Command.Status.FAILED
    assert "指令未能发出" in resp.content.decode()


def test_a_controller_not_set_up_is_explained_and_nothing_is_sent(pond, as_user):
    c = pond["controller"]
    c.application_id = "bad/#"
    c.save()
    resp = as_user("op").post(
        url(pond, "switch/"), {"aerator": pond["aerator"].pk, "state": "on", "confirm": "1"}
    )
    assert resp.status_code == 409 and "尚未配置好" in resp.content.decode()
    assert Command.objects.get().status == Command.Status.FAILED


@pytest.mark.parametrize(
    "data",
    [{}, {"aerator": "x", "state": "on"}, {"aerator": 999999, "state": "on"}, {"state": "up"}],
)
def test_a_malformed_switch_is_a_clear_400(pond, as_user, data):
    resp = as_user("op").post(url(pond, "switch/"), data)
    assert resp.status_code == 400
    assert not Command.objects.filter(status=Command.Status.PENDING).exists()


def test_another_farms_pond_is_not_found(pond, as_user):
    from aeration.tests.conftest import make_aeration

    other = make_aeration("-other")
    resp = as_user("op").post(
        f"/aeration/ponds/{other['pond'].pk}/switch/",
        {"aerator": other["aerator"].pk, "state": "on", "confirm": "1"},
    )
    assert resp.status_code == 404 and not Command.objects.exists()


def test_switching_needs_post_and_csrf(pond):
    c = Client(enforce_csrf_checks=True)
    c.force_login(pond["op"])
    assert c.get(url(pond, "switch/")).status_code == 405
    resp = c.post(url(pond, "switch/"), {"aerator": pond["aerator"].pk, "state": "on"})
    assert resp.status_code == 403 and not Command.objects.exists()


def test_mode_change_by_an_operator_and_not_by_a_reviewer(pond, as_user):
    a = pond["aerator"]
    assert (
        as_user("bureau").post(url(pond, "mode/"), {"aerator": a.pk, "mode": "auto"}).status_code
        == 403
    )
    assert (
        as_user("op").post(url(pond, "mode/"), {"aerator": a.pk, "mode": "auto"}).status_code == 302
    )
    a.refresh_from_db()
    assert a.mode == "auto"


def test_the_pages_read_in_chinese(pond, as_user):
    from datetime import UTC, datetime

    from aeration.models import Aerator
    from tests.visible_text import untranslated

    a = pond["aerator"]
    Aerator.objects.filter(pk=a.pk).update(
        reported_on=True, reported_at=datetime.now(UTC), current_a=9.5, mode="auto"
    )
    for status in Command.Status.values:
        Command.objects.create(aerator=a, desired_on=True, source="auto", status=status)
    c = as_user("op")
    page = c.get(url(pond, ""), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert untranslated(page) == []
    for state in ("on", "off"):
        confirm = c.post(
            url(pond, "switch/"), {"aerator": a.pk, "state": state}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
        assert untranslated(confirm) == []
    bad = c.post(url(pond, "switch/"), {}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert untranslated(bad) == []
