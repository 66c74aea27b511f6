"""One issue's life, step by step, as issues.services would have written it.

`IssueLife` holds an issue's row and mirrors each service of the lifecycle
(issue_assign, issue_accept, …): the same guard, the same fields changed,
the same deadlines in force (issues.schemes' limits, core.calendar's working
days through `Days`), the same stamps, the same version and one event with
the same details. The 督办 ladder (issues.ladder) is played between the
steps: at each working day's sweep an overdue issue gets its 督办单 once it
is `notice_after` working days late, and its 通报批评 `criticise_after`
working days later if still late against the same due date.

tests/desk/test_load.py replays generated issues through the real services
and finds the same rows and events, which is what holds this mirror to them.
"""

from dataclasses import dataclass

from issues.choices import Action, Satisfaction, Status

from .days import DAY, Days

# Plain strings: the enums' members cost an attribute lookup each time, a million issues many times over.
REGISTERED, ASSIGNED, IN_PROGRESS = Status.REGISTERED.value, Status.ASSIGNED.value, Status.IN_PROGRESS.value
RESOLVED, CLOSED, CANCELLED = Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value
WORKING = (ASSIGNED, IN_PROGRESS)
A = {action.name: action.value for action in Action}  # Action's values by name: A["ASSIGN"] == "assign"
UNSATISFIED, NOT_REACHED = Satisfaction.UNSATISFIED.value, Satisfaction.NOT_REACHED.value
# The sweep runs every quarter of an hour from two minutes past midnight.
SWEEP_EVERY, SWEEP_FIRST = 900, 120


class Stop(Exception):
    """The next step would fall on or after the horizon: the issue stays as it is."""


@dataclass
class Extension:
    id: int
    unit: int
    requested_by: int
    requested_at: int
    old_due: int
    new_due: int
    reason: str
    status: str = "pending"
    decided_by: int | None = None
    decided_at: int | None = None
    decision_note: str = ""


@dataclass
class Rung:
    """A notice of the ladder, numbered when its event is written."""

    kind: str  # "notice" or "criticism"
    due: int
    days_overdue: int
    since: int  # a criticism: working days since its notice
    status: str  # the issue's, when the sweep issued it
    unit: int  # the responsible unit it was issued to


class IssueLife:
    """An issue's row, its events (moment, sequence, action, actor, actor's
    unit, from, to, note, details, attachment) and what hangs off them."""

    def __init__(
        self,
        ledger,
        *,
        pk,
        number,
        enterprise,
        visit,
        campaign,
        source,
        category,
        title,
        description,
        request,
        priority,
        registered_by,
        registered_at,
    ):
        self.ledger = ledger
        self.days: Days = ledger.days
        self.horizon: int = ledger.horizon
        self.pk, self.number, self.enterprise, self.visit = pk, number, enterprise, visit
        self.campaign = campaign
        self.limits = campaign.limits if campaign else ledger.default_limits
        self.source, self.category, self.title = source, category, title
        self.description, self.request, self.priority = description, request, priority
        self.is_complex = False
        self.status = REGISTERED
        self.version = 1
        self.unit: int | None = None
        self.co_units: list[int] = []
        self.registered_by = registered_by
        self.accept_due = self.answer_due = self.due = self.assigned_due = None
        self.progress_due = self.follow_up_due = self.verify_due = None
        self.registered_at = registered_at
        self.assigned_at = self.accepted_at = self.returned_at = self.answered_at = None
        self.resolved_at = self.followed_up_at = self.reopened_at = None
        self.closed_at = self.cancelled_at = self.escalated_at = None
        self.outcome = self.satisfaction = ""
        self.events: list[tuple] = []
        self.extensions: list[Extension] = []
        self.pending: Extension | None = None
        self.calls: list[tuple[int, str]] = []  # (moment, verdict) of each return call
        self.returned_unit: int | None = None
        self.last = registered_at
        self.cursor = registered_at  # the ladder has looked up to here
        self.notices: dict[int, int] = {}  # due date → the day its 督办单 was issued
        self.criticised: set[int] = set()
        self._event(registered_at, A["REGISTER"], registered_by, "", REGISTERED, "", {"number": number})

    # The shape every step shares ----------------------------------------------------------

    def _event(self, moment, action, actor, from_status, to_status, note, data, attachment=None):
        unit = self.ledger.world.official_unit[actor] if actor else None
        event = (moment, len(self.events), action, actor, unit, from_status, to_status, note, data, attachment)
        self.events.append(event)
        self.last = moment

    def _begin(self, moment: int) -> int:
        """Check the step falls before the horizon and after the last one,
        play the ladder up to it; its day."""
        if moment >= self.horizon:
            self.finish()
            raise Stop
        if moment <= self.last:
            raise ValueError(f"issue {self.pk}: a step at {moment} is not after the last at {self.last}")
        self.ladder(moment)
        return moment // DAY

    def _guard(self, possible: bool) -> None:
        """The walk keeps to the services' guards; a step they would refuse is a bug here."""
        if not possible:
            raise RuntimeError(f"issue {self.pk}: a step the services would refuse, in state {self.status}")

    def _act(self, moment, action, actor, note, data, target=None, attachment=None):
        from_status = self.status
        if target is not None:
            self.status = target
        self.version += 1
        self._event(moment, action, actor, from_status, self.status, note, data, attachment)

    def iso(self, day):
        return self.days.iso[day] if day is not None else None

    def finish(self) -> None:
        """The issue as it stands at the horizon."""
        self.ladder(self.horizon)

    # The 督办 ladder --------------------------------------------------------------------------

    def _sweep_after(self, day: int, after: int) -> int:
        """The first sweep on a working day from `day` on, after the moment `after`."""
        start = max(day * DAY, after + 1)
        day = start // DAY
        while True:
            if self.days.working[day]:
                second = start - day * DAY
                slot = max(0, -(-(second - SWEEP_FIRST) // SWEEP_EVERY))
                moment = slot * SWEEP_EVERY + SWEEP_FIRST
                if moment < DAY:
                    return day * DAY + moment
            day += 1
            start = day * DAY

    def ladder(self, until: int) -> None:
        """The rungs the sweeps issued between the last step and `until`."""
        if self.status in WORKING and self.due is not None:
            notice_after = max(1, self.limits.notice_after_days)
            criticise_after = max(1, self.limits.criticise_after_days)
            while True:
                notice_day = self.notices.get(self.due)
                if notice_day is None:
                    kind, first = "notice", self.days.add(self.due, notice_after)
                elif self.due not in self.criticised:
                    kind, first = "criticism", self.days.add(notice_day, criticise_after)
                else:
                    break
                moment = self._sweep_after(first, self.cursor)
                if moment >= until:
                    break
                day = moment // DAY
                late = self.days.between(self.due, day)
                if kind == "notice":
                    self.notices[self.due] = day
                    rung = Rung(kind, self.due, late, 0, self.status, self.unit)
                else:
                    self.criticised.add(self.due)
                    rung = Rung(kind, self.due, late, self.days.between(notice_day, day), self.status, self.unit)
                action = A["SUPERVISE_NOTICE"] if kind == "notice" else A["CRITICISE"]
                status = self.status
                self.events.append((moment, len(self.events), action, None, None, status, status, "", None, rung))
                self.cursor = moment
        self.cursor = max(self.cursor, until)

    # The steps, as issues.services takes them ------------------------------------------------

    def assign(self, moment, actor, unit, co_units=(), is_complex=False, note=""):
        day = self._begin(moment)
        self._guard(self.status == REGISTERED)
        limits = self.limits
        self.is_complex = bool(is_complex)
        default_due = self.days.add(day, limits.resolve_days(self.category, self.priority, self.is_complex))
        data = {}
        if self.returned_at is not None:
            upheld = self.returned_unit != unit
            data["return_decision"] = {
                "returned_by": self.returned_unit,
                "decision": "upheld" if upheld else "overruled",
            }
        self.unit = unit
        self.assigned_at = moment
        self.accept_due = self.days.add(day, limits.accept_days)
        self.answer_due = self.days.add(day, limits.answer_days)
        self.due = self.assigned_due = default_due
        self.progress_due = day + limits.progress_every_days
        self.verify_due = self.follow_up_due = None
        self.co_units = list(co_units)
        names = self.ledger.world.unit_name
        details = {
            "unit": unit,
            "unit_name": names[unit],
            "co_units": list(co_units),
            "accept_due_date": self.iso(self.accept_due),
            "answer_due_date": self.iso(self.answer_due),
            "due_date": self.iso(self.due),
            "due_date_given": False,
            "default_due_date": self.iso(default_due),
            "complex": self.is_complex,
            "scheme": limits.preset,
            **data,
        }
        self._act(moment, A["ASSIGN"], actor, note, details, ASSIGNED)
        self.cursor = moment

    def accept(self, moment, actor, note=""):
        day = self._begin(moment)
        self._guard(self.status == ASSIGNED)
        self.accepted_at = moment
        data = {"on_time": day <= self.accept_due, "due_date": self.iso(self.due)}
        self._act(moment, A["ACCEPT"], actor, note, data, IN_PROGRESS)
        self.cursor = moment

    def can_return(self, day: int) -> bool:
        overruled = self.returned_at is not None and self.returned_unit == self.unit
        return self.status == ASSIGNED and not overruled and day <= self.accept_due

    def return_(self, moment, actor, reason):
        day = self._begin(moment)
        self._guard(self.can_return(day))
        data = {"unit": self.unit, "unit_name": self.ledger.world.unit_name[self.unit]}
        self.returned_unit = self.unit
        self.unit = None
        self.co_units = []
        self.returned_at = moment
        self.accept_due = self.answer_due = self.due = self.verify_due = None
        self.assigned_due = self.progress_due = None
        self.assigned_at = None
        self._act(moment, A["RETURN"], actor, reason, data, REGISTERED)
        self.cursor = moment

    def _answer(self, day, moment) -> dict:
        if self.answered_at is not None:
            return {}
        self.answered_at = moment
        return {"first_answer": True, "answer_on_time": self.answer_due is None or day <= self.answer_due}

    def feedback(self, moment, actor, note, reply=False):
        day = self._begin(moment)
        self._guard(self.status == IN_PROGRESS)
        self.progress_due = day + self.limits.progress_every_days
        data = {
            "unit": self.ledger.world.official_unit[actor],
            "reply": bool(reply),
            "progress_due_date": self.iso(self.progress_due),
        }
        if reply:
            data |= self._answer(day, moment)
        self._act(moment, A["FEEDBACK"], actor, note, data)

    def extension_cap(self) -> int:
        base = self.assigned_due if self.assigned_due is not None else self.due
        return self.days.add(base, self.limits.extension_cap_days)

    def can_request_extension(self, day: int, new_due: int) -> bool:
        return (
            self.status in WORKING
            and self.pending is None
            and day <= self.due
            and new_due >= day
            and self.due < new_due <= self.extension_cap()
        )

    def request_extension(self, moment, actor, new_due, reason):
        day = self._begin(moment)
        self._guard(self.can_request_extension(day, new_due))
        request = Extension(self.ledger.next_id("extension"), self.unit, actor, moment, self.due, new_due, reason)
        self.extensions.append(request)
        self.pending = request
        data = {"extension": request.id, "old_due_date": self.iso(self.due), "new_due_date": self.iso(new_due)}
        self._act(moment, A["REQUEST_EXTENSION"], actor, reason, data)

    def _decide(self, moment, actor, status, note) -> Extension:
        request = self.pending
        request.status, request.decided_by, request.decided_at, request.decision_note = status, actor, moment, note
        self.pending = None
        return request

    def approve_extension(self, moment, actor, note=""):
        self._begin(moment)
        self._guard(self.status in WORKING and self.pending is not None)
        request = self._decide(moment, actor, "approved", note)
        old = self.due
        self.due = request.new_due
        data = {"extension": request.id, "old_due_date": self.iso(old), "new_due_date": self.iso(self.due)}
        self._act(moment, A["APPROVE_EXTENSION"], actor, note, data)
        self.cursor = moment

    def reject_extension(self, moment, actor, reason):
        self._begin(moment)
        self._guard(self.status in WORKING and self.pending is not None)
        request = self._decide(moment, actor, "rejected", reason)
        data = {"extension": request.id, "requested_due_date": self.iso(request.new_due)}
        self._act(moment, A["REJECT_EXTENSION"], actor, reason, data)

    def resolve(self, moment, actor, outcome, note):
        day = self._begin(moment)
        self._guard(self.status == IN_PROGRESS)
        withdrawn = self.pending is not None
        if withdrawn:
            self.pending.status, self.pending.decided_at = "withdrawn", moment
            self.pending = None
        limits = self.limits
        again = bool(self.calls)
        self.outcome = outcome
        self.resolved_at = moment
        self.followed_up_at = None
        self.follow_up_due = self.days.add(day, limits.follow_up_again_days if again else limits.follow_up_days)
        self.verify_due = max(self.days.add(day, limits.verify_days), self.follow_up_due)
        self.progress_due = None
        data = {
            "outcome": outcome,
            "on_time": self.due is None or day <= self.due,
            "follow_up_due_date": self.iso(self.follow_up_due),
            "verify_due_date": self.iso(self.verify_due),
            "extension_withdrawn": withdrawn,
            **self._answer(day, moment),
        }
        self._act(moment, A["RESOLVE"], actor, note, data, RESOLVED)

    def _rework(self, day, moment):
        self.outcome = ""
        self.reopened_at = moment
        self.verify_due = self.follow_up_due = self.followed_up_at = None
        self.due = max(self.due, self.days.add(day, self.limits.rework_days))
        self.progress_due = day + self.limits.progress_every_days

    def follow_up(self, moment, actor, channel, contact, verdict, note, caused_by_handling=False):
        day = self._begin(moment)
        self._guard(self.status == RESOLVED and self.followed_up_at is None)
        reached = channel != "none"
        rework = reached and verdict == UNSATISFIED and bool(caused_by_handling)
        round_ = len(self.calls) + 1
        data = {"round": round_, "channel": channel, "verdict": verdict, "rework": rework}
        target = None
        if rework:
            data["previous_outcome"] = self.outcome
            self._rework(day, moment)
            target = IN_PROGRESS
            data["due_date"] = self.iso(self.due)
        elif reached:
            self.followed_up_at = moment
        self.calls.append((moment, verdict if reached else ""))
        call = (round_, channel, contact if reached else "", day, verdict if reached else "", note, rework, actor)
        self._act(moment, A["FOLLOW_UP"], actor, note, data, target, attachment=call)
        if rework:
            self.cursor = moment

    def called_back(self) -> bool:
        return self.status == RESOLVED and any(moment >= self.resolved_at for moment, _v in self.calls)

    def close(self, moment, actor, note=""):
        day = self._begin(moment)
        self._guard(self.called_back())
        verdict = [v for moment_, v in self.calls if moment_ >= self.resolved_at][-1]
        self.satisfaction = verdict or NOT_REACHED
        self.closed_at = moment
        self.verify_due = self.follow_up_due = None
        on_time = self.due is None or day <= self.due
        data = {"satisfaction": self.satisfaction, "on_time": on_time, "due_date": self.iso(self.due)}
        self._act(moment, A["CLOSE"], actor, note, data, CLOSED)

    def reopen(self, moment, actor, reason):
        day = self._begin(moment)
        self._guard(self.status == RESOLVED)
        previous = self.outcome
        self._rework(day, moment)
        data = {"previous_outcome": previous, "due_date": self.iso(self.due)}
        self._act(moment, A["REOPEN"], actor, reason, data, IN_PROGRESS)
        self.cursor = moment

    def cancel(self, moment, actor, reason):
        self._begin(moment)
        self._guard(self.status == REGISTERED)
        self.cancelled_at = moment
        self._act(moment, A["CANCEL"], actor, reason, {}, CANCELLED)

    def escalate(self, moment, actor, note):
        self._begin(moment)
        self._guard(self.status not in (CLOSED, CANCELLED) and self.escalated_at is None)
        self.escalated_at = moment
        self._act(moment, A["ESCALATE"], actor, note, {})
