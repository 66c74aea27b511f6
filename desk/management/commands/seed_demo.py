"""Builds a believable demo county through the same services as the app, so
every issue carries its full event history. Runs once: a second run with the
demo data present does nothing (use --force to add another copy anyway)."""

import datetime
import random

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from core import calendar, clock, holidays
from core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char
from enterprises import demo, services
from enterprises.choices import Rank, RegionLevel, Role, UnitKind
from enterprises.models import Official
from issues import common, intake, meetings, notices, schemes
from issues import services as issue_services
from issues.choices import VERDICTS, CommonStatus, FollowUpChannel, Outcome, Satisfaction
from issues.models import CommonProblem
from visits import services as visit_services

DEMO_PASSWORD = "zoufang-demo"  # nosec B105  # the demo's published password (README), demo data only
TODAY_FALLBACK = datetime.date(2026, 11, 20)


class Command(BaseCommand):
    help = "Load the demo county (regions, units, officials, enterprises, a campaign, visits and issues)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--enterprises", type=int, default=150)

    def handle(self, *args, **options):
        if Official.objects.filter(username="admin").exists():
            self.stdout.write("Demo data already loaded; nothing to do.")
            self._print_logins()
            return
        self.rng = random.Random(options["seed"])  # nosec B311  # a repeatable demo county, not a secret
        # The demo's history is loaded, not lived: it tells no one.
        with transaction.atomic(), notices.muted():
            self._build(options["enterprises"])
            if connection.vendor == "postgresql":
                # Thousands of rows just arrived: without fresh statistics the
                # planner takes each table for empty and nests loops over
                # whole tables (the dashboard's quiet-units query ran past a
                # minute). ANALYZE counts this transaction's own rows.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        self._print_logins()

    # -- helpers -------------------------------------------------------------

    def _at(self, day: datetime.date, hour: int = 9):
        minute = self.rng.randint(0, 59)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def _name(self):
        return self.rng.choice(demo.SURNAMES) + self.rng.choice(demo.GIVEN)

    def _credit_code(self, used: set[str]) -> str:
        while True:
            body = (
                "91361125"
                + "".join(self.rng.choice(CREDIT_CODE_ALPHABET[:10]) for _ in range(8))
                + self.rng.choice(CREDIT_CODE_ALPHABET)
            )
            code = body + credit_code_check_char(body)
            if code not in used:
                used.add(code)
                return code

    def _print_logins(self):
        self.stdout.write(
            f"Demo logins (demo data only), password “{DEMO_PASSWORD}”:\n"
            "  admin       administrator: everything\n"
            "  supervisor  帮扶办 supervisor: the whole county\n"
            "  official    经信局 official: the unit's enterprises and issues"
        )

    # -- the county ----------------------------------------------------------

    def _build(self, n_enterprises: int):
        rng = self.rng
        root = Official.objects.create_superuser("admin", password=None, name="系统管理员", role=Role.ADMIN)
        holidays.calendar_load()  # the official schedule, as `make run` loads it

        city = services.region_save(actor=root, name=demo.CITY, level=RegionLevel.CITY, code="361100")
        county = services.region_save(
            actor=root, name=demo.COUNTY, parent=city, level=RegionLevel.COUNTY, code="361125"
        )
        towns = [
            services.region_save(actor=root, name=name, parent=county, level=RegionLevel.TOWNSHIP)
            for name, _kind in demo.TOWNSHIPS
        ]

        office = services.unit_save(actor=root, name="县联手帮扶办公室", kind=UnitKind.OTHER, region=county)
        government = services.unit_save(actor=root, name="县人民政府", kind=UnitKind.OTHER, region=county)
        departments = [
            services.unit_save(actor=root, name=name, kind=UnitKind.DEPARTMENT, region=county)
            for name in demo.DEPARTMENTS
        ]
        township_units = [
            services.unit_save(actor=root, name=f"{town.name}人民政府", kind=UnitKind.TOWNSHIP, region=town)
            for town in towns[:4]
        ]
        help_units = departments + township_units

        def official(unit, rank, role=Role.OFFICIAL, username=None):
            name = self._name()
            person = services.official_save(
                actor=root,
                username=username or f"u{Official.objects.count() + 1:03d}",
                name=name,
                unit=unit,
                rank=rank,
                role=role,
                phone=f"13{rng.randint(100000000, 999999999)}",
            )
            return person

        self.supervisor = official(office, Rank.HEAD, Role.SUPERVISOR, username="supervisor")
        official(office, Rank.STAFF, Role.SUPERVISOR)
        leaders = [official(government, Rank.COUNTY_LEADER) for _ in range(6)]
        self.staff: dict[int, list[Official]] = {}
        people: dict[int, tuple[Official, Official]] = {}
        for index, unit in enumerate(help_units):
            head = official(unit, Rank.HEAD)
            deputy = official(unit, Rank.DEPUTY, username="official" if index == 1 else None)
            staff = [official(unit, Rank.STAFF) for _ in range(2 if index % 3 else 1)]
            people[unit.pk] = (head, deputy)
            self.staff[unit.pk] = [deputy, *staff]

        campaign = services.campaign_save(
            actor=root,
            name="2026年联手帮扶行动",
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 12, 31),
            units_per_enterprise=3,
            visit_every_days=90,
            plan_due_date=datetime.date(2026, 4, 15),
            is_current=True,
        )
        schemes.scheme_choose(campaign=campaign, preset=schemes.Preset.SHANDONG)

        n_key = n_enterprises * 2 // 5
        used_codes: set[str] = set()
        used_names: set[str] = set()
        enterprises = []
        for index in range(n_enterprises):
            trade, industry = rng.choice(demo.TRADES)
            while True:
                name = f"{demo.COUNTY[:2]}{rng.choice(demo.BRANDS)}{trade}有限公司"
                if name not in used_names:
                    break
                name = f"{rng.choice(demo.BRANDS)}{rng.choice(demo.BRANDS)}{trade}有限公司"
                if name not in used_names:
                    break
            used_names.add(name)
            is_key = index < n_key
            enterprises.append(
                services.enterprise_save(
                    actor=root,
                    name=name,
                    credit_code=self._credit_code(used_codes),
                    region=rng.choice(towns),
                    address=f"{rng.choice(towns).name}工业园区{rng.randint(1, 99)}号",
                    industry=industry,
                    size=rng.choice(["large", "medium", "medium", "small", "small", "small", "micro"]),
                    is_above_scale=is_key or rng.random() < 0.4,
                    is_key=is_key,
                    legal_representative=self._name(),
                    contact_name=self._name(),
                    contact_phone=f"13{rng.randint(100000000, 999999999)}",
                    tags=rng.sample(["专精特新", "高新技术", "外贸", "链主", "上市后备"], k=rng.randint(0, 2)),
                )
            )

        # 三帮一: the key enterprises, each with three units and one lead.
        # The demo official's unit (经信局) leads a handful so its pages are full.
        key = enterprises[:n_key]
        assignments = {}
        for index, enterprise in enumerate(key):
            units = rng.sample(help_units, 3)
            if index % 6 == 0 and departments[1] not in units:
                units[0] = departments[1]
            slots = []
            for position, unit in enumerate(units):
                head, deputy = people[unit.pk]
                contact = deputy if index % 17 else None  # a few gaps for the board to show
                slots.append(services.UnitSlot(unit=unit, is_lead=position == 0, responsible=head, contact=contact))
            assignments[enterprise.pk] = services.assignment_save(
                actor=root, campaign=campaign, enterprise=enterprise, leader=leaders[index % len(leaders)], units=slots
            )

        # One hash for every demo account: hashing 80 passwords costs 25 s.
        Official.objects.update(password=make_password(DEMO_PASSWORD))
        self._visits_and_issues(key, enterprises, assignments, help_units)
        self._common_problems(county)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo county: {len(towns) + 2} regions, {len(help_units) + 2} units, "
                f"{Official.objects.count()} officials, {len(enterprises)} enterprises, {len(assignments)} assignments."
            )
        )

    # -- visits and issues, walked through their lifecycle -------------------

    def _visits_and_issues(self, key, enterprises, assignments, help_units):
        rng = self.rng
        today = min(timezone.localdate(), TODAY_FALLBACK) if timezone.localdate().year == 2026 else TODAY_FALLBACK
        start = datetime.date(2026, 5, 6)
        span = (today - start).days
        issues_made = 0
        visits_made = 0
        others = [e for e in enterprises if not e.is_key]
        for enterprise in key + rng.sample(others, min(30, len(others))):
            assignment = assignments.get(enterprise.pk)
            units = [row.unit for row in assignment.units.all()] if assignment else [rng.choice(help_units)]
            for _ in range(rng.randint(2, 6) if assignment else 1):
                day = start + datetime.timedelta(days=rng.randint(0, span - 1))
                day = calendar.add_working_days(day - datetime.timedelta(days=1), 1)  # first working day from `day`
                if day > today:
                    continue
                if assignment:
                    unit = rng.choice(units)
                    team = rng.sample(self.staff[unit.pk], k=min(2, len(self.staff[unit.pk])))
                else:
                    team = [self.supervisor]  # the 帮扶办 visits enterprises outside the scheme
                raised = [
                    intake.RaisedIssue(category=category, title=title, description=text, request="请予以协调解决。")
                    for category, title, text in self._raised(rng.choice([0, 1, 1, 1, 2, 2]))
                ]
                with clock.frozen_at(self._at(day, 10)):
                    visit = intake.visit_record_with_issues(
                        actor=team[0],
                        enterprise=enterprise,
                        date=day,
                        form=rng.choice(["onsite", "onsite", "onsite", "forum", "office", "remote"]),
                        purposes=rng.sample(["situation", "projects", "transformation", "policy", "return_visit"], 2),
                        summary=f"走访{enterprise.name}，了解生产经营情况，宣讲惠企政策。",
                        participants=team,
                        snapshot=visit_services.Snapshot(
                            output_value=rng.randint(500, 90000),
                            revenue=rng.randint(400, 80000),
                            headcount=rng.randint(20, 1500),
                            order_book=rng.choice(["饱满", "基本饱满", "不足"]),
                        ),
                        issues=raised,
                    )
                visits_made += 1
                for issue in visit.issues.all():
                    self._walk(issue, day, today, units)
                    issues_made += 1
        self.stdout.write(f"{visits_made} visits, {issues_made} issues with their histories.")

    def _common_problems(self, county):
        """The radar's proposals over the demo's open issues; the widest is
        confirmed and waits on the agenda of today's coordination meeting,
        for a supervisor to decide."""
        proposals = common.radar_run()
        widest = (
            CommonProblem.objects.filter(status=CommonStatus.PROPOSED)
            .annotate(enterprises=Count("issues__enterprise", distinct=True))
            .order_by("-enterprises", "pk")
            .first()
        )
        if widest is not None:
            common.common_confirm(actor=self.supervisor, problem_id=widest.pk)
            meeting = meetings.meeting_schedule(
                actor=self.supervisor,
                title="联手帮扶协调例会",
                held_on=clock.today(),
                region=county,
                chair="县委副书记、县长",
                place="县政府三楼会议室",
                attendees="县联手帮扶办公室、相关职能部门",
            )
            meetings.meeting_add_problem(actor=self.supervisor, meeting_id=meeting.pk, problem_id=widest.pk)
        self.stdout.write(f"The radar proposed {proposals.proposed} common problems.")

    def _raised(self, count):
        picks = []
        for _ in range(count):
            category = self.rng.choice(list(demo.ISSUES))
            title, text = self.rng.choice(demo.ISSUES[category])
            picks.append((category, title, text))
        return picks

    def _walk(self, issue, day, today, units):
        """Take one issue as far along its lifecycle as its dates allow."""
        rng = self.rng
        sup = self.supervisor
        fate = rng.random()

        def step(days, hour=10):
            nonlocal day
            day = calendar.add_working_days(day, days)
            return day <= today

        def at(hour=10):
            return clock.frozen_at(self._at(day, hour))

        def member(unit_id):
            return rng.choice(self.staff[unit_id])

        if fate < 0.04:
            if step(1):
                with at():
                    issue_services.issue_cancel(actor=sup, issue_id=issue.pk, reason="与已登记问题重复。")
            return
        if fate < 0.10 or not step(rng.randint(1, 3)):
            return  # still waiting for dispatch
        unit = units[0]
        co = [u for u in units[1:2] if u.pk != unit.pk]
        with at():
            issue_services.issue_assign(actor=sup, issue_id=issue.pk, unit=unit, co_units=co)
        if rng.random() < 0.08:
            if step(1):
                with at(15):
                    issue_services.issue_return(
                        actor=member(unit.pk),
                        issue_id=issue.pk,
                        reason="该事项不属于本单位职责，建议交由其他单位办理。",
                    )
            return
        if not step(rng.choice([0, 1, 1, 2])) or rng.random() < 0.04:
            return  # not signed for yet (some late)
        with at(11):
            issue_services.issue_accept(actor=member(unit.pk), issue_id=issue.pk)
        if rng.random() < 0.12:
            with at(16):
                issue_services.issue_escalate(actor=sup, issue_id=issue.pk, note="涉及多个部门，提请联席会议协调。")
        if not step(rng.randint(1, 4)):  # the first answer, mostly within the scheme's 3 working days
            return
        with at(14):
            issue_services.issue_feedback(
                actor=member(unit.pk), issue_id=issue.pk, note="已与企业对接，正在协调相关部门办理。", reply=True
            )
        if rng.random() < 0.15:
            issue.refresh_from_db()
            with at(15):
                issue_services.issue_request_extension(
                    actor=member(unit.pk),
                    issue_id=issue.pk,
                    new_due_date=calendar.add_working_days(issue.due_date, 10),
                    reason="需上级部门审批，时间较长。",
                )
            if not step(rng.randint(1, 2)) or rng.random() < 0.15:
                return  # still waiting for the supervisor's decision
            with at():
                if rng.random() < 0.75:
                    issue_services.issue_approve_extension(actor=sup, issue_id=issue.pk, note="同意延期。")
                else:
                    issue_services.issue_reject_extension(actor=sup, issue_id=issue.pk, reason="请按原时限办结。")
        if not step(rng.randint(3, 20)):
            return
        outcome = rng.choices([Outcome.SOLVED, Outcome.PARTLY_SOLVED, Outcome.UNSOLVABLE], [80, 15, 5])[0]
        explanation = {
            Outcome.SOLVED: "已协调相关部门办理完毕，并将办理结果告知企业。",
            Outcome.PARTLY_SOLVED: "受政策限制，暂无法完全解决，已向企业解释。",
            Outcome.UNSOLVABLE: "经核实不符合政策条件，已向企业当面解释。",
        }[outcome]
        with at(16):
            issue_services.issue_resolve(actor=member(unit.pk), issue_id=issue.pk, outcome=outcome, note=explanation)
        if not step(rng.randint(1, 3)):
            return  # waiting for the return call
        verdict = rng.choices(list(VERDICTS), [70, 25, 5])[0]
        rework = verdict == Satisfaction.UNSATISFIED and rng.random() < 0.7
        with at(10):
            issue_services.issue_follow_up(
                actor=sup,
                issue_id=issue.pk,
                channel=rng.choice([FollowUpChannel.PHONE, FollowUpChannel.PHONE, FollowUpChannel.ON_SITE]),
                contact=issue.enterprise.contact_name or "企业负责人",
                verdict=verdict,
                note=(
                    "企业反映问题仍未解决，要求继续办理。" if verdict == Satisfaction.UNSATISFIED else "企业表示认可。"
                ),
                caused_by_handling=rework,
            )
        if rework:
            if not step(rng.randint(2, 5)):
                return
            with at(16):
                issue_services.issue_resolve(
                    actor=member(unit.pk), issue_id=issue.pk, outcome=Outcome.SOLVED, note="已重新办理，问题已解决。"
                )
            if not step(rng.randint(1, 3)):
                return
            with at(10):
                issue_services.issue_follow_up(
                    actor=sup,
                    issue_id=issue.pk,
                    channel=FollowUpChannel.PHONE,
                    contact=issue.enterprise.contact_name or "企业负责人",
                    verdict=Satisfaction.SATISFIED,
                    note="企业表示满意。",
                )
        if not step(rng.randint(1, 4)):
            return  # called back, waiting for 销号
        with at(17):
            issue_services.issue_close(actor=sup, issue_id=issue.pk, note="已回访，予以销号。")
