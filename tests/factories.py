import datetime
import itertools

import factory
from factory.django import DjangoModelFactory

from core.validators import credit_code_check_char
from enterprises.choices import Rank, Role
from enterprises.models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpUnit, Official, Region

_codes = itertools.count(1)


def make_credit_code(n: int | None = None) -> str:
    body = f"91330100{n if n is not None else next(_codes):09d}"
    return body + credit_code_check_char(body)


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"区域{n}")
    level = "township"


class HelpUnitFactory(DjangoModelFactory):
    class Meta:
        model = HelpUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    region = factory.SubFactory(RegionFactory)


class OfficialFactory(DjangoModelFactory):
    class Meta:
        model = Official
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"干部{n}")
    unit = factory.SubFactory(HelpUnitFactory)
    role = Role.OFFICIAL
    rank = Rank.STAFF
    password = factory.django.Password("pw-for-tests")


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.LazyFunction(make_credit_code)
    region = factory.SubFactory(RegionFactory)
    industry = "C"
    is_key = True


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"帮扶行动{n}")
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    units_per_enterprise = 3
    visit_every_days = 90


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    campaign = factory.SubFactory(CampaignFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)


class AssignmentUnitFactory(DjangoModelFactory):
    class Meta:
        model = AssignmentUnit

    assignment = factory.SubFactory(AssignmentFactory)
    unit = factory.SubFactory(HelpUnitFactory)
    is_lead = False


def bulk_issues(world, n: int, *, start: int = 1) -> list:
    """`n` issues being handled, written at once (no lifecycle walk), for the
    tests that need many: spread over both counties' enterprises, responsible
    units turn by turn, every third with a co-handling unit, a due date for
    each (some past), registered a minute apart."""
    from django.utils import timezone

    from issues.models import Issue

    enterprises = [world.enterprise_a, world.enterprise_a_other, world.enterprise_b]
    units = [world.unit_a, world.unit_a2, world.unit_b]
    first = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0))
    issues = Issue.objects.bulk_create(
        Issue(
            number=f"2025-{start + i:06d}",
            enterprise=enterprises[i % 3],
            category=("finance", "land")[i % 2],
            title=f"批量问题{start + i}",
            status="in_progress",
            responsible_unit=units[i % 3],
            registered_by=world.official_a,
            registered_at=first + datetime.timedelta(minutes=start + i),
            assigned_at=first + datetime.timedelta(minutes=start + i),
            due_date=datetime.date(2026, 5, 1) + datetime.timedelta(days=(start + i) % 60),
        )
        for i in range(n)
    )
    Issue.co_units.through.objects.bulk_create(
        Issue.co_units.through(issue_id=issue.pk, helpunit_id=world.unit_a2.pk)
        for issue in issues[::3]
        if issue.responsible_unit_id != world.unit_a2.pk
    )
    return issues
