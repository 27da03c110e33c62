"""Apply an acknowledge or snooze sent by the phone exactly once.

The phone queues what the farmer did while offline and sends it again until it hears
an answer, from the page and from the service worker, possibly both at once. The
operation's UUID is the primary key of :class:`~phone.models.ClientOperation`: the
first request inserts it and applies the change through ``alerts.incidents`` in the
same transaction; a concurrent duplicate waits on that key and then reads the stored
outcome, which every replay gets back unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from alerts import incidents
from alerts.models import Incident
from farm import access
from phone.models import ClientOperation

SNOOZE_MINUTES = (30, 60, 120, 240, 480)  # as offered on the incident page
# A phone's clock can be wrong, and a queue can sit for days; beyond this the time the
# phone reports is not believed and the server's own time is used.
MAX_OFFLINE = timedelta(days=7)


class OperationRejected(ValueError):
    """The request is malformed; nothing was stored. ``message`` is for the reader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Request:
    client_id: uuid.UUID
    kind: str
    incident_id: int
    made_at: datetime | None
    minutes: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    status: int  # the HTTP status this outcome is answered with, every time
    answer: dict[str, Any]
    replayed: bool = False


def parse(data: Any) -> Request:
    """Check the phone's JSON; raise :class:`OperationRejected` naming what is wrong."""
    if not isinstance(data, dict):
        raise OperationRejected(_("Expected a JSON object."))
    try:
        client_id = uuid.UUID(str(data.get("id", "")))
    except ValueError:
        raise OperationRejected(_("The operation needs an id (a UUID).")) from None
    kind = data.get("kind")
    if kind not in ClientOperation.Kind.values:
        raise OperationRejected(_("Unknown operation: acknowledge or snooze expected."))
    incident_id = data.get("incident")
    if isinstance(incident_id, str) and incident_id.isdigit():
        incident_id = int(incident_id)
    if not isinstance(incident_id, int) or isinstance(incident_id, bool) or incident_id <= 0:
        raise OperationRejected(_("The operation needs the incident's number."))
    made_at = None
    if data.get("at"):
        made_at = parse_datetime(str(data["at"])[:40]) if isinstance(data["at"], str) else None
        if made_at is None or made_at.tzinfo is None:
            raise OperationRejected(_("The time must be an ISO 8601 time with its offset."))
    minutes, reason = None, ""
    if kind == ClientOperation.Kind.SNOOZE:
        minutes = data.get("minutes")
        if minutes not in SNOOZE_MINUTES or isinstance(minutes, bool):
            raise OperationRejected(_("Choose one of the offered snooze lengths."))
        reason = str(data.get("reason") or "").strip()[:200]
        if not reason:
            raise OperationRejected(_("Say why the alert is snoozed."))
    return Request(client_id, kind, incident_id, made_at, minutes, reason)


def apply(user: AbstractBaseUser, req: Request, now: datetime) -> Outcome:
    """The outcome of ``req`` for ``user``: decided now, or the one decided the first time.

    Raises ``Http404`` when the incident is not one the user may read (nothing stored,
    so nothing about other farms' incidents leaks through the id).
    """
    stored = ClientOperation.objects.filter(pk=req.client_id).first()
    if stored is not None:
        return _replay(stored, user, req)
    incident = access.get_readable_or_404(
        user, Incident.objects.select_related("farm"), "farm", pk=req.incident_id
    )
    try:
        with transaction.atomic():
            op = ClientOperation.objects.create(
                client_id=req.client_id,
                user=user,
                kind=req.kind,
                incident=incident,
                minutes=req.minutes,
                reason=req.reason,
                made_at=_believable(req.made_at, incident, now),
                received_at=now,
                status=0,
            )
            outcome = _perform(op, incident, user, now)
            op.status, op.answer = outcome.status, outcome.answer
            op.save(update_fields=["status", "answer"])
            return outcome
    except IntegrityError:
        # The same id arrived twice at once; the other request decided (and committed).
        return _replay(ClientOperation.objects.get(pk=req.client_id), user, req)


def _believable(made_at: datetime | None, incident: Incident, now: datetime) -> datetime:
    """When the farmer acted: the phone's time if it is plausible, otherwise now."""
    if made_at is None or made_at > now or made_at < now - MAX_OFFLINE:
        return now
    return max(made_at, incident.opened_at)


def _perform(
    op: ClientOperation, incident: Incident, user: AbstractBaseUser, now: datetime
) -> Outcome:
    base = {"id": str(op.client_id), "kind": op.kind, "incident": incident.pk}
    if not access.can_edit_farm(user, incident.farm_id):
        message = _("You may read this farm's alerts but not act on them.")
        return Outcome(403, {**base, "result": "refused", "message": message})
    if op.kind == ClientOperation.Kind.ACKNOWLEDGE:
        if incidents.acknowledge(incident, user, op.made_at):
            return Outcome(200, {**base, "result": "applied", "message": _("Acknowledged.")})
        message = _("Already acknowledged.")
        return Outcome(200, {**base, "result": "unchanged", "message": message})
    until = op.made_at + timedelta(minutes=op.minutes or 0)
    if until <= now:
        message = _("The snooze had already run out when the phone came back online.")
        return Outcome(200, {**base, "result": "expired", "message": message})
    try:
        incidents.snooze(incident, user, until, op.reason, now)
    except ValidationError as exc:
        return Outcome(400, {**base, "result": "refused", "message": "; ".join(exc.messages)})
    message = _("Snoozed until %(time)s.") % {"time": _local_hm(until)}
    return Outcome(200, {**base, "result": "applied", "message": message})


def _local_hm(when: datetime) -> str:
    return timezone.localtime(when).strftime("%H:%M")


def _replay(stored: ClientOperation, user: AbstractBaseUser, req: Request) -> Outcome:
    """The first outcome again; the same id for another person or another action is refused."""
    same = (stored.user_id, stored.kind, stored.incident_id) == (user.pk, req.kind, req.incident_id)
    if not same:
        message = _("This operation id was already used for something else.")
        return Outcome(409, {"id": str(req.client_id), "result": "conflict", "message": message})
    ClientOperation.objects.filter(pk=stored.pk).update(replays=stored.replays + 1)
    return Outcome(stored.status, stored.answer, replayed=True)
