"""Who may see what: the one scoping path.

Every read of enterprises, units, officials, assignments, visits and issues —
page, export, search, filter, API — goes through the model's
`objects.visible_to(user)`, and each of those asks `scope_of(user)` here.

- admin (role admin, or a Django superuser): everything;
- supervisor: their unit's region and everything below it;
- official: their own unit's enterprises (三帮一 assignments) and the issues
  their unit is responsible for or co-handles;
- anyone else (signed out, inactive, no unit): nothing.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    region_path: str | None = None
    unit_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.region_path is None and self.unit_id is None

    @property
    def is_supervisor(self) -> bool:
        return self.region_path is not None


NOTHING = Scope()


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_zoufang_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    user._zoufang_scope = scope
    return scope


def _compute(user) -> Scope:
    if user.is_superuser or user.role == "admin":
        return Scope(everything=True)
    if user.unit_id is None:
        return NOTHING
    if user.role == "supervisor":
        from enterprises.models import HelpUnit

        path = HelpUnit.objects.filter(pk=user.unit_id).values_list("region__path", flat=True).first()
        if path is None:
            return NOTHING
        return Scope(region_path=path, unit_id=user.unit_id)
    return Scope(unit_id=user.unit_id)
