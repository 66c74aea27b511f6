"""The master-data rules as pure functions: values and lookups in, every
broken rule out (code, field, message), no database."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import translation

from core.validators import credit_code_error, email_error, phone_error
from enterprises import rules
from enterprises.choices import Rank

from ..factories import make_credit_code


def codes(errors):
    return [(error.code, error.field) for error in errors]


# Formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "13812345678",
        "19912345678",
        "+8613812345678",
        "+86 13812345678",
        "+86-13812345678",
        "0571-88888888",
        "057188888888",
        "010-62345678",
        "01062345678",
        "0571-8888888",
        "0571-88888888-123",
    ],
)
def test_accepted_phone_forms(number):
    assert phone_error(number) is None


@pytest.mark.parametrize(
    "number",
    [
        "1381234",  # too short for a mobile
        "138123456789",  # too long
        "12812345678",  # no carrier uses 12x
        "138 1234 5678",  # spaces
        "88888888",  # a landline without its area code
        "(0571)88888888",  # brackets
        "0571-08888888",  # a subscriber number never starts with 0
        "0571-1234567",  # nor with 1 (service numbers)
        "13812345678/13912345678",  # two numbers in one cell
        "电话",
    ],
)
def test_refused_phone_forms(number):
    message = phone_error(number)
    assert message and number in message


def test_email_format_is_djangos():
    assert email_error("zhang.san@fengle.gov.cn") is None
    assert email_error("not-an-email") is not None
    assert email_error("a@b") is not None  # no dot in the domain


# Officials ----------------------------------------------------------------------------

OFFICIAL = {"username": "zhangsan", "name": "张三", "unit": 7, "role": "official", "rank": "staff"}


def test_a_good_official_breaks_no_rule():
    assert rules.official_errors({**OFFICIAL, "phone": "13812345678", "email": "z@fengle.gov.cn"}) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"email": "not-an-email"}, [("invalid_email", "email")]),
        ({"phone": "1381234"}, [("invalid_phone", "phone")]),
        ({"phone": "1" * 31}, [("max_length", "phone")]),  # the length speaks, not the format too
        ({"username": "bad name"}, [("invalid_username", "username")]),
        ({"username": ""}, [("required", "username")]),
        ({"name": "长" * 51}, [("max_length", "name")]),
        ({"name": ""}, []),  # shown by user name then
        ({"role": "king"}, [("invalid_choice", "role")]),
        ({"rank": ""}, [("required", "rank")]),
        ({"unit": None}, [("unit_required", "unit")]),
        ({"unit": None, "role": "admin"}, []),
        ({"unit": None, "is_superuser": True}, []),
    ],
)
def test_official_rules(change, expected):
    assert codes(rules.official_errors({**OFFICIAL, **change})) == expected


def test_a_taken_user_name_is_named():
    errors = rules.official_errors(OFFICIAL, taken_usernames={"zhangsan"})
    assert codes(errors) == [("duplicate", "username")]
    with translation.override("en"):
        assert "zhangsan" in rules.official_errors(OFFICIAL, taken_usernames={"zhangsan"})[0].message


def test_every_broken_rule_is_reported_in_a_stable_order():
    errors = rules.official_errors({**OFFICIAL, "unit": None, "phone": "1381234", "email": "x"})
    assert codes(errors) == [("unit_required", "unit"), ("invalid_phone", "phone"), ("invalid_email", "email")]


def test_messages_are_translated():
    with translation.override("en"):
        english = rules.official_errors({**OFFICIAL, "email": "x"})[0].message
    with translation.override("zh-hans"):
        chinese = rules.official_errors({**OFFICIAL, "email": "x"})[0].message
    assert english == "“x” is not an e-mail address."
    assert chinese == "“x”不是有效的电子邮箱地址。"


# Enterprises --------------------------------------------------------------------------

ENTERPRISE = {"name": "丰乐新材料有限公司", "region": 3, "industry": "C", "size": "medium", "tags": ["专精特新"]}


def test_a_good_enterprise_breaks_no_rule():
    assert rules.enterprise_errors({**ENTERPRISE, "credit_code": make_credit_code()}) == []


def test_credit_code_rules_reuse_the_gb32100_check():
    bad = "91350100M000100Y44"
    errors = rules.enterprise_errors({**ENTERPRISE, "credit_code": bad})
    assert codes(errors) == [("invalid_credit_code", "credit_code")]
    assert errors[0].message == str(credit_code_error(bad))
    assert codes(rules.enterprise_errors({**ENTERPRISE, "credit_code": ""})) == [("required", "credit_code")]
    good = make_credit_code()
    taken = rules.enterprise_errors({**ENTERPRISE, "credit_code": good}, taken_codes={good})
    assert codes(taken) == [("duplicate_credit_code", "credit_code")]
    assert rules.clean_credit_code(f"  {good.lower()} ") == good


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"name": ""}, [("required", "name")]),
        ({"name": "长" * 201}, [("max_length", "name")]),
        ({"region": None}, [("required", "region")]),
        ({"industry": "Z"}, [("invalid_choice", "industry")]),
        ({"size": "huge"}, [("invalid_choice", "size")]),
        ({"contact_phone": "1381234"}, [("invalid_phone", "contact_phone")]),
        ({"contact_phone": "0571-88888888"}, []),
        ({"tags": ["标签"] * 21}, [("invalid_tags", "tags")]),
        ({"tags": ["长" * 31]}, [("invalid_tags", "tags")]),
        ({"tags": "专精特新"}, [("invalid_tags", "tags")]),  # a list, not a string
    ],
)
def test_enterprise_rules(change, expected):
    values = {**ENTERPRISE, "credit_code": make_credit_code(), **change}
    assert codes(rules.enterprise_errors(values)) == expected


def test_an_industry_refusal_lists_the_choices():
    with translation.override("en"):
        message = rules.enterprise_errors({**ENTERPRISE, "credit_code": make_credit_code(), "industry": "Z"})[0].message
    assert message.startswith("“Z” is not one of:") and "Manufacturing" in message


# Regions and units --------------------------------------------------------------------


def test_region_rules():
    good = {"name": "城关镇", "level": "township", "code": ""}
    assert rules.region_errors(good, own_path="/1/4/", parent_path="/1/") == []
    assert codes(rules.region_errors(good, own_path="/1/4/", parent_path="/1/4/9/")) == [("region_cycle", "parent")]
    assert codes(rules.region_errors(good, own_path="/1/4/", parent_path="/1/4/")) == [("region_cycle", "parent")]
    assert codes(rules.region_errors(good, taken_names={"城关镇"})) == [("duplicate", "name")]
    assert codes(rules.region_errors({**good, "name": "长" * 65})) == [("max_length", "name")]
    assert codes(rules.region_errors({**good, "level": "village"})) == [("invalid_choice", "level")]
    assert codes(rules.region_errors({**good, "code": "1" * 13})) == [("max_length", "code")]


def test_unit_rules():
    good = {"name": "县科技局", "region": 2, "kind": "department"}
    assert rules.unit_errors(good) == []
    assert codes(rules.unit_errors({**good, "region": None})) == [("required", "region")]
    assert codes(rules.unit_errors({**good, "contact_phone": "1381234"})) == [("invalid_phone", "contact_phone")]
    assert codes(rules.unit_errors({**good, "webhook_url": "robot"})) == [("invalid_url", "webhook_url")]
    assert rules.unit_errors({**good, "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=x"}) == []
    assert codes(rules.unit_errors(good, taken_names={"县科技局"})) == [("duplicate", "name")]


# Campaigns ----------------------------------------------------------------------------

CAMPAIGN = {
    "name": "2027年行动",
    "start_date": datetime.date(2027, 1, 1),
    "end_date": datetime.date(2027, 12, 31),
    "units_per_enterprise": 3,
    "visit_every_days": 90,
}


@pytest.mark.parametrize(
    "change, lookups, expected",
    [
        ({}, {}, []),
        ({"end_date": CAMPAIGN["start_date"]}, {}, []),  # a one-day campaign is fine
        ({"end_date": datetime.date(2026, 12, 31)}, {}, [("dates_reversed", "end_date")]),
        ({"units_per_enterprise": 0}, {}, [("invalid_mode", "units_per_enterprise")]),
        ({"units_per_enterprise": 4}, {}, [("invalid_mode", "units_per_enterprise")]),
        ({"units_per_enterprise": 1}, {"largest_team": 2}, [("mode_below_assignments", "units_per_enterprise")]),
        ({"visit_every_days": 0}, {}, [("invalid_visit_every", "visit_every_days")]),
        ({"visit_every_days": 40000}, {}, [("invalid_visit_every", "visit_every_days")]),
        ({"name": "行动\x00"}, {}, [("invalid_text", "name")]),
        ({"name": "行动\ud800"}, {}, [("invalid_text", "name")]),
        ({"start_date": None}, {}, [("required", "start_date")]),
        ({}, {"taken_names": {"2027年行动"}}, [("duplicate", "name")]),
    ],
)
def test_campaign_rules(change, lookups, expected):
    assert codes(rules.campaign_errors({**CAMPAIGN, **change}, **lookups)) == expected


# Teams (三帮一) -------------------------------------------------------------------------


def unit(pk):
    return SimpleNamespace(pk=pk, name=f"单位{pk}")


def person(pk, unit_id, rank=Rank.STAFF):
    return SimpleNamespace(pk=pk, unit_id=unit_id, rank=rank, display_name=f"干部{pk}")


def seat(unit_id, lead=False, responsible=None, contact=None):
    return rules.UnitSlot(unit=unit(unit_id), is_lead=lead, responsible=responsible, contact=contact)


LEADER = person(100, 9, Rank.COUNTY_LEADER)


def team(units, leader=LEADER, mode=3, **lookups):
    return rules.team_errors(mode=mode, leader=leader, units=units, **lookups)


def test_a_good_team_breaks_no_rule():
    units = [seat(1, True, person(11, 1, Rank.HEAD), person(12, 1)), seat(2), seat(3)]
    assert team(units) == []
    assert team([]) == []  # an empty team on the board has no lead yet
    assert team([seat(1, True)], leader=None, mode=1) == []


def test_the_leader_must_be_a_county_leader():
    errors = team([seat(1, True)], leader=person(5, 1, Rank.HEAD))
    assert codes(errors) == [("leader_not_county_leader", "leader")]
    with translation.override("en"):
        assert team([], leader=person(5, 1))[0].message == "干部5 is not a county-level leader."


def test_at_most_the_campaigns_mode():
    errors = team([seat(1, True), seat(2), seat(3), seat(4)])
    assert [(e.code, e.item, e.part) for e in errors] == [("too_many_units", 3, "unit")]
    assert codes(team([seat(1, True), seat(2)], mode=1)) == [("too_many_units", "units")]


def test_exactly_one_lead():
    assert [(e.code, e.item) for e in team([seat(1), seat(2)])] == [("lead_required", None)]
    errors = team([seat(1, True), seat(2), seat(3, True)])
    assert [(e.code, e.item, e.part) for e in errors] == [("second_lead", 2, "is_lead")]


def test_no_unit_twice():
    errors = team([seat(1, True), seat(1)])
    assert [(e.code, e.item) for e in errors] == [("duplicate_unit", 1)]


def test_people_belong_to_their_unit():
    errors = team([seat(1, True), seat(2, responsible=person(21, 2), contact=person(31, 3))])
    assert [(e.code, e.field, e.item, e.part) for e in errors] == [("contact_not_in_unit", "units", 1, "contact")]
    with translation.override("en"):
        assert team([seat(2, True, responsible=person(31, 3))])[0].message == "干部31 does not belong to 单位2."


def test_a_second_team_for_one_enterprise():
    errors = team([], already_assigned=True, enterprise_name="甲企业")
    assert codes(errors) == [("already_assigned", "enterprise")]
    assert "甲企业" in errors[0].message


def test_rules_touch_no_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        rules.official_errors({**OFFICIAL, "email": "x", "phone": "1"}, taken_usernames={"zhangsan"})
        rules.enterprise_errors({**ENTERPRISE, "credit_code": "x"}, taken_codes=set())
        rules.region_errors({"name": "x"}, own_path="/1/", parent_path="/1/2/")
        rules.unit_errors({"name": "x"})
        rules.campaign_errors(CAMPAIGN, largest_team=3)
        team([seat(1, True), seat(1, True, contact=person(2, 5))], leader=person(3, 3))
