"""Handing deliveries to Celery: the one place the ``alerts.deliver`` task is queued.

``notify`` writes ``Delivery`` rows and returns them; whoever planned them passes them
here, and they are queued once the transaction that wrote them commits (a worker must
never look for a row that is not there yet, nor send one that was rolled back).

A leaf: the task is found by its registered name rather than by importing
``alerts.tasks``, which imports the beat checks, the engine and ``notify`` in turn.
``AlertsConfig.ready`` imports the tasks, so the name is registered in every process.
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import current_app
from django.db import transaction

from alerts.models import Delivery

DELIVER_TASK = "alerts.deliver"


def send_after_commit(deliveries: Iterable[Delivery]) -> None:
    """Queue the deliveries that are due now (deferred ones wait for ``flush_deferred``)."""
    queue([d.pk for d in deliveries if d.outcome == Delivery.Outcome.QUEUED])


def queue(delivery_ids: Iterable[int]) -> None:
    """Queue deliveries by id once the rows they name are committed."""
    ids = list(delivery_ids)
    if ids:
        transaction.on_commit(lambda: _deliver(ids))


def _deliver(ids: list[int]) -> None:
    deliver = current_app.tasks[DELIVER_TASK]
    for pk in ids:
        deliver.delay(pk)
