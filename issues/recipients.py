"""Who hears about what: the people of a unit for an enterprise (the 三帮一
table's first responsible person and contact, else the unit's heads) and
the supervisors of a region. Read once per run by the reminder sweep, the
event notices and the 督办 ladder."""

from collections import defaultdict

from enterprises.choices import Rank, Role
from enterprises.models import AssignmentUnit, Official


class Recipients:
    """Who hears about what, loaded once per run."""

    def __init__(self, campaign):
        self.campaign = campaign
        self._pairs: dict[tuple[int, int], set[int]] = defaultdict(set)
        self._heads: dict[int, set[int]] = defaultdict(set)
        self._supervisors = list(
            Official.objects.filter(role=Role.SUPERVISOR, is_active=True, unit__isnull=False).values_list(
                "pk", "unit__region__path"
            )
        )
        if campaign is not None:
            for enterprise_id, unit_id, responsible_id, contact_id in AssignmentUnit.objects.filter(
                assignment__campaign=campaign
            ).values_list("assignment__enterprise_id", "unit_id", "responsible_id", "contact_id"):
                self._pairs[(enterprise_id, unit_id)] |= {p for p in (responsible_id, contact_id) if p}
        for unit_id, official_id in Official.objects.filter(
            is_active=True, unit__isnull=False, rank__in=[Rank.HEAD, Rank.DEPUTY]
        ).values_list("unit_id", "pk"):
            self._heads[unit_id].add(official_id)
        self._active = set(Official.objects.filter(is_active=True).values_list("pk", flat=True))

    def unit(self, unit_id: int, enterprise_id: int | None = None) -> set[int]:
        """The unit's first responsible person and contact for this
        enterprise when the 三帮一 table names them, else its heads."""
        named = self._pairs.get((enterprise_id, unit_id), set()) & self._active
        return named or self._heads.get(unit_id, set())

    def supervisors(self, region_path: str) -> set[int]:
        return {pk for pk, path in self._supervisors if region_path.startswith(path)}
