"""The beat tasks run by name, as Celery beat calls them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aeration import control, tasks
from aeration.models import Command


def test_the_expiry_task_expires_an_unconfirmed_command(pond, mosquitto):
    cmd = control.request(pond["aerator"].pk, True, user=pond["op"], mqtt_url=mosquitto)
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert tasks.expire_commands.apply(kwargs={"now": later}).get() == 1
    cmd.refresh_from_db()
    assert cmd.status == Command.Status.EXPIRED
    assert tasks.expire_commands.name == "aeration.expire_commands"


def test_the_automatic_task_does_nothing_without_automatic_aerators(pond):
    assert tasks.automatic.apply().get() == 0
    assert tasks.automatic.name == "aeration.automatic"
