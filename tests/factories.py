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
