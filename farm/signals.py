"""Tell open WebSockets when a user's access may have changed (see ``farm.consumers``).

Each receiver defers the notice until the change commits, so the socket's re-check
reads the new state; a rolled-back change notifies nobody.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from farm.consumers import notify_access_changed
from farm.models import Membership


def _after_commit(user_id: int | None) -> None:
    if user_id is not None:
        transaction.on_commit(lambda: notify_access_changed(user_id))


@receiver(post_save, sender=Membership, dispatch_uid="farm.live.membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="farm.live.membership_deleted")
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    _after_commit(instance.user_id)


@receiver(m2m_changed, sender=Membership.farms.through, dispatch_uid="farm.live.membership_farms")
def membership_farms_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Membership):
        _after_commit(instance.user_id)
    else:  # farm.operator_memberships edited from the farm's side
        users = Membership.objects.filter(pk__in=pk_set or ()).values_list("user_id", flat=True)
        for user_id in set(users):
            _after_commit(user_id)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="farm.live.user_saved")
def user_saved(sender, instance, created: bool, **kwargs) -> None:
    """Deactivated, password changed, superuser taken away: the socket checks again."""
    if created or set(kwargs.get("update_fields") or ()) == {"last_login"}:
        return  # a new user has no socket; a login changes no access
    _after_commit(instance.pk)


@receiver(user_logged_out, dispatch_uid="farm.live.logged_out")
def logged_out(sender, request, user, **kwargs) -> None:
    """The sockets of this session close: the signal comes before the session is gone."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        notify_access_changed(user.pk, ended_session=session_key)
