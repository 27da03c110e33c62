"""Who may see and change what — the one place that decides.

Every view, API endpoint, export and WebSocket consumer scopes its data
through this module (as NetBox applies tenancy through shared querysets):

* operator — the farms listed on their membership, read and write;
* manager — every farm of their organisation, read and write;
* bureau reviewer — every farm inside their region subtree, read-only;
* admin (membership role or Django superuser) — everything.

A user with several memberships gets the union. Objects outside the scope
are reported as "not found" (404), never as "forbidden", so their existence
does not leak; a write inside the read scope without write rights is a 403.

Alert rules, notification policies and silences belong to an organisation but
may be scoped to one farm, site or device; they are visible only where that
scope lies within the user's readable farms (``visible_rules`` and friends).
One without a farm, site or device applies to every farm of the organisation:
it is visible to whoever reads at least one of those farms, since it governs
theirs and names none of the others. So an operator of one farm, or a bureau
reviewer of one county, does not see the thresholds and recipients set for
another farm of the same organisation. Those models are looked up by their label
(``apps.get_model``): farm is the app every other imports, so it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from farm.models import Farm, Membership, Organisation, Region, Role

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Scope:
    """The farms a user may read and those they may write, as Q filters on Farm."""

    everything: bool
    read: Q
    write: Q
    regions: tuple[str, ...]  # region code prefixes of bureau memberships

    @property
    def nothing(self) -> bool:
        return not self.everything and self.read == Q(pk__in=[])


_NONE = Q(pk__in=[])


def _any(qs: list[Q]) -> Q:
    return reduce(or_, qs) if qs else _NONE


def scope_for(user: User) -> Scope:
    """Compute the user's scope once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Scope(False, _NONE, _NONE, ())
    cached = getattr(user, "_farm_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(True, Q(), Q(), ("",))
    else:
        read: list[Q] = []
        write: list[Q] = []
        prefixes: list[str] = []
        everything = False
        memberships = Membership.objects.filter(user=user).select_related("region")
        for m in memberships:
            if m.role == Role.ADMIN:
                everything = True
            elif m.role == Role.MANAGER and m.organisation_id:
                q = Q(organisation_id=m.organisation_id)
                read.append(q)
                write.append(q)
            elif m.role == Role.OPERATOR and m.organisation_id:
                q = Q(pk__in=m.farms.filter(organisation_id=m.organisation_id).values("pk"))
                read.append(q)
                write.append(q)
            elif m.role == Role.BUREAU and m.region_id:
                prefixes.append(m.region.prefix)
                read.append(Q(region__code__startswith=m.region.prefix))
        if everything:
            scope = Scope(True, Q(), Q(), ("",))
        else:
            scope = Scope(False, _any(read), _any(write), tuple(prefixes))
    user._farm_scope = scope
    return scope


def _prefixed(q: Q, path: str) -> Q:
    """Re-root a Q on Farm at ``path`` (e.g. ``site__farm``) of another model."""
    if not path:
        return q
    children = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_prefixed(child, path))
        else:
            key, value = child
            children.append((f"{path}__{key}", value))
    clone = Q()
    clone.connector = q.connector
    clone.negated = q.negated
    clone.children = children
    return clone


def visible_farms(user: User) -> QuerySet[Farm]:
    return scope(user, Farm.objects.all(), "")


def editable_farms(user: User) -> QuerySet[Farm]:
    return scope(user, Farm.objects.all(), "", write=True)


def scope(user: User, qs: QuerySet, farm_path: str = "farm", *, write: bool = False) -> QuerySet:
    """Filter any queryset to what the user may read (or write) via its farm.

    ``farm_path`` is the lookup from the queryset's model to Farm:
    ``""`` for Farm itself, ``"farm"`` for a Site, ``"site__farm"`` for a device.
    """
    s = scope_for(user)
    if s.everything:
        return qs
    q = s.write if write else s.read
    if q == _NONE:
        return qs.none()
    return qs.filter(_prefixed(q, farm_path)).distinct()


def can_read_farm(user: User, farm: Farm | int) -> bool:
    pk = farm.pk if isinstance(farm, Farm) else farm
    return visible_farms(user).filter(pk=pk).exists()


def can_edit_farm(user: User, farm: Farm | int) -> bool:
    pk = farm.pk if isinstance(farm, Farm) else farm
    return editable_farms(user).filter(pk=pk).exists()


def can_create_farm_in(user: User, organisation: Organisation | int) -> bool:
    """New farms: managers of the organisation and admins only."""
    s = scope_for(user)
    if s.everything:
        return True
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return Membership.objects.filter(user=user, role=Role.MANAGER, organisation_id=org_id).exists()


def get_readable_or_404(user: User, qs: QuerySet, farm_path: str = "farm", **lookup) -> Model:
    """Fetch one object the user may read; anything else is indistinguishable from absent."""
    try:
        return scope(user, qs, farm_path).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None


def require_edit(user: User, farm: Farm | int) -> None:
    if not can_edit_farm(user, farm):
        raise PermissionDenied("read-only access to this farm")


def visible_organisations(user: User) -> QuerySet[Organisation]:
    s = scope_for(user)
    if s.everything:
        return Organisation.objects.all()
    own = Membership.objects.filter(user=user, organisation__isnull=False).values("organisation_id")
    return Organisation.objects.filter(
        Q(pk__in=own) | Q(pk__in=visible_farms(user).values("organisation_id"))
    ).distinct()


def visible_regions(user: User) -> QuerySet[Region]:
    """Regions are public reference data, but a reviewer's view starts at their subtree."""
    s = scope_for(user)
    if s.everything or not s.regions:
        return Region.objects.all()
    return Region.objects.filter(_any([Q(code__startswith=p) for p in s.regions]))


def is_read_only(user: User) -> bool:
    """True for users who can see farms but change none (bureau reviewers)."""
    s = scope_for(user)
    return not s.everything and s.write == _NONE and s.read != _NONE


def role_names(user: User) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMIN)
    return roles


# --- alerting: rules, notification policies, silences ---------------------------------


def _alerting_scope(user: User) -> tuple[QuerySet, QuerySet] | None:
    """(readable farm ids, organisations with a readable farm), or None for everything."""
    if scope_for(user).everything:
        return None
    farms = visible_farms(user)
    return farms.values("pk"), farms.values("organisation_id")


def visible_rules(user: User) -> QuerySet:
    """An organisation's alert rules whose scope lies within the user's readable farms.

    Every scope the rule names must be readable (its site's farm, its farm, its
    device's farm); a rule naming none applies organisation-wide (see module doc).
    Templates (rules of no organisation) are not included.
    """
    Rule = apps.get_model("alerts", "Rule")
    Device = apps.get_model("sensors", "Device")
    rules = Rule.objects.filter(is_template=False).select_related("organisation", "farm", "site")
    found = _alerting_scope(user)
    if found is None:
        return rules
    farms, orgs = found
    devices = Device.objects.filter(farm__in=farms).values("dev_eui")
    return rules.filter(
        Q(organisation__in=orgs)
        & (Q(site__isnull=True) | Q(site__farm__in=farms))
        & (Q(farm__isnull=True) | Q(farm__in=farms))
        & (Q(device_eui="") | Q(device_eui__in=devices))
    )


def visible_policies(user: User) -> QuerySet:
    """Notification policies of a readable farm, or organisation-wide ones (module doc)."""
    NotificationPolicy = apps.get_model("alerts", "NotificationPolicy")
    policies = NotificationPolicy.objects.select_related("organisation", "farm")
    found = _alerting_scope(user)
    if found is None:
        return policies
    farms, orgs = found
    return policies.filter(Q(organisation__in=orgs) & (Q(farm__isnull=True) | Q(farm__in=farms)))


def visible_silences(user: User) -> QuerySet:
    """Silences whose farm, site and rule all lie within the user's readable farms."""
    Silence = apps.get_model("alerts", "Silence")
    silences = Silence.objects.select_related("organisation", "farm", "site", "rule", "created_by")
    found = _alerting_scope(user)
    if found is None:
        return silences
    farms, orgs = found
    return silences.filter(
        Q(organisation__in=orgs)
        & (Q(farm__isnull=True) | Q(farm__in=farms))
        & (Q(site__isnull=True) | Q(site__farm__in=farms))
        & (Q(rule__isnull=True) | Q(rule__in=visible_rules(user).values("pk")))
    )


def managed_people(user: User) -> QuerySet:
    """People whose reachability the user looks after: the members of the organisations
    they manage (everyone with a membership, for admins); nobody for other roles."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True)
    if scope_for(user).everything:
        return people.filter(memberships__isnull=False).distinct()
    orgs = Membership.objects.filter(user=user, role=Role.MANAGER).values("organisation_id")
    return people.filter(memberships__organisation_id__in=orgs).distinct()


def get_visible_or_404(qs: QuerySet, **lookup) -> Model:
    """One object of an already scoped queryset; outside it, indistinguishable from absent."""
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None


# --- regional monitoring: bureau reviewers' region pages -------------------------------


def regional_roots(user: User) -> QuerySet[Region]:
    """The top regions of the user's regional pages: their bureau regions, every province
    for an admin, none for anyone else (farm roles see their farms, not a region)."""
    s = scope_for(user)
    if s.everything:
        return Region.objects.filter(level=Region.Level.PROVINCE)
    if not s.regions:
        return Region.objects.none()
    return Region.objects.filter(
        _any([Q(code__startswith=p) for p in s.regions]) & Q(memberships__user=user)
    ).distinct()


def readable_region_or_404(user: User, code: str) -> Region:
    """A region whose page the user may open: inside one of their bureau regions (a county
    reviewer sees only their county, a city reviewer every county of the city)."""
    s = scope_for(user)
    region = Region.objects.filter(code=code).select_related("parent").first()
    if region is None:
        raise Http404
    if s.everything or any(region.code.startswith(p) for p in s.regions):
        return region
    raise Http404


def farms_in_region(user: User, region: Region) -> QuerySet[Farm]:
    """The farms of a region the user may read (the region already checked readable)."""
    return visible_farms(user).filter(region__code__startswith=region.prefix)
