"""The peer's data, shaped like Zoufang's ledger: TICKETS tickets with about
five follow-ups each (the first opens the ticket, the later ones change its
status or comment), in as many queues as Zoufang has units, assigned among
staff users, over three years, titles in Chinese drawn from the same words
the benchmark searches for. Queues and users through the ORM, tickets,
follow-ups and their changes with COPY (a million rows in a minute).

    cd benchmarks/peer && python -m peersite.load --tickets 200000 --queues 300 \
        --users 1000 --seed 13 --password PW
"""

import argparse
import datetime
import io
import json
import os
import random
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import Queue, UserSettings  # noqa: E402

# Words of the kind enterprises raise; 贷款 and 土地审批 are what the suite searches for.
TOPICS = [
    "贷款",
    "土地审批",
    "用地",
    "用工",
    "电力增容",
    "环评",
    "融资",
    "税费",
    "物流",
    "人才引进",
    "道路施工",
    "排污许可",
]
OPEN, REOPENED, RESOLVED, CLOSED = 1, 2, 3, 4
STATUSES = [(OPEN, 15), (REOPENED, 2), (RESOLVED, 8), (CLOSED, 75)]
USERNAME = "peer-admin"


def line(row) -> str:
    return "\t".join("\\N" if value is None else str(value) for value in row) + "\n"


def copy(table, columns, rows):
    buffer = rows if isinstance(rows, io.StringIO) else io.StringIO("".join(line(row) for row in rows))
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_from(buffer, table, columns=columns)


def weighted(rng, pairs):
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def build(*, tickets, queues, users, seed, password):
    rng = random.Random(seed)  # nosec B311  # a repeatable benchmark ledger, not a secret
    hashed = make_password(password)
    admin = User.objects.create(
        username=USERNAME, email="peer-admin@example.org", is_staff=True, is_superuser=True, password=hashed
    )
    staff = User.objects.bulk_create(
        [
            User(username=f"staff{i}", email=f"staff{i}@example.org", is_staff=True, password=hashed)
            for i in range(users)
        ]
    )
    UserSettings.objects.bulk_create([UserSettings(user=user) for user in staff])
    queue_rows = Queue.objects.bulk_create(
        [Queue(title=f"单位{i}", slug=f"u{i}", allow_public_submission=False) for i in range(queues)]
    )
    queue_ids, staff_ids = [q.pk for q in queue_rows], [u.pk for u in staff]
    end = timezone.now()
    span = 3 * 365 * 24 * 3600
    # Written as COPY text while the tickets are made: a million tuples would not fit comfortably.
    followups, changes = io.StringIO(), io.StringIO()
    counts = {"followups": 0}

    def ticket_rows():
        followup_id = change_id = 0
        for ticket_id in range(1, tickets + 1):
            created = end - datetime.timedelta(seconds=rng.randrange(span))
            status = weighted(rng, STATUSES)
            topic = rng.choice(TOPICS)
            assigned = rng.choice(staff_ids) if rng.random() < 0.9 else None
            n_followups = max(1, round(rng.gauss(5, 1.5)))
            moment = created
            for k in range(n_followups):
                followup_id += 1
                moment = moment + datetime.timedelta(hours=rng.randint(1, 240))
                new_status = status if k == n_followups - 1 and k else (OPEN if k == 0 else None)
                title = "Ticket Opened" if k == 0 else ("Status changed" if new_status else "Comment")
                followups.write(
                    line(
                        (
                            followup_id,
                            moment.isoformat(),
                            title,
                            f"第{k + 1}次跟进：关于{topic}的办理情况。",
                            "t",
                            new_status,
                            ticket_id,
                            assigned or admin.pk,
                        )
                    )
                )
                if new_status and k:
                    change_id += 1
                    changes.write(line((change_id, "Status", "Open", str(new_status), followup_id)))
            counts["followups"] = followup_id
            yield (
                ticket_id,
                f"企业{rng.randrange(100_000)}反映{topic}问题",
                created.isoformat(),
                moment.isoformat(),
                f"contact{ticket_id}@example.org",
                status,
                "f",
                f"企业反映{topic}方面的困难，请协调解决。",
                "已办结。" if status in (RESOLVED, CLOSED) else "",
                rng.choice([1, 2, 3, 3, 3, 4, 5]),
                (created + datetime.timedelta(days=rng.randint(5, 60))).isoformat(),
                assigned,
                rng.choice(queue_ids),
                uuid.UUID(int=rng.getrandbits(128), version=4),
            )

    with transaction.atomic():
        copy(
            "helpdesk_ticket",
            [
                "id",
                "title",
                "created",
                "modified",
                "submitter_email",
                "status",
                "on_hold",
                "description",
                "resolution",
                "priority",
                "due_date",
                "assigned_to_id",
                "queue_id",
                "secret_key",
            ],
            ticket_rows(),
        )
        copy(
            "helpdesk_followup",
            ["id", "date", "title", "comment", "public", "new_status", "ticket_id", "user_id"],
            followups,
        )
        copy("helpdesk_ticketchange", ["id", "field", "old_value", "new_value", "followup_id"], changes)
        with connection.cursor() as cursor:
            for table in ("helpdesk_ticket", "helpdesk_followup", "helpdesk_ticketchange"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # nosec B608  # fixed table names
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tickets": tickets, "followups": counts["followups"], "queues": queues, "users": users + 1}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--queues", type=int, default=300)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--password", default="load-password")
    args = parser.parse_args()
    print(
        json.dumps(
            build(tickets=args.tickets, queues=args.queues, users=args.users, seed=args.seed, password=args.password)
        )
    )


if __name__ == "__main__":
    main()
