"""Delivery through a real Celery worker to a local WeCom robot endpoint."""

from __future__ import annotations

import json
import time

import pytest
import redis
from django.db import connection, transaction

from alerts.engine import evaluate
from alerts.models import Delivery, Incident
from alerts.tasks import deliver
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at
from alerts.tests.transport_servers import Received, serve
from alerts.tests.worker import BROKER, celery_worker
from alerts.transports import delivery_key

pytestmark = pytest.mark.django_db(transaction=True)
world_committed = alert_fixtures.world_committed

OK = (200, {"Content-Type": "application/json"}, b'{"errcode": 0, "errmsg": "ok"}')
DOWN = (503, {}, b"upstream unavailable")


def wecom_delivery(world: World, url: str) -> Delivery:
    world.rule(threshold=3.0, clear_threshold=3.5, severity="warning")
    evaluate([world.reading(0, 2.4)], now=at(0))  # no policy yet: nothing is queued
    incident = Incident.objects.get()
    return Delivery.objects.create(
        incident=incident,
        recipient_key="wecom:policy:1",
        recipient_label="塘口群",
        address=f"{url}/cgi-bin/webhook/send?key=test",
        channel="wecom",
        kind="firing",
        idempotency_key=delivery_key(incident.pk, "wecom:policy:1", "wecom", "firing"),
        created=at(0),
    )


def test_the_same_delivery_task_sent_twice_reaches_the_endpoint_once(world_committed, tmp_path):
    with serve(lambda r: OK) as stub, celery_worker(tmp_path) as worker:
        d = wecom_delivery(world_committed, stub.url)
        first = deliver.apply_async((d.pk,), queue=worker.queue)
        second = deliver.apply_async((d.pk,), queue=worker.queue)
        assert first.get(timeout=120) == "delivered"
        assert second.get(timeout=120) == "delivered"
        assert len(stub.received) == 1
    d.refresh_from_db()
    assert (d.outcome, d.attempts) == ("delivered", 1)
    body = json.loads(stub.received[0].body)
    content = body["markdown"]["content"]
    assert "1号塘溶解氧告警" in content
    assert f"https://agrimon.example.cn/i/{d.incident_id}" in content


def test_endpoint_down_is_retried_with_back_off_and_delivers_once_it_recovers(
    world_committed, tmp_path
):
    def flaky(request: Received):
        return DOWN if len(stub.received) <= 2 else OK

    with serve(flaky) as stub, celery_worker(tmp_path) as worker:
        d = wecom_delivery(world_committed, stub.url)
        result = deliver.apply_async((d.pk,), queue=worker.queue)
        assert result.get(timeout=120) == "delivered"
        statuses = [flaky(r)[0] for r in stub.received]
    d.refresh_from_db()
    assert (d.outcome, d.attempts) == ("delivered", 3)
    assert len(statuses) == 3


def _waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # stats are cached per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def forget_unacked() -> None:
    """Drop the killed worker's unacknowledged copy so no later run redelivers it."""
    client = redis.Redis.from_url(BROKER)
    client.delete("unacked", "unacked_index")
    client.close()


def poll(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def test_worker_killed_mid_delivery_loses_nothing_and_sends_once(world_committed, tmp_path):
    with serve(lambda r: OK) as stub:
        d = wecom_delivery(world_committed, stub.url)
        with celery_worker(tmp_path / "first") as first:
            with transaction.atomic():  # hold the row so the task is caught mid-delivery
                Delivery.objects.select_for_update().get(pk=d.pk)
                deliver.apply_async((d.pk,), queue=first.queue)
                poll(_waiting_on_lock)
                first.proc.kill()
                first.proc.wait()
        d.refresh_from_db()
        assert (d.outcome, d.attempts, len(stub.received)) == ("queued", 0, 0)
        # The broker hands the unacknowledged task out again; here, to a fresh worker.
        with celery_worker(tmp_path / "second") as second:
            again = deliver.apply_async((d.pk,), queue=second.queue)
            assert again.get(timeout=120) == "delivered"
        assert len(stub.received) == 1
    forget_unacked()
