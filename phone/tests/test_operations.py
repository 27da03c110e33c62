"""Acknowledge and snooze sent by the phone apply exactly once, however often they arrive."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from alerts.models import IncidentEvent
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World
from phone import operations
from phone.models import ClientOperation

from .phone_fixtures import client_for, op, open_incident, post, reviewer

world = alert_fixtures.world
world_committed = alert_fixtures.world_committed

ACK = IncidentEvent.Kind.ACKNOWLEDGED


def acks(incident) -> int:
    return IncidentEvent.objects.filter(incident=incident, kind=ACK).count()


def test_an_acknowledgement_sent_three_times_is_applied_once(world: World):
    incident = open_incident(world)
    client = client_for(world.farmer)
    body = op("acknowledge", incident.pk)
    first = post(client, body)
    assert first[0] == 200 and first[1]["result"] == "applied"
    assert first[1]["replayed"] is False
    for _ in range(2):
        again = post(client, body)
        assert again[0] == 200
        assert again[1] == {**first[1], "replayed": True}
    assert acks(incident) == 1
    stored = ClientOperation.objects.get(pk=body["id"])
    assert stored.replays == 2 and stored.user == world.farmer


def test_two_copies_arriving_at_once_apply_once(world_committed: World):
    incident = open_incident(world_committed)
    req = operations.parse(op("acknowledge", incident.pk))
    barrier = threading.Barrier(2)
    outcomes = []

    def send() -> None:
        try:
            barrier.wait()
            outcomes.append(operations.apply(world_committed.farmer, req, timezone.now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert {o.answer["result"] for o in outcomes} == {"applied"}
    assert acks(incident) == 1


def test_an_offline_acknowledgement_keeps_the_time_it_was_made(world: World):
    incident = open_incident(world)
    tapped = timezone.now() - timedelta(minutes=7)
    post(client_for(world.farmer), op("acknowledge", incident.pk, at=tapped.isoformat()))
    incident.refresh_from_db()
    assert incident.acknowledged_at == tapped
    assert incident.acknowledged_by == world.farmer


def test_a_phone_clock_in_the_future_is_not_believed(world: World):
    incident = open_incident(world)
    before = timezone.now()
    later = before + timedelta(days=2)
    post(client_for(world.farmer), op("acknowledge", incident.pk, at=later.isoformat()))
    incident.refresh_from_db()
    assert before <= incident.acknowledged_at <= timezone.now()


def test_acknowledging_an_acknowledged_alert_says_so_and_changes_nothing(world: World):
    incident = open_incident(world)
    client = client_for(world.farmer)
    post(client, op("acknowledge", incident.pk))
    status, answer = post(client, op("acknowledge", incident.pk))
    assert status == 200 and answer["result"] == "unchanged"
    assert answer["message"] == "此前已确认。"
    assert acks(incident) == 1


def test_an_offline_snooze_runs_from_when_it_was_made(world: World):
    incident = open_incident(world)
    tapped = timezone.now() - timedelta(minutes=10)
    body = op("snooze", incident.pk, minutes=30, reason="已开增氧机", at=tapped.isoformat())
    status, answer = post(client_for(world.farmer), body)
    assert status == 200 and answer["result"] == "applied"
    incident.refresh_from_db()
    assert incident.snoozed_until == tapped + timedelta(minutes=30)
    assert incident.snooze_reason == "已开增氧机"


def test_a_snooze_that_ran_out_while_offline_is_not_applied(world: World):
    incident = open_incident(world, opened_at=timezone.now() - timedelta(hours=3))
    tapped = timezone.now() - timedelta(hours=2)
    body = op("snooze", incident.pk, minutes=30, reason="检修", at=tapped.isoformat())
    status, answer = post(client_for(world.farmer), body)
    assert status == 200 and answer["result"] == "expired"
    incident.refresh_from_db()
    assert incident.snoozed_until is None
    assert not IncidentEvent.objects.filter(incident=incident, kind="snoozed").exists()


def test_another_farms_alert_is_not_found_and_nothing_is_stored(world: World):
    incident = open_incident(world)
    status, answer = post(client_for(world.stranger), op("acknowledge", incident.pk))
    assert status == 404 and answer["result"] == "not_found"
    assert not ClientOperation.objects.exists()
    assert acks(incident) == 0


def test_a_read_only_reviewer_is_refused_and_nothing_is_stored(world: World):
    incident = open_incident(world)
    status, answer = post(client_for(reviewer(world)), op("acknowledge", incident.pk))
    assert status == 403 and answer["result"] == "refused"
    assert answer["message"] == "您可以查看该场的告警，但不能处理。"
    assert not ClientOperation.objects.exists() and acks(incident) == 0


def test_an_id_reused_by_another_person_or_for_another_alert_is_a_conflict(world: World):
    incident = open_incident(world)
    other = open_incident(world, site=world.pond3)
    body = op("acknowledge", incident.pk)
    post(client_for(world.farmer), body)
    status, answer = post(client_for(world.manager), body)
    assert status == 409 and answer["result"] == "conflict"
    status, answer = post(client_for(world.farmer), {**body, "incident": other.pk})
    assert status == 409
    assert acks(other) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "应为一个 JSON 对象。"),
        ([1, 2], "应为一个 JSON 对象。"),
        ({"id": "nope", "kind": "acknowledge", "incident": 1}, "操作需要一个编号（UUID）。"),
        (op("delete", 1), "未知操作：应为确认或暂缓提醒。"),
        (op("acknowledge", True), "操作需要告警的编号。"),
        (op("acknowledge", -4), "操作需要告警的编号。"),
        (op("acknowledge", 1, at="yesterday"), "时间须为带时区偏移的 ISO 8601 时间。"),
        (op("acknowledge", 1, at="2026-12-03T10:00:00"), "时间须为带时区偏移的 ISO 8601 时间。"),
        (op("snooze", 1, minutes=7, reason="x"), "请选择提供的暂停时长之一。"),
        (op("snooze", 1, minutes=30, reason="  "), "请说明暂停提醒的原因。"),
    ],
)
def test_malformed_operations_are_rejected_with_a_reason(world: World, body, message):
    status, answer = post(client_for(world.farmer), body)
    assert status == 400
    assert answer == {"result": "rejected", "message": message}
    assert not ClientOperation.objects.exists()


def test_someone_logged_out_is_sent_to_the_login_page_and_keeps_the_operation(world: World):
    response = Client().post("/phone/ops/", op("acknowledge", 1), content_type="application/json")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_endpoint_checks_csrf_and_accepts_the_header_token(world: World):
    incident = open_incident(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.farmer)
    body = op("acknowledge", incident.pk)
    refused = client.post("/phone/ops/", body, content_type="application/json")
    assert refused.status_code == 403 and acks(incident) == 0
    client.get("/phone/")  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    ok = client.post(
        "/phone/ops/", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and acks(incident) == 1
