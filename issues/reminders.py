"""The reminder sweep (DOMAIN.md, Reminders).

Driven by the database, not the queue: each run asks the ledger what needs
telling today, inserts one Reminder row per (recipient, kind, item, day) —
a unique constraint makes a second insert of the same row a no-op, whatever
retries, beat ticks or second workers do — and then gathers every reminder
not yet in a message into one Digest per recipient. A run that dies between
the two steps leaves its rows undigested; the next run, of any worker,
picks them up. Each question is one query on the indexed deadline columns,
so a run costs what it has to tell, not the size of the ledger.
"""

import datetime
import time
import uuid
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.utils import translation
from django.utils.translation import gettext as _

from core import calendar, clock, outbox
from enterprises.models import AssignmentUnit, Campaign, HelpPlan, HelpUnit, Official
from visits.models import Visit
from visits.selectors import visit_due_since

from . import channels, deadlines, ladder
from .choices import ExtensionStatus
from .models import Delivery, Digest, ExtensionRequest, Issue, Reminder
from .recipients import Recipients

Kind = Reminder.Kind
BATCH = 5000


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def collect(today: datetime.date) -> list[tuple]:
    """Everything to tell today: (recipient, kind, item key, issue, enterprise, text)."""
    campaign = Campaign.objects.current()
    who = Recipients(campaign)
    found: list[tuple] = []
    working_day = calendar.is_working_day(today)
    fields = ("pk", "number", "title", "enterprise_id", "enterprise__region__path", "responsible_unit_id", "due_date")

    if working_day:
        soon = Issue.objects.filter(deadlines.due_soon(today))
        for pk, number, title, enterprise_id, _path, unit_id, due in soon.values_list(*fields):
            text = _("%(n)s %(t)s is due on %(d)s") % {"n": number, "t": title, "d": due}
            found += [
                (r, Kind.DUE_SOON, f"issue:{pk}", pk, enterprise_id, text) for r in who.unit(unit_id, enterprise_id)
            ]

        # Supervisors hear of overdue work through the 督办 ladder's notices
        # (issues.ladder), told once per rung, not daily.
        late = Issue.objects.filter(deadlines.overdue(today))
        for pk, number, title, enterprise_id, _path, unit_id, due in late.values_list(*fields):
            text = _("%(n)s %(t)s is overdue since %(d)s") % {"n": number, "t": title, "d": due}
            found += [
                (r, Kind.OVERDUE, f"issue:{pk}", pk, enterprise_id, text) for r in who.unit(unit_id, enterprise_id)
            ]

        waiting_since = calendar.subtract_working_days(today, _setting("ZOUFANG_EXTENSION_WAITING_WORKING_DAYS", 2))
        for pk, number, title, enterprise_id, path in ExtensionRequest.objects.filter(
            status=ExtensionStatus.PENDING, requested_at__date__lte=waiting_since
        ).values_list(
            "issue_id", "issue__number", "issue__title", "issue__enterprise_id", "issue__enterprise__region__path"
        ):
            text = _("%(n)s %(t)s: an extension request waits for a decision") % {"n": number, "t": title}
            found += [
                (r, Kind.EXTENSION_WAITING, f"issue:{pk}", pk, enterprise_id, text) for r in who.supervisors(path)
            ]

        for pk, number, title, enterprise_id, _path, unit_id, _due in Issue.objects.filter(
            deadlines.answer_late(today)
        ).values_list(*fields):
            text = _("%(n)s %(t)s: the enterprise is waiting for a first answer") % {"n": number, "t": title}
            found += [
                (r, Kind.ANSWER_LATE, f"issue:{pk}", pk, enterprise_id, text) for r in who.unit(unit_id, enterprise_id)
            ]

        for pk, number, title, enterprise_id, _path, unit_id, _due in Issue.objects.filter(
            deadlines.progress_due(today)
        ).values_list(*fields):
            text = _("%(n)s %(t)s: this month's progress note is due") % {"n": number, "t": title}
            found += [
                (r, Kind.PROGRESS_DUE, f"issue:{pk}", pk, enterprise_id, text) for r in who.unit(unit_id, enterprise_id)
            ]

        calls = Issue.objects.filter(deadlines.follow_up_waiting(today))
        for pk, number, title, enterprise_id, path, _unit, _due in calls.values_list(*fields):
            text = _("%(n)s %(t)s is resolved: call the enterprise back") % {"n": number, "t": title}
            found += [
                (r, Kind.FOLLOW_UP_WAITING, f"issue:{pk}", pk, enterprise_id, text) for r in who.supervisors(path)
            ]

        verify = Issue.objects.filter(deadlines.verification_overdue(today))
        for pk, number, title, enterprise_id, path, _unit, _due in verify.values_list(*fields):
            text = _("%(n)s %(t)s waits for verification") % {"n": number, "t": title}
            found += [(r, Kind.VERIFY_WAITING, f"issue:{pk}", pk, enterprise_id, text) for r in who.supervisors(path)]

    if campaign is not None and campaign.start_date <= today:
        every = campaign.visit_every_days
        if (today - campaign.start_date).days >= every:
            since = visit_due_since(campaign, today)
            last = (
                Visit.objects.filter(
                    enterprise=OuterRef("assignment__enterprise"), participant_rows__unit=OuterRef("unit")
                )
                .values("enterprise")
                .annotate(last=Max("date"))
                .values("last")[:1]
            )
            quiet = (
                AssignmentUnit.objects.filter(assignment__campaign=campaign)
                .exclude(
                    Exists(
                        Visit.objects.filter(
                            enterprise=OuterRef("assignment__enterprise"),
                            participant_rows__unit=OuterRef("unit"),
                            date__gte=since,
                        )
                    )
                )
                .annotate(last=last)
                .values_list("unit_id", "assignment__enterprise_id", "assignment__enterprise__name", "last")
            )
            for unit_id, enterprise_id, name, last_visit in quiet:
                text = (
                    _("%(e)s: last visited by your unit on %(d)s") % {"e": name, "d": last_visit}
                    if last_visit
                    else _("%(e)s: not yet visited by your unit in this campaign") % {"e": name}
                )
                key = f"enterprise:{enterprise_id}"
                found += [
                    (r, Kind.NOT_VISITED, key, None, enterprise_id, text) for r in who.unit(unit_id, enterprise_id)
                ]

        if campaign.plan_due_date and campaign.plan_due_date < today:
            filed = HelpPlan.objects.filter(campaign=campaign, unit=OuterRef("unit"), submitted_at__isnull=False)
            late_units = (
                AssignmentUnit.objects.filter(assignment__campaign=campaign)
                .exclude(Exists(filed))
                .values_list("unit_id", flat=True)
                .distinct()
            )
            text = _("Your unit's help plan for %(c)s was due on %(d)s") % {
                "c": campaign.name,
                "d": campaign.plan_due_date,
            }
            for unit_id in late_units:
                key = f"plan:{campaign.pk}:{unit_id}"
                found += [(r, Kind.PLAN_LATE, key, None, None, text) for r in who.unit(unit_id)]
    return found


def record(found: list[tuple], today: datetime.date, run: uuid.UUID) -> int:
    """Insert today's reminders; the ones already there are skipped by the
    unique constraint. Returns how many rows this run added."""
    now = clock.now()
    if connection.vendor == "postgresql":
        _insert_arrays(found, today, run, now)
        return Reminder.objects.filter(run=run).count()
    rows = [
        Reminder(
            recipient_id=recipient,
            kind=kind,
            item_key=key,
            issue_id=issue,
            enterprise_id=enterprise,
            text=text[:300],
            day=today,
            run=run,
            created_at=now,
        )
        for recipient, kind, key, issue, enterprise, text in found
    ]
    Reminder.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return Reminder.objects.filter(run=run).count()


def _insert_arrays(found: list[tuple], today: datetime.date, run: uuid.UUID, now) -> None:
    """record on PostgreSQL: each column as one array, unnested into rows,
    BATCH at a time; a province's 800,000 reminders took 77 s as model
    objects through bulk_create (62 s when all were there already)."""
    table = Reminder._meta.db_table
    sql = (
        f"INSERT INTO {table} (recipient_id, kind, item_key, issue_id, enterprise_id, text, day, run, created_at) "  # nosec B608
        "SELECT r, k, i, s, e, t, %s, %s::uuid, %s FROM unnest(%s::integer[], %s::varchar[], %s::varchar[], "
        "%s::integer[], %s::integer[], %s::varchar[]) AS f(r, k, i, s, e, t) "
        "ON CONFLICT (recipient_id, kind, item_key, day) DO NOTHING"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(found), BATCH):
            chunk = found[start : start + BATCH]
            recipients, kinds, keys, issues, enterprises, texts = zip(*chunk, strict=True)
            columns = [list(recipients), [str(k) for k in kinds], list(keys), list(issues), list(enterprises)]
            cursor.execute(sql, [today, str(run), now, *columns, [text[:300] for text in texts]])


KIND_ORDER = [
    Kind.CRITICISM,
    Kind.SUPERVISE_NOTICE,
    Kind.SUPERVISE,
    Kind.OVERDUE,
    Kind.REOPENED,
    Kind.RAISED_AGAIN,
    Kind.ASSIGNED,
    Kind.DUE_SOON,
    Kind.RETURNED,
    Kind.EXTENSION_WAITING,
    Kind.EXTENSION_DECIDED,
    Kind.ANSWER_LATE,
    Kind.PROGRESS_DUE,
    Kind.FOLLOW_UP_WAITING,
    Kind.VERIFY_WAITING,
    Kind.NOT_VISITED,
    Kind.PLAN_LATE,
]


def gather() -> list[Digest]:
    """Put every reminder not yet in a message into one digest per person.
    Rows are claimed with SKIP LOCKED, so two runs at once share the work and
    no reminder lands in two digests."""
    with transaction.atomic():
        claimed = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(digest__isnull=True)
            .order_by("recipient_id", "id")
            .values_list("pk", "recipient_id", "kind", "issue_id", "enterprise_id", "text")
        )
        if not claimed:
            return []
        by_person: dict[int, list] = defaultdict(list)
        for row in claimed:
            by_person[row[1]].append(row)
        now = clock.now()
        labels = dict(Kind.choices)
        digests = []
        for recipient, rows in by_person.items():
            rows.sort(key=lambda row: KIND_ORDER.index(row[2]))
            counts = defaultdict(int)
            for row in rows:
                counts[row[2]] += 1
            subject = _("Zoufang reminders: %(parts)s") % {
                "parts": "、".join(f"{labels[kind]} {counts[kind]}" for kind in KIND_ORDER if counts[kind])
            }
            items = [
                {"kind": kind, "label": str(labels[kind]), "text": text, "issue": issue, "enterprise": enterprise}
                for _pk, _r, kind, issue, enterprise, text in rows
            ]
            digests.append(Digest(recipient_id=recipient, created_at=now, subject=subject[:200], items=items))
        Digest.objects.bulk_create(digests)
        _join_digests(claimed, digests)
        deliveries = _deliveries(digests, now)
        outbox.send_many("issues.tasks.deliver", [(delivery.pk,) for delivery in deliveries])
    return digests


def _join_digests(claimed: list[tuple], digests: list[Digest]) -> None:
    """Each claimed reminder joins its recipient's new digest: one UPDATE per
    5,000 rows, not one per person. On PostgreSQL the pairs (reminder,
    digest) are unnested from two arrays; a subquery per row choosing among a
    province's 28,000 new digests took most of a 94 s gather."""
    if connection.vendor == "postgresql":
        digest_of = {digest.recipient_id: digest.pk for digest in digests}
        table = Reminder._meta.db_table
        sql = (
            f"UPDATE {table} AS r SET digest_id = u.d "  # nosec B608 (fixed name)
            "FROM unnest(%s::bigint[], %s::bigint[]) AS u(id, d) WHERE r.id = u.id"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(claimed), BATCH):
                chunk = claimed[start : start + BATCH]
                cursor.execute(sql, [[row[0] for row in chunk], [digest_of[row[1]] for row in chunk]])
        return
    new_digest = Digest.objects.filter(pk__in=[d.pk for d in digests], recipient=OuterRef("recipient")).values("pk")
    ids = [row[0] for row in claimed]
    for start in range(0, len(ids), BATCH):
        Reminder.objects.filter(pk__in=ids[start : start + BATCH]).update(digest=Subquery(new_digest[:1]))


def _link(item: dict) -> str:
    site = settings.ZOUFANG_SITE_URL
    if item.get("issue"):
        return f"{site}/issues/{item['issue']}/"
    if item.get("enterprise"):
        return f"{site}/enterprises/{item['enterprise']}/"
    return f"{site}/"


def _deliveries(digests: list[Digest], now) -> list[Delivery]:
    """E-mail for each person who has an address and wants mail; one message
    per unit robot with the items of that unit's people (each item once)."""
    people = {
        pk: (email, wants, unit_id)
        for pk, email, wants, unit_id in Official.objects.filter(pk__in=[d.recipient_id for d in digests]).values_list(
            "pk", "email", "email_notifications", "unit_id"
        )
    }
    robots = {
        unit.pk: unit
        for unit in HelpUnit.objects.filter(pk__in={p[2] for p in people.values() if p[2]}, is_active=True).exclude(
            webhook_url=""
        )
    }
    rows, per_unit = [], defaultdict(dict)
    for digest in digests:
        email, wants, unit_id = people[digest.recipient_id]
        lines = [f"- [{item['label']}] {item['text']} {_link(item)}" for item in digest.items]
        if email and wants:
            body = "\n".join(
                [_("Hello, these need your attention:"), "", *lines, "", settings.ZOUFANG_SITE_URL + "/issues/inbox/"]
            )
            rows.append(
                Delivery(
                    channel=Delivery.Channel.EMAIL,
                    digest=digest,
                    target=email,
                    subject=digest.subject,
                    body=body,
                    created_at=now,
                )
            )
        if unit_id in robots:
            for item in digest.items:
                per_unit[unit_id][(item["kind"], item.get("issue"), item.get("enterprise"), item["text"])] = item
    for unit_id, items in per_unit.items():
        unit = robots[unit_id]
        lines = [f"- **{item['label']}** [{item['text']}]({_link(item)})" for item in items.values()]
        subject = _("Zoufang reminders for %(u)s") % {"u": unit.name}
        rows.append(
            Delivery(
                channel=Delivery.Channel.WEBHOOK,
                unit=unit,
                target=unit.webhook_url,
                subject=subject[:200],
                body="\n".join([f"### {subject}", *lines]),
                created_at=now,
            )
        )
    return Delivery.objects.bulk_create(rows)


def resend_lost(now) -> int:
    """Deliveries still pending an hour after they were due (the task was
    handed to a broker that then lost it) are queued again; the claim in
    `channels.attempt` keeps a late twin from sending twice."""
    lost = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, created_at__lt=now - datetime.timedelta(hours=1))
        .exclude(pk__in=_waiting_deliveries())
        .values_list("pk", flat=True)[:1000]
    )
    outbox.send_many("issues.tasks.deliver", [(pk,) for pk in lost])
    return len(lost)


def _waiting_deliveries():
    """Deliveries with a try still waiting in the outbox (a back-off)."""
    from core.models import OutboxMessage

    return [
        args[0]
        for args in OutboxMessage.objects.filter(task="issues.tasks.deliver", sent_at__isnull=True).values_list(
            "args", flat=True
        )
    ]


def sweep(today: datetime.date | None = None) -> dict:
    today = today or clock.today()
    run = uuid.uuid4()
    with translation.override(settings.LANGUAGE_CODE):  # messages in the interface's language
        # The ladder's notices first: their reminders join this run's digests.
        issued = ladder.climb(today, run=run)
        found = collect(today)
        added = record(found, today, run)
        if settings.ZOUFANG_SWEEP_PAUSE_AFTER_RECORD:
            time.sleep(settings.ZOUFANG_SWEEP_PAUSE_AFTER_RECORD)
        digests = gather()
    interrupted = channels.settle_interrupted(clock.now())
    resent = resend_lost(clock.now())
    return {
        "date": today.isoformat(),
        "notices": len(issued),
        "found": len(found),
        "added": added,
        "digests": len(digests),
        "interrupted": interrupted,
        "resent": resent,
    }
