"""The organisation the ledger runs in: the region tree (province → cities →
counties → towns), help units, officials, enterprises, one campaign a year
with its time-limit scheme, the 三帮一 teams and help plans.

Everything is written with COPY and kept in lists for the ledger
(`desk.load.ledger`), which needs to know, for any enterprise, its town and
county, its team in a year's campaign, the departments that handle each
category in its county and the people who act for each unit. Ids are given
here, from 1, so rows can name each other before they are written."""

import datetime
import json
import random
from dataclasses import dataclass, field

from core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char
from enterprises.choices import EnterpriseSize, Rank, RegionLevel, Role, UnitKind
from enterprises.demo import GIVEN, SURNAMES
from issues import schemes
from issues.models import SchemeLimit

from . import text
from .bulk import Copier
from .days import Days

ADMIN_ID = 1
SCHEME_REFINEMENTS = {("land", ""): 30, ("infrastructure", ""): 20, ("", "urgent"): 5}
# Older campaigns paired fewer enterprises: the share of today's key enterprises
# with a team in the campaign of one, two, three … years ago.
TEAM_SHARE = (1.0, 0.85, 0.7, 0.55, 0.45)


@dataclass(frozen=True)
class Scale:
    cities: int
    counties: int
    departments: int  # per county
    units: int
    officials: int
    enterprises: int
    key: int
    visits: int
    issues: int

    @property
    def towns(self) -> int:
        # Every town has its government as a unit; the rest are offices and departments.
        return self.units - 1 - self.cities - self.counties * (1 + self.departments)


@dataclass
class Campaign:
    id: int
    year: int
    limits: schemes.Limits
    is_current: bool


@dataclass
class World:
    """What the ledger reads of the organisation: lists indexed by id."""

    region_name: dict[int, str] = field(default_factory=dict)
    region_path: dict[int, str] = field(default_factory=dict)
    region_code: dict[int, str] = field(default_factory=dict)  # counties' division codes
    root: int = 1
    counties: list[int] = field(default_factory=list)
    towns: list[int] = field(default_factory=list)
    county_of_town: dict[int, int] = field(default_factory=dict)
    town_unit: dict[int, int] = field(default_factory=dict)
    county_office: dict[int, int] = field(default_factory=dict)  # county → its 帮扶办
    county_supervisors: dict[int, list[int]] = field(default_factory=dict)
    county_leaders: dict[int, list[int]] = field(default_factory=dict)
    county_departments: dict[int, list[int]] = field(default_factory=dict)
    handles: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (county, category) → units
    province_office: int = 0
    unit_name: dict[int, str] = field(default_factory=dict)
    unit_actors: dict[int, list[int]] = field(default_factory=dict)  # deputies and staff
    unit_head: dict[int, int] = field(default_factory=dict)
    official_unit: list[int | None] = field(default_factory=list)  # by id (0 unused)
    official_name: list[str] = field(default_factory=list)
    province_head: int = 0
    enterprise_town: list[int] = field(default_factory=list)  # by id (0 unused)
    enterprise_name: list[str] = field(default_factory=list)
    enterprise_contact: list[str] = field(default_factory=list)
    key_enterprises: list[int] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)  # oldest first
    teams: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)  # (campaign, enterprise)


class WorldBuilder:
    def __init__(self, *, scale: Scale, rng: random.Random, days: Days, copier: Copier, first_day: int, today_day: int):
        self.scale, self.rng, self.days, self.copier = scale, rng, days, copier
        self.first_day, self.today_day = first_day, today_day
        self.world = World()
        # Master data was entered a month before the ledger starts.
        self.created = days.stamp(max(0, first_day - 30) * 86400 + 9 * 3600)

    def build(self, password_hash: str) -> World:
        self._regions()
        self._units()
        self._officials(password_hash)
        self._enterprises()
        self._campaigns()
        self._teams()
        return self.world

    # Names ----------------------------------------------------------------------------

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    def _place(self, taken: set[str], suffixes) -> str:
        while True:
            name = "".join(self.rng.sample(text.PLACE_SYLLABLES, 2)) + self.rng.choice(suffixes)
            if name not in taken:
                taken.add(name)
                return name

    # Regions --------------------------------------------------------------------------

    def _regions(self) -> None:
        scale, w, rng = self.scale, self.world, self.rng
        table = self.copier.table(
            "enterprises_region", ("id", "name", "code", "level", "parent_id", "path", "created_at", "updated_at")
        )
        next_id = iter(range(1, 10**7))
        province_code = rng.randrange(11, 66)

        def region(name, code, level, parent):
            pk = next(next_id)
            path = f"{w.region_path[parent] if parent else '/'}{pk}/"
            w.region_name[pk], w.region_path[pk] = name, path
            table.add(pk, name, code, level, parent, path, self.created, self.created)
            return pk

        w.root = region(self._place(set(), ("省",)), f"{province_code}0000", RegionLevel.PROVINCE, None)
        cities, names = [], set()
        for index in range(scale.cities):
            cities.append(
                region(self._place(names, ("市",)), f"{province_code}{index + 1:02d}00", RegionLevel.CITY, w.root)
            )
        towns_left = scale.towns
        for index in range(scale.counties):
            city = cities[index * scale.cities // scale.counties]
            city_code = f"{province_code}{cities.index(city) + 1:02d}"
            county = region(
                self._place(names, text.COUNTY_SUFFIXES), f"{city_code}{index % 99 + 1:02d}", RegionLevel.COUNTY, city
            )
            w.counties.append(county)
            w.region_code[county] = f"{city_code}{index % 99 + 1:02d}"
            share = towns_left // (scale.counties - index)
            town_names: set[str] = set()
            for number in range(share):
                town = region(
                    self._place(town_names, text.TOWN_SUFFIXES),
                    f"{city_code}{index % 99 + 1:02d}{number + 1:03d}",
                    RegionLevel.TOWNSHIP,
                    county,
                )
                w.towns.append(town)
                w.county_of_town[town] = county
            towns_left -= share
        self.cities = cities

    # Help units -----------------------------------------------------------------------

    def _units(self) -> None:
        scale, w = self.scale, self.world
        table = self.copier.table(
            "enterprises_helpunit",
            (
                "id",
                "name",
                "kind",
                "region_id",
                "head_name",
                "contact_name",
                "contact_phone",
                "webhook_url",
                "webhook_secret",
                "is_active",
                "created_at",
                "updated_at",
            ),
        )
        self.units: list[tuple[int, str]] = []  # (unit, kind of staffing)

        def unit(name, kind, region, staffing):
            pk = len(self.units) + 1
            self.units.append((pk, staffing))
            w.unit_name[pk] = name
            table.add(pk, name, kind, region, "", self.person(), self.phone(), "", "", True, self.created, self.created)
            return pk

        w.province_office = unit(w.region_name[w.root] + text.OFFICE, UnitKind.OTHER, w.root, "province")
        for city in self.cities:
            unit(w.region_name[city] + text.OFFICE, UnitKind.OTHER, city, "city")
        departments = text.DEPARTMENTS[: scale.departments]
        for county in w.counties:
            name = w.region_name[county]
            w.county_office[county] = unit(name + text.OFFICE, UnitKind.OTHER, county, "county")
            w.county_departments[county] = []
            for department, categories in departments:
                pk = unit(name + department, UnitKind.DEPARTMENT, county, "department")
                w.county_departments[county].append(pk)
                for category in categories:
                    w.handles.setdefault((county, category), []).append(pk)
        for town in w.towns:
            w.town_unit[town] = unit(w.region_name[town] + "人民政府", UnitKind.TOWNSHIP, town, "town")
        if len(self.units) != scale.units:
            raise ValueError(f"the scale's arithmetic gave {len(self.units)} units, not {scale.units}")

    # Officials ------------------------------------------------------------------------

    def _officials(self, password_hash: str) -> None:
        scale, w, rng = self.scale, self.world, self.rng
        table = self.copier.table(
            "enterprises_official",
            (
                "id",
                "password",
                "last_login",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "name",
                "unit_id",
                "rank",
                "role",
                "phone",
                "email_notifications",
                "credentials_changed_at",
            ),
        )
        w.official_unit = [None]
        w.official_name = [""]
        county_of_office = {office: county for county, office in w.county_office.items()}

        def official(unit, rank, role=Role.OFFICIAL):
            pk = len(w.official_unit)
            name = self.person()
            w.official_unit.append(unit)
            w.official_name.append(name)
            username = f"u{pk:06d}" if unit else "load-admin"
            is_staff = role == Role.ADMIN
            table.add(
                pk,
                password_hash,
                None,
                False,
                username,
                "",
                "",
                "",
                is_staff,
                True,
                self.created,
                name,
                unit,
                rank,
                role,
                self.phone(),
                True,
                self.created,
            )
            if unit is not None:
                if rank == Rank.HEAD:
                    w.unit_head.setdefault(unit, pk)
                elif rank != Rank.COUNTY_LEADER:
                    w.unit_actors.setdefault(unit, []).append(pk)
            return pk

        official(None, Rank.STAFF, Role.ADMIN)  # the first account, ADMIN_ID
        open_units = []
        for pk, staffing in self.units:
            if staffing in ("province", "city", "county"):
                people = [official(pk, Rank.HEAD, Role.SUPERVISOR), official(pk, Rank.DEPUTY, Role.SUPERVISOR)]
                people += [official(pk, Rank.STAFF, Role.SUPERVISOR) for _ in range(3 if staffing != "city" else 2)]
                if staffing == "province":
                    w.province_head = people[0]
                if staffing == "county":
                    county = county_of_office[pk]
                    w.county_supervisors[county] = people
                    w.county_leaders[county] = [official(pk, Rank.COUNTY_LEADER) for _ in range(6)]
            else:
                official(pk, Rank.HEAD)
                official(pk, Rank.DEPUTY)
                official(pk, Rank.STAFF)
                open_units.append(pk)
        rest = scale.officials - (len(w.official_unit) - 1)
        if rest < 0:
            raise ValueError(f"{scale.officials} officials are too few for {scale.units} units")
        # The rest are staff, more of them in some units than in others.
        weights = [rng.lognormvariate(0, 0.5) for _ in open_units]
        for unit in rng.choices(open_units, weights=weights, k=rest):
            official(unit, rng.choice((Rank.STAFF, Rank.STAFF, Rank.STAFF, Rank.DEPUTY)))

    # Enterprises ----------------------------------------------------------------------

    def _enterprises(self) -> None:
        scale, w, rng = self.scale, self.world, self.rng
        table = self.copier.table(
            "enterprises_enterprise",
            (
                "id",
                "name",
                "credit_code",
                "region_id",
                "address",
                "industry",
                "size",
                "is_above_scale",
                "is_key",
                "legal_representative",
                "contact_name",
                "contact_phone",
                "tags",
                "is_active",
                "created_at",
                "updated_at",
            ),
        )
        w.enterprise_town, w.enterprise_name, w.enterprise_contact = [0], [""], [""]
        town_weights = [rng.lognormvariate(0, 0.8) for _ in w.towns]
        towns = rng.choices(w.towns, weights=town_weights, k=scale.enterprises)
        key = set(rng.sample(range(1, scale.enterprises + 1), scale.key))
        names, codes = set(), set()
        county_codes = w.region_code
        sizes = (EnterpriseSize.LARGE, EnterpriseSize.MEDIUM, EnterpriseSize.SMALL, EnterpriseSize.MICRO)
        for pk in range(1, scale.enterprises + 1):
            town = towns[pk - 1]
            county = w.county_of_town[town]
            trade, industry = rng.choice(text.TRADES)
            while True:
                brand = "".join(rng.sample(text.BRAND_SYLLABLES, 2))
                name = f"{w.region_name[county][:2]}{brand}{trade}有限公司"
                if name not in names:
                    break
                name = f"{w.region_name[town][:2]}{brand}{trade}有限公司"
                if name not in names:
                    break
            names.add(name)
            while True:
                # 91 (an enterprise), the county's division code, an organisation code, the check character.
                body = "91" + county_codes[county] + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
                code = body + credit_code_check_char(body)
                if code not in codes:
                    codes.add(code)
                    break
            is_key = pk in key
            contact = self.person()
            size = rng.choices(sizes, weights=(4, 20, 50, 26) if not is_key else (15, 40, 40, 5))[0]
            tags = rng.sample(text.TAGS, k=rng.choice((0, 0, 0, 1, 1, 2)))
            created = self.days.stamp(
                rng.randrange(0, max(1, self.first_day + 1)) * 86400 + rng.randrange(8 * 3600, 18 * 3600)
            )
            table.add(
                pk,
                name,
                code,
                town,
                f"{w.region_name[town]}工业园区{rng.randint(1, 199)}号",
                industry,
                size,
                is_key or rng.random() < 0.3,
                is_key,
                self.person(),
                contact,
                self.phone(),
                json.dumps(tags, ensure_ascii=False),
                True,
                created,
                created,
            )
            w.enterprise_town.append(town)
            w.enterprise_name.append(name)
            w.enterprise_contact.append(f"{contact} {rng.choice(text.POSTS)}")
            if is_key:
                w.key_enterprises.append(pk)

    # Campaigns and their schemes --------------------------------------------------------

    def _campaigns(self) -> None:
        w, days = self.world, self.days
        campaigns = self.copier.table(
            "enterprises_campaign",
            (
                "id",
                "name",
                "start_date",
                "end_date",
                "units_per_enterprise",
                "visit_every_days",
                "plan_due_date",
                "is_current",
                "created_at",
                "updated_at",
            ),
        )
        limit_fields = tuple(schemes.PRESETS[schemes.DEFAULT_PRESET])
        scheme_table = self.copier.table("issues_timelimitscheme", ("id", "campaign_id", "preset", *limit_fields))
        limit_table = self.copier.table(
            "issues_schemelimit", ("id", "scheme_id", "category", "priority", "resolve_days")
        )
        first, last = days.dates[self.first_day].year, days.dates[self.today_day].year
        limit_id = 0
        for index, year in enumerate(range(first, last + 1)):
            pk = index + 1
            # The scheme of the last two years is Shandong's; before it, Zaozhuang's.
            preset = schemes.Preset.SHANDONG if year >= last - 1 else schemes.Preset.ZAOZHUANG
            created = f"{year - 1}-12-20 10:00:00+08"
            campaigns.add(
                pk,
                f"{year}年联手帮扶行动",
                f"{year}-01-01",
                f"{year}-12-31",
                3,
                90,
                f"{year}-03-31",
                year == last,
                created,
                created,
            )
            scheme_table.add(pk, pk, preset, *(schemes.PRESETS[preset][name] for name in limit_fields))
            refinements = []
            for (category, priority), resolve_days in SCHEME_REFINEMENTS.items():
                limit_id += 1
                limit_table.add(limit_id, pk, category, priority, resolve_days)
                refinements.append(SchemeLimit(category=category, priority=priority, resolve_days=resolve_days))
            limits = schemes.Limits(schemes.preset_scheme(preset), refinements)
            w.campaigns.append(Campaign(pk, year, limits, year == last))

    # 三帮一 teams and help plans ----------------------------------------------------------

    def _teams(self) -> None:
        w, rng = self.world, self.rng
        assignments = self.copier.table(
            "enterprises_assignment", ("id", "campaign_id", "enterprise_id", "leader_id", "created_at", "updated_at")
        )
        seats = self.copier.table(
            "enterprises_assignmentunit", ("id", "assignment_id", "unit_id", "is_lead", "responsible_id", "contact_id")
        )
        plans = self.copier.table(
            "enterprises_helpplan",
            (
                "id",
                "campaign_id",
                "unit_id",
                "submitted_at",
                "submitted_by_id",
                "file",
                "summary",
                "created_at",
                "updated_at",
            ),
        )
        order = list(w.key_enterprises)
        rng.shuffle(order)
        assignment_id = seat_id = plan_id = 0
        previous: dict[int, tuple[int, int, int]] = {}
        for age, campaign in enumerate(reversed(w.campaigns)):
            share = TEAM_SHARE[min(age, len(TEAM_SHARE) - 1)]
            paired = sorted(order[: round(share * len(order))])
            created = f"{campaign.year}-01-{rng.randint(5, 25):02d} 10:00:00+08"
            units_on_teams = set()
            for enterprise in paired:
                town = w.enterprise_town[enterprise]
                county = w.county_of_town[town]
                team = previous.get(enterprise)
                if team is None or rng.random() < 0.3:
                    lead, second = rng.sample(w.county_departments[county], 2)
                    team = (lead, second, w.town_unit[town])
                previous[enterprise] = team
                w.teams[(campaign.id, enterprise)] = team
                assignment_id += 1
                assignments.add(
                    assignment_id, campaign.id, enterprise, rng.choice(w.county_leaders[county]), created, created
                )
                for position, unit in enumerate(team):
                    seat_id += 1
                    actors = w.unit_actors[unit]
                    contact = rng.choice(actors) if rng.random() < 0.93 else None
                    seats.add(seat_id, assignment_id, unit, position == 0, w.unit_head[unit], contact)
                    units_on_teams.add(unit)
            plan_due = self.days.index(datetime.date(campaign.year, 3, 31))
            for unit in sorted(units_on_teams):
                roll = rng.random()
                if roll < 0.03:
                    continue  # never filed
                day = plan_due - rng.randint(0, 40) if roll < 0.92 else plan_due + rng.randint(1, 25)
                moment = day * 86400 + rng.randrange(9 * 3600, 18 * 3600)
                if day < self.first_day - 400 or moment >= self.today_day * 86400:
                    continue
                stamp = self.days.stamp(moment)
                plan_id += 1
                summary = text.PLAN_SUMMARY.format(unit=w.unit_name[unit], year=campaign.year)
                plans.add(plan_id, campaign.id, unit, stamp, w.unit_head[unit], "", summary, stamp, stamp)
