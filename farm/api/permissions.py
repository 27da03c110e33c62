"""DRF glue over ``farm.access``: the rules themselves live there."""

from __future__ import annotations

from django.db.models import ProtectedError
from rest_framework import permissions, viewsets
from rest_framework.exceptions import APIException, PermissionDenied

from farm import access


class FarmScopedPermission(permissions.BasePermission):
    """Reads need read scope (enforced by the queryset); writes need write scope.

    A user who may change no farm at all (a bureau reviewer) is refused a create
    before its body is read: 403, not a validation error about the body.
    """

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if (view.lookup_url_kwarg or view.lookup_field) in view.kwargs:
            return True  # one object: looked up in the read scope first (404), then judged
        return not access.is_read_only(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return access.can_edit_farm(request.user, view.farm_of(obj))


class FarmScopedViewSet(viewsets.ModelViewSet):
    """A viewset whose queryset is always cut down to the caller's farms.

    Subclasses set ``farm_path`` (lookup from the model to Farm) and may
    override ``farm_of`` for objects whose farm is not at that path.
    """

    farm_path = "farm"
    permission_classes = [permissions.IsAuthenticated, FarmScopedPermission]

    def get_queryset(self):
        return access.scope(self.request.user, super().get_queryset(), self.farm_path)

    def farm_of(self, obj):
        for part in self.farm_path.split("__") if self.farm_path else []:
            obj = getattr(obj, part)
        return obj

    def check_target_farm(self, farm) -> None:
        if farm is not None and not access.can_edit_farm(self.request.user, farm):
            raise PermissionDenied("no write access to that farm")

    def perform_create(self, serializer):
        self.check_target_farm(serializer.validated_data.get("farm"))
        serializer.save()

    def perform_update(self, serializer):
        self.check_target_farm(serializer.validated_data.get("farm"))
        serializer.save()

    def perform_destroy(self, instance):
        """Records that others keep for their history (lots, incidents) block a delete: 409."""
        try:
            instance.delete()
        except ProtectedError as exc:
            kinds = sorted({type(o)._meta.verbose_name for o in exc.protected_objects})
            raise Conflict(f"still referenced by {', '.join(map(str, kinds))}") from None


class Conflict(APIException):
    status_code = 409
    default_detail = "the object is still referenced"
    default_code = "conflict"
