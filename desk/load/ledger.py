"""Visits and issues, day by day from the first day to the day before today.

Each day has its share of the visits and issues (fewer at weekends and on
holidays, more in later years); an issue raised at a visit is registered at
that moment by the official who recorded it, the others by the county's
帮扶办. Each issue then lives its life (`walk`, through
desk.load.lifecycle's mirror of the services) as far as the days allow:
most are closed, some still wait for dispatch, signing for, resolution, a
return call or 销号, some run late and meet the 督办 ladder.

Rows go out in id order, and ids follow time: visits and issues by the
moment they were recorded, events (and the return calls and notices hanging
off them) by the moment they happened, month by month — an issue's events
are spread through the table as a real ledger's are, not kept together."""

import bisect
import datetime
import json
from collections import Counter, defaultdict
from types import SimpleNamespace

from django.conf import settings
from django.utils import translation

from issues import ladder, schemes
from issues.choices import VERDICTS, Action, Category, FollowUpChannel, NoticeKind, Outcome, Priority, Source
from visits.choices import VisitForm, VisitPurpose

from . import text
from .bulk import Copier, copy_text
from .days import DAY, Days
from .lifecycle import ASSIGNED, IN_PROGRESS, RESOLVED, IssueLife, Stop
from .world import World

SHARE_FROM_VISITS = 0.62


def _cumulative(weights):
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


class Choice:
    """A weighted choice with its cumulative weights worked out once
    (random.choices works them out again at every call)."""

    def __init__(self, items, weights):
        self.items, self.cum = [getattr(i, "value", i) for i in items], _cumulative(weights)
        self.total = self.cum[-1]

    def __call__(self, rng):
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]


CATEGORY = Choice(list(text.ISSUES), [phrases["weight"] for phrases in text.ISSUES.values()])
if set(CATEGORY.items) != set(Category.values):
    raise ImportError("desk.load.text needs phrases for every issue category, and only for those")
PRIORITY = Choice((Priority.NORMAL, Priority.HIGH, Priority.URGENT), (85, 12, 3))
SOURCE = Choice((Source.SELF_REPORT, Source.MEETING, Source.OTHER), (5, 3, 2))
VISIT_SOURCE = Source.VISIT.value
FORM = Choice((VisitForm.ONSITE, VisitForm.FORUM, VisitForm.OFFICE, VisitForm.REMOTE), (70, 10, 8, 12))
OUTCOME = Choice((Outcome.SOLVED, Outcome.PARTLY_SOLVED, Outcome.UNSOLVABLE), (82, 13, 5))
CHANNEL = Choice(
    (FollowUpChannel.PHONE, FollowUpChannel.ON_SITE, FollowUpChannel.MESSAGE, FollowUpChannel.NONE), (72, 18, 7, 3)
)
NO_CALL = FollowUpChannel.NONE.value
VERDICT = {  # by the outcome reported, and for a second call after rework
    "solved": Choice(VERDICTS, (76, 19, 5)),
    "other": Choice(VERDICTS, (40, 42, 18)),
    "again": Choice(VERDICTS, (70, 28, 2)),
}
SOLVED = Outcome.SOLVED.value
OTHER = Category.OTHER.value
TEAM_SEAT = Choice((0, 1, 2), (45, 30, 25))  # which unit of a team makes a visit
# Working days from registration to 交办, and from the return call to 销号 ("days" and "weeks": a few, many).
DISPATCH = Choice((0, 1, 2, "days", "weeks"), (45, 35, 12, 6.5, 1.5))
CLOSE_AFTER = Choice((0, 1, 2, "days", "weeks"), (30, 40, 15, 10, 5))


class Ledger:
    def __init__(self, *, world: World, days: Days, copier: Copier, rng, first_day: int, today_day: int, scale):
        self.world, self.days, self.copier, self.rng = world, days, copier, rng
        self.first_day, self.today_day, self.scale = first_day, today_day, scale
        self.horizon = today_day * DAY  # nothing happens from today's midnight on
        self.default_limits = schemes.Limits(schemes.preset_scheme())
        self.ids: Counter = Counter()
        self.campaign_of_year = {c.year: c for c in world.campaigns}
        self.county_of_enterprise = [0] + [world.county_of_town[t] for t in world.enterprise_town[1:]]
        self._tables()
        self.register_counters: Counter = Counter()
        self.notice_counters: Counter = Counter()
        self.buckets: dict[int, list] = defaultdict(list)
        self.month_of_day = [d.year * 12 + d.month - 1 for d in days.dates]
        self.prior_notices: dict[tuple[int, int], tuple[int, str, datetime.date]] = {}
        self.issuer = {county: world.unit_name[office] for county, office in world.county_office.items()}
        self.copied_to = {
            unit: [{"id": head, "name": world.official_name[head]}] for unit, head in world.unit_head.items()
        }
        # What the summary reports.
        self.issues_of_enterprise: Counter = Counter()
        self.issues_of_county: Counter = Counter()
        self.open_of_unit: Counter = Counter()
        self.status_count: Counter = Counter()
        self.events_of_saga = 0
        self.saga_issue = 0
        # Who is visited, and who raises issues: key enterprises most, some far more than others.
        rng = self.rng
        n = len(world.enterprise_town) - 1
        key = set(world.key_enterprises)
        visit_weights = [(8.0 if e in key else 0.6) * rng.lognormvariate(0, 0.5) for e in range(1, n + 1)]
        issue_weights = [(3.0 if e in key else 1.0) * rng.lognormvariate(0, 1.0) for e in range(1, n + 1)]
        self.visit_cum, self.issue_cum = _cumulative(visit_weights), _cumulative(issue_weights)
        purposes = VisitPurpose.values
        self.purposes = [json.dumps(rng.sample(purposes, rng.choice((1, 2, 2, 3)))) for _ in range(64)]

    def next_id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    def _tables(self) -> None:
        table = self.copier.table
        self.visit_rows = table(
            "visits_visit",
            (
                "id",
                "enterprise_id",
                "campaign_id",
                "date",
                "form",
                "purposes",
                "summary",
                "output_value",
                "revenue",
                "headcount",
                "order_book",
                "created_by_id",
                "created_at",
                "updated_at",
            ),
        )
        self.participant_rows = table("visits_visitparticipant", ("id", "visit_id", "official_id", "unit_id"))
        self.issue_rows = table(
            "issues_issue",
            (
                "id",
                "number",
                "enterprise_id",
                "visit_id",
                "campaign_id",
                "source",
                "category",
                "title",
                "description",
                "request",
                "priority",
                "is_complex",
                "status",
                "version",
                "responsible_unit_id",
                "registered_by_id",
                "accept_due_date",
                "answer_due_date",
                "due_date",
                "assigned_due_date",
                "progress_due_date",
                "follow_up_due_date",
                "verify_due_date",
                "registered_at",
                "assigned_at",
                "accepted_at",
                "returned_at",
                "answered_at",
                "resolved_at",
                "followed_up_at",
                "reopened_at",
                "closed_at",
                "cancelled_at",
                "escalated_at",
                "outcome",
                "satisfaction",
            ),
        )
        self.co_unit_rows = table("issues_issue_co_units", ("id", "issue_id", "helpunit_id"))
        self.event_rows = table(
            "issues_issueevent",
            (
                "id",
                "issue_id",
                "action",
                "actor_id",
                "actor_unit_id",
                "created_at",
                "from_status",
                "to_status",
                "note",
                "data",
            ),
        )
        self.follow_up_rows = table(
            "issues_followup",
            (
                "id",
                "event_id",
                "issue_id",
                "round",
                "channel",
                "contact",
                "called_on",
                "verdict",
                "words",
                "caused_by_handling",
                "called_by_id",
            ),
        )
        self.extension_rows = table(
            "issues_extensionrequest",
            (
                "id",
                "issue_id",
                "unit_id",
                "requested_by_id",
                "requested_at",
                "old_due_date",
                "new_due_date",
                "reason",
                "status",
                "decided_by_id",
                "decided_at",
                "decision_note",
            ),
        )
        self.notice_rows = table(
            "issues_supervisenotice",
            (
                "id",
                "issue_id",
                "kind",
                "unit_id",
                "region_id",
                "year",
                "serial",
                "number",
                "issuer",
                "issued_on",
                "issued_at",
                "due_date",
                "days_overdue",
                "copied_to",
                "text",
                "follows_id",
            ),
        )

    # The days -------------------------------------------------------------------------------

    def _allot(self, total: int) -> list[int]:
        """`total` spread over the days: working days full, others a tenth,
        rising by two thirds from the first year to the last."""
        span = range(self.first_day, self.today_day)
        weights = []
        for day in span:
            weight = 1.0 if self.days.working[day] else 0.08
            weights.append(weight * (0.75 + 0.5 * (day - self.first_day) / max(1, len(span))))
        scale = total / sum(weights)
        shares, carried = [], 0.0
        for weight in weights:
            carried += weight * scale
            share = int(carried)
            carried -= share
            shares.append(share)
        shares[-1] += total - sum(shares)
        return shares

    def run(self, progress=None) -> None:
        visits, issues = self._allot(self.scale.visits), self._allot(self.scale.issues)
        saga_day = max(self.first_day, self.today_day - 330)
        while not self.days.working[saga_day]:
            saga_day += 1
        for offset, day in enumerate(range(self.first_day, self.today_day)):
            today_visits = [self._visit(day) for _ in range(visits[offset])]
            self._issues(day, issues[offset], today_visits, saga=day == saga_day)
            if day + 1 == self.today_day or self.month_of_day[day + 1] != self.month_of_day[day]:
                self._flush(self.month_of_day[day])
                if progress:
                    progress(self.days.dates[day])
        self._flush(None)

    # Visits ---------------------------------------------------------------------------------

    def _visit(self, day: int):
        rng, w = self.rng, self.world
        enterprise = bisect.bisect(self.visit_cum, rng.random() * self.visit_cum[-1]) + 1
        campaign = self.campaign_of_year.get(self.days.dates[day].year)
        team = w.teams.get((campaign.id, enterprise)) if campaign else None
        if team:
            unit = team[TEAM_SEAT(rng)]
            actors = w.unit_actors[unit]
        else:
            actors = w.county_supervisors[self.county_of_enterprise[enterprise]]
        people = rng.sample(actors, min(len(actors), rng.choice((1, 1, 2, 2, 2, 3))))
        moment = day * DAY + rng.randrange(9 * 3600, 18 * 3600)
        pk = self.next_id("visit")
        stamp = self.days.stamp(moment)
        snapshot = rng.random() < 0.4
        self.visit_rows.add(
            pk,
            enterprise,
            campaign.id if campaign else None,
            self.days.iso[day],
            FORM(rng),
            rng.choice(self.purposes),
            rng.choice(text.VISIT_SUMMARIES).format(e=w.enterprise_name[enterprise]),
            f"{rng.randint(500, 90000)}.00" if snapshot else None,
            f"{rng.randint(400, 80000)}.00" if snapshot else None,
            rng.randint(20, 1500) if snapshot else None,
            rng.choice(text.ORDER_BOOKS) if snapshot else "",
            people[0],
            stamp,
            stamp,
        )
        for person in people:
            self.participant_rows.add(self.next_id("participant"), pk, person, w.official_unit[person])
        return (moment, enterprise, pk, people[0], campaign)

    # Issues ---------------------------------------------------------------------------------

    def _issues(self, day: int, count: int, today_visits, saga: bool) -> None:
        rng, w = self.rng, self.world
        raised = []
        if today_visits:
            seats = [visit for visit in today_visits for _ in range(3)]
            for visit in rng.sample(seats, min(len(seats), round(count * SHARE_FROM_VISITS))):
                moment, enterprise, visit_id, registrar, campaign = visit
                raised.append((moment, enterprise, visit_id, registrar, campaign, VISIT_SOURCE))
        campaign = self.campaign_of_year.get(self.days.dates[day].year)
        for _ in range(count - len(raised)):
            enterprise = bisect.bisect(self.issue_cum, rng.random() * self.issue_cum[-1]) + 1
            registrar = rng.choice(w.county_supervisors[self.county_of_enterprise[enterprise]])
            source = SOURCE(rng)
            moment = day * DAY + rng.randrange(8 * 3600 + 1800, 18 * 3600)
            raised.append((moment, enterprise, None, registrar, campaign, source))
        raised.sort(key=lambda r: (r[0], r[2] or 0, r[1]))
        for index, row in enumerate(raised):
            self._issue(*row, saga=saga and index == 0)

    def _texts(self, category: str):
        rng = self.rng
        phrases = text.ISSUES[category]
        n = rng.choice((5, 8, 10, 20, 30, 50, 80, 100, 200, 300, 500, 800))
        title = rng.choice(phrases["titles"]).format(n=n)
        sentences = rng.sample(phrases["sentences"], min(2, len(phrases["sentences"])))[: rng.choice((1, 2, 2))]
        context = rng.choice(text.CONTEXT).format(n=rng.randint(20, 1500))
        description = "".join(s.format(n=n, bank=rng.choice(text.BANKS)) for s in sentences) + context
        return title, description, rng.choice(phrases["requests"])

    def _issue(self, moment, enterprise, visit, registrar, campaign, source, saga=False) -> None:
        rng = self.rng
        category = CATEGORY(rng)
        title, description, request = self._texts(category)
        year = self.days.dates[moment // DAY].year
        self.register_counters[year] += 1
        life = IssueLife(
            self,
            pk=self.next_id("issue"),
            number=f"{year}-{self.register_counters[year]:06d}",
            enterprise=enterprise,
            visit=visit,
            campaign=campaign,
            source=source,
            category=category,
            title=title,
            description=description,
            request=request,
            priority=PRIORITY(rng),
            registered_by=registrar,
            registered_at=moment,
        )
        try:
            (saga_walk if saga else walk)(life, self)
            life.finish()
        except Stop:
            pass
        if saga:
            self.saga_issue, self.events_of_saga = life.pk, len(life.events)
        self._write(life)

    def _write(self, life: IssueLife) -> None:
        days, stamp = self.days, self.days.stamp

        def moment(value):
            return stamp(value) if value is not None else None

        self.issue_rows.add(
            life.pk,
            life.number,
            life.enterprise,
            life.visit,
            life.campaign.id if life.campaign else None,
            life.source,
            life.category,
            life.title,
            life.description,
            life.request,
            life.priority,
            life.is_complex,
            life.status,
            life.version,
            life.unit,
            life.registered_by,
            life.iso(life.accept_due),
            life.iso(life.answer_due),
            life.iso(life.due),
            life.iso(life.assigned_due),
            life.iso(life.progress_due),
            life.iso(life.follow_up_due),
            life.iso(life.verify_due),
            moment(life.registered_at),
            moment(life.assigned_at),
            moment(life.accepted_at),
            moment(life.returned_at),
            moment(life.answered_at),
            moment(life.resolved_at),
            moment(life.followed_up_at),
            moment(life.reopened_at),
            moment(life.closed_at),
            moment(life.cancelled_at),
            moment(life.escalated_at),
            life.outcome,
            life.satisfaction,
        )
        for unit in life.co_units:
            self.co_unit_rows.add(self.next_id("co_unit"), life.pk, unit)
        for request in life.extensions:
            self.extension_rows.add(
                request.id,
                life.pk,
                request.unit,
                request.requested_by,
                stamp(request.requested_at),
                days.iso[request.old_due],
                days.iso[request.new_due],
                request.reason,
                request.status,
                request.decided_by,
                moment(request.decided_at),
                request.decision_note,
            )
        for event in life.events:
            moment_, seq, action, actor, unit, from_status, to_status, note, data, attachment = event
            if data is None:  # a rung of the ladder: numbered when written
                facts = (attachment, life.enterprise, life.title, life.number, life.limits)
                self.buckets[self.month_of_day[moment_ // DAY]].append((moment_, life.pk, seq, None, facts))
                continue
            line = "\t".join(
                (
                    str(life.pk),
                    action,
                    str(actor) if actor else "\\N",
                    str(unit) if unit else "\\N",
                    stamp(moment_),
                    from_status,
                    to_status,
                    copy_text(note),
                    copy_text(json.dumps(data, ensure_ascii=False)),
                )
            )
            self.buckets[self.month_of_day[moment_ // DAY]].append((moment_, life.pk, seq, line, attachment))
        county = self.county_of_enterprise[life.enterprise]
        self.issues_of_enterprise[life.enterprise] += 1
        self.issues_of_county[county] += 1
        self.status_count[life.status] += 1
        if life.status in (ASSIGNED, IN_PROGRESS, RESOLVED) and life.unit:
            self.open_of_unit[life.unit] += 1

    # Events in time order -------------------------------------------------------------------

    def _flush(self, month: int | None) -> None:
        """Write the events of every month up to `month` (all, for None) in time order."""
        for key in sorted(k for k in self.buckets if month is None or k <= month):
            entries = self.buckets.pop(key)
            entries.sort(key=lambda e: (e[0], e[1], e[2]))
            for moment, issue, _seq, line, attachment in entries:
                event = self.next_id("event")
                if line is None:
                    self._rung(event, moment, issue, *attachment)
                    continue
                self.event_rows.add_line(event, line)
                if attachment is not None:  # a return call
                    round_, channel, contact, day, verdict, words, rework, caller = attachment
                    self.follow_up_rows.add(
                        self.next_id("follow_up"),
                        event,
                        issue,
                        round_,
                        channel,
                        contact,
                        self.days.iso[day],
                        verdict,
                        words,
                        rework,
                        caller,
                    )

    def _rung(self, event: int, moment: int, issue: int, rung, enterprise, title, number, limits) -> None:
        """A 督办单 or 通报批评 as issues.ladder issues it: its notice, numbered in
        its county's series for the year, and its event."""
        w, days = self.world, self.days
        day = moment // DAY
        county = self.county_of_enterprise[enterprise]
        year = days.dates[day].year
        kind = NoticeKind.NOTICE if rung.kind == "notice" else NoticeKind.CRITICISM
        self.notice_counters[(county, year, kind)] += 1
        serial = self.notice_counters[(county, year, kind)]
        document = ladder.document_number(w.region_name[county], year, kind, serial)
        pk = self.next_id("notice")
        follows = None
        if kind == NoticeKind.CRITICISM:
            follows = ladder.Prior(*self.prior_notices.pop((issue, rung.due)))
        else:
            self.prior_notices[(issue, rung.due)] = (pk, document, days.dates[day])
        unit = rung.unit
        facts = SimpleNamespace(
            enterprise=SimpleNamespace(name=w.enterprise_name[enterprise]),
            title=title,
            number=number,
            due_date=days.dates[rung.due],
            overdue_by=rung.days_overdue,
            scheme_limits=limits,
        )
        with translation.override(settings.LANGUAGE_CODE):
            body = ladder._text(facts, kind, follows, rung.since)
        stamp = days.stamp(moment)
        self.notice_rows.add(
            pk,
            issue,
            kind,
            unit,
            county,
            year,
            serial,
            document,
            self.issuer[county][:100],
            days.iso[day],
            stamp,
            days.iso[rung.due],
            rung.days_overdue,
            json.dumps(self.copied_to.get(unit, []), ensure_ascii=False),
            body,
            follows.pk if follows else None,
        )
        status = rung.status
        data = {
            "notice": pk,
            "number": document,
            "unit_name": w.unit_name[unit],
            "due_date": days.iso[rung.due],
            "days_overdue": rung.days_overdue,
        }
        action = Action.SUPERVISE_NOTICE if kind == NoticeKind.NOTICE else Action.CRITICISE
        self.event_rows.add(
            event, issue, action, None, None, stamp, status, status, "", json.dumps(data, ensure_ascii=False)
        )


# The stories --------------------------------------------------------------------------------


class Story:
    """The walk's helpers: moments after the last step, the people who act."""

    def __init__(self, life: IssueLife, ledger: Ledger):
        self.life, self.ledger, self.rng, self.days = life, ledger, ledger.rng, ledger.days
        w = ledger.world
        self.world = w
        self.county = ledger.county_of_enterprise[life.enterprise]
        self.town = w.enterprise_town[life.enterprise]
        self.supervisors = w.county_supervisors[self.county]

    def at(self, day: int, start_hour: float = 8.5, end_hour: float = 18) -> int:
        """A moment in office hours on `day`, after the last step (the same day, or the next if it is late)."""
        rng = self.rng
        moment = day * DAY + rng.randrange(int(start_hour * 3600), int(end_hour * 3600))
        if moment <= self.life.last:
            moment = self.life.last + rng.randrange(600, 5400)
        return moment

    def supervisor(self) -> int:
        return self.rng.choice(self.supervisors)

    def member(self, unit: int) -> int:
        return self.rng.choice(self.world.unit_actors[unit])

    def units(self):
        """The responsible unit and the co-handling ones for the issue's category:
        its 三帮一 team's lead now and then, else a department that handles it
        (the town's government for "other")."""
        rng, w, life = self.rng, self.world, self.life
        campaign = life.campaign
        team = w.teams.get((campaign.id, life.enterprise)) if campaign else None
        candidates = w.handles.get((self.county, life.category)) or w.county_departments[self.county]
        if team and rng.random() < 0.3:
            unit = team[0]
        elif life.category == OTHER:
            unit = w.town_unit[self.town]
        else:
            unit = rng.choice(candidates)
        co = []
        roll = rng.random()
        if roll < 0.22:
            pool = [u for u in (team or ()) if u != unit] or [u for u in w.county_departments[self.county] if u != unit]
            co = [rng.choice(pool)]
            if roll < 0.04:
                more = [u for u in w.county_departments[self.county] if u != unit and u not in co]
                co.append(rng.choice(more))
        return unit, co

    def other_unit(self, unit: int) -> int:
        candidates = [u for u in self.world.county_departments[self.county] if u != unit]
        return self.rng.choice(candidates)


def walk(life: IssueLife, ledger: Ledger) -> None:
    """An issue's life as most are lived; `Stop` ends it at the horizon."""
    story = Story(life, ledger)
    rng, days = story.rng, story.days
    day = life.registered_at // DAY
    if rng.random() < 0.025:
        day = days.on_or_after(day + rng.choice((0, 0, 1, 1, 2)))
        life.cancel(story.at(day, 9, 17), story.supervisor(), rng.choice(text.CANCEL_REASONS))
        return
    wait = DISPATCH(rng)
    if wait == "days":
        wait = rng.randint(3, 5)
    elif wait == "weeks":
        wait = rng.randint(10, 80)
    day = days.add(day, wait) if wait else days.on_or_after(day)
    unit, co = story.units()
    complex_ = rng.random() < 0.08
    life.assign(story.at(day, 9, 17.5), story.supervisor(), unit, co, complex_)
    if rng.random() < 0.05:  # the unit disputes it within the window
        back = day if rng.random() < 0.6 else days.add(day, 1)
        moment = story.at(back, 9, 17.5)
        if life.can_return(moment // DAY):
            life.return_(moment, story.member(unit), rng.choice(text.RETURN_REASONS))
            day = days.add(moment // DAY, rng.choice((0, 1, 1, 2, 3)))
            upheld = rng.random() < 0.7
            unit = story.other_unit(unit) if upheld else unit
            co = [u for u in co if u != unit]
            note = "" if upheld else rng.choice(text.OVERRULE_NOTES)
            life.assign(story.at(day, 9, 17.5), story.supervisor(), unit, co, complex_, note)
    assigned_day = life.assigned_at // DAY
    roll = rng.random()
    wait = 0 if roll < 0.55 else 1 if roll < 0.88 else rng.randint(2, 3) if roll < 0.97 else rng.randint(4, 15)
    life.accept(story.at(days.add(assigned_day, wait), 8.5, 18), story.member(unit))
    working(story, unit, co)


def working(story: Story, unit: int, co: list[int]) -> None:
    """From signing for to 销号: answers, progress notes, an extension, the
    ladder if late, 办结, the return call, rework, 销号."""
    life, rng, days = story.life, story.rng, story.days
    limits = life.limits
    assigned_day = life.assigned_at // DAY
    accepted_day = life.accepted_at // DAY
    allowed = days.between(assigned_day, life.due)
    roll = rng.random()
    if roll < 0.785:
        spent = max(1, int(allowed * rng.random() ** 1.4) + 1)
    elif roll < 0.84:
        spent = allowed + rng.randint(1, max(2, allowed // 2))
    elif roll < 0.865:
        spent = allowed + rng.randint(allowed, allowed + 60)
    else:
        # 长期推进类: land, approvals and money that take many months; many are still open today.
        spent = rng.randint(60, 1000)
    resolve_day = max(days.add(assigned_day, spent), accepted_day)
    plan = []  # (day, order, step)
    if rng.random() < 0.3:
        late = rng.random() < 0.18
        answer = limits.answer_days + rng.randint(1, 5) if late else rng.randint(1, limits.answer_days)
        plan.append((days.add(assigned_day, answer), 0, "reply"))
    if rng.random() < (0.12 if spent > allowed else 0.03):
        plan.append((days.add(accepted_day, rng.randint(2, 15)), 1, "escalate"))
    if spent > allowed and rng.random() < 0.4 or rng.random() < 0.02:
        ask = max(accepted_day, days.back(life.due, rng.choice((0, 0, 1, 2, 3))))
        plan.append((ask, 2, "extension"))
    plan.sort()
    for step_day, _order, step in plan:
        step_day = max(step_day, life.last // DAY)
        if step_day >= resolve_day:
            continue
        progress_notes(story, unit, co, step_day)
        if step == "reply":
            actor = story.member(unit)
            life.feedback(story.at(step_day), actor, rng.choice(text.REPLIES), reply=True)
        elif step == "escalate" and life.escalated_at is None:
            life.escalate(story.at(step_day, 9, 17), story.supervisor(), rng.choice(text.ESCALATE_NOTES))
        elif step == "extension":
            resolve_day = extension(story, unit, step_day, resolve_day)
    progress_notes(story, unit, co, resolve_day)
    outcome = OUTCOME(rng)
    life.resolve(story.at(resolve_day, 9, 18), story.member(unit), outcome, rng.choice(text.RESOLUTIONS[outcome]))
    closing(story, unit, co)


def progress_notes(story: Story, unit: int, co: list[int], until_day: int) -> None:
    """The month's progress note (a feedback) while the issue is worked on,
    mostly before it falls due, up to `until_day`."""
    life, rng = story.life, story.rng
    while life.status == IN_PROGRESS and life.progress_due is not None:
        # Most months on time; often a month skipped.
        day = life.progress_due - rng.randint(0, 6) if rng.random() < 0.55 else life.progress_due + rng.randint(5, 45)
        day = max(day, life.last // DAY)
        if day >= until_day:
            return
        actor = story.member(co[0]) if co and rng.random() < 0.15 else story.member(unit)
        life.feedback(story.at(day), actor, rng.choice(text.PROGRESS))


def extension(story: Story, unit: int, day: int, resolve_day: int) -> int:
    """An extension asked for by the due date; decided a day or two later
    (or not before 办结, which withdraws it). The day of 办结 it leads to."""
    life, rng, days = story.life, story.rng, story.days
    day = max(day, life.last // DAY)
    if life.status not in (ASSIGNED, IN_PROGRESS) or day > life.due:
        return resolve_day
    new_due = min(days.add(life.due, rng.randint(5, 20)), life.extension_cap())
    moment = story.at(day)
    if not life.can_request_extension(moment // DAY, new_due):
        return resolve_day
    life.request_extension(moment, story.member(unit), new_due, rng.choice(text.EXTENSION_REASONS))
    roll = rng.random()
    if roll > 0.95:
        return resolve_day  # never decided
    decided = days.add(day, rng.choice((1, 1, 2)))
    if decided >= resolve_day:
        return resolve_day
    if roll < 0.75:
        life.approve_extension(story.at(decided, 9, 17), story.supervisor(), rng.choice(text.APPROVE_NOTES))
        if resolve_day > life.due and rng.random() < 0.7 and life.due > decided:
            resolve_day = days.add(decided, rng.randint(1, max(1, days.between(decided, life.due))))
    else:
        life.reject_extension(story.at(decided, 9, 17), story.supervisor(), rng.choice(text.REJECT_REASONS))
    return resolve_day


def closing(story: Story, unit: int, co: list[int], rounds: int = 0) -> None:
    """From 办结: perhaps sent back by the supervisor, then the return call
    (回访) and its verdict, rework if the handling let the enterprise down,
    and 销号."""
    life, rng, days = story.life, story.rng, story.days
    resolved_day = life.resolved_at // DAY
    if rounds == 0 and rng.random() < 0.02:
        day = days.add(resolved_day, rng.randint(1, 3))
        life.reopen(story.at(day, 9, 17), story.supervisor(), rng.choice(text.REOPEN_REASONS))
        rework(story, unit, co, rounds)
        return
    roll = rng.random()
    wait = 1 if roll < 0.82 else rng.randint(2, 3) if roll < 0.95 else rng.randint(4, 12)
    day = days.add(resolved_day, wait)
    channel = CHANNEL(rng)
    if channel == NO_CALL:
        verdict, note = "", rng.choice(text.NO_CALL_REASONS)
    else:
        verdict = VERDICT["again" if rounds else "solved" if life.outcome == SOLVED else "other"](rng)
        note = rng.choice(text.VERDICT_WORDS[verdict])
    send_back = verdict == "unsatisfied" and rounds == 0 and rng.random() < 0.6
    life.follow_up(
        story.at(day, 9, 17),
        story.supervisor(),
        channel,
        story.world.enterprise_contact[life.enterprise],
        verdict,
        note,
        send_back,
    )
    if send_back:
        rework(story, unit, co, rounds)
        return
    wait = CLOSE_AFTER(rng)
    if wait == "days":
        wait = rng.randint(3, 4)
    elif wait == "weeks":
        wait = rng.randint(5, 15)
    day = days.add(life.last // DAY, wait) if wait else life.last // DAY
    life.close(story.at(day, 9, 17.5), story.supervisor(), rng.choice(text.CLOSE_NOTES))


def rework(story: Story, unit: int, co: list[int], rounds: int) -> None:
    life, rng, days = story.life, story.rng, story.days
    day = days.add(life.last // DAY, rng.randint(2, 8))
    progress_notes(story, unit, co, day)
    life.resolve(story.at(day, 9, 18), story.member(unit), SOLVED, rng.choice(text.RESOLUTIONS["solved"]))
    closing(story, unit, co, rounds + 1)


def saga_walk(life: IssueLife, ledger: Ledger) -> None:
    """One issue that went through nearly everything, for the benchmark's
    issue page with 20 events and more: returned and reassigned, escalated,
    worked on for months with its progress notes, extended once and refused
    once, sent back by the return call and by the supervisor, then closed."""
    story = Story(life, ledger)
    days = story.days
    day = days.on_or_after(life.registered_at // DAY)
    unit, co = story.units()
    life.assign(story.at(day, 9, 12), story.supervisor(), unit, co)
    life.return_(story.at(day, 14, 17), story.member(unit), text.RETURN_REASONS[0])
    unit = story.other_unit(unit)
    co = [u for u in co if u != unit]
    day = days.add(day, 1)
    life.assign(story.at(day, 9, 11), story.supervisor(), unit, co, is_complex=True)
    life.accept(story.at(day, 14, 17), story.member(unit))
    life.feedback(story.at(days.add(day, 2)), story.member(unit), text.REPLIES[0], reply=True)
    life.escalate(story.at(days.add(day, 4), 9, 17), story.supervisor(), text.ESCALATE_NOTES[0])
    progress_notes(story, unit, co, days.back(life.due, 3))
    ask = days.back(life.due, 2)
    life.request_extension(story.at(ask), story.member(unit), days.add(life.due, 15), text.EXTENSION_REASONS[0])
    life.approve_extension(story.at(days.add(ask, 1), 9, 17), story.supervisor(), text.APPROVE_NOTES[0])
    progress_notes(story, unit, co, days.back(life.due, 2))
    ask = story.at(days.back(life.due, 1))
    new_due = min(days.add(life.due, 10), life.extension_cap())
    if life.can_request_extension(ask // DAY, new_due):
        life.request_extension(ask, story.member(unit), new_due, text.EXTENSION_REASONS[1])
        life.reject_extension(story.at(days.add(ask // DAY, 1), 9, 17), story.supervisor(), text.REJECT_REASONS[0])
    day = days.add(life.last // DAY, 3)
    progress_notes(story, unit, co, day)
    life.resolve(story.at(day, 9, 18), story.member(unit), Outcome.PARTLY_SOLVED, text.RESOLUTIONS["partly_solved"][0])
    life.follow_up(
        story.at(days.add(day, 1), 9, 17),
        story.supervisor(),
        FollowUpChannel.PHONE,
        story.world.enterprise_contact[life.enterprise],
        "unsatisfied",
        text.VERDICT_WORDS["unsatisfied"][0],
        True,
    )
    day = days.add(life.last // DAY, 4)
    life.feedback(story.at(days.add(life.last // DAY, 1)), story.member(unit), text.PROGRESS[0])
    life.resolve(story.at(day, 9, 18), story.member(unit), Outcome.SOLVED, text.RESOLUTIONS["solved"][0])
    life.reopen(story.at(days.add(day, 1), 9, 17), story.supervisor(), text.REOPEN_REASONS[1])
    day = days.add(life.last // DAY, 3)
    life.resolve(story.at(day, 9, 18), story.member(unit), Outcome.SOLVED, text.RESOLUTIONS["solved"][1])
    day = days.add(day, 1)
    life.follow_up(
        story.at(day, 9, 17),
        story.supervisor(),
        FollowUpChannel.ON_SITE,
        story.world.enterprise_contact[life.enterprise],
        "satisfied",
        text.VERDICT_WORDS["satisfied"][0],
    )
    life.close(story.at(day, 17, 18), story.supervisor(), text.CLOSE_NOTES[0])
