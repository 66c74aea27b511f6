"""一企一档 (desk.profile, /enterprises/<pk>/profile/): the enterprise's
printable profile — its team with phones, its visits and their situation
figures as a trend, its issues, its photos — within the user's scope, at a
fixed number of queries."""

import datetime
from decimal import Decimal

from django.urls import reverse

from desk import profile
from enterprises.models import AssignmentUnit
from visits import services as visit_services
from visits.selectors import situation_by_month

from .. import samples
from ..samples import upload

D = datetime.date


def visit(world, day, *, output=None, revenue=None, headcount=None, photos=0, summary="了解生产经营情况"):
    return visit_services.visit_record(
        actor=world.official_a,
        enterprise=world.enterprise_a,
        date=day,
        form="onsite",
        purposes=["situation"],
        summary=summary,
        participants=[world.official_a, world.official_a2],
        snapshot=visit_services.Snapshot(output_value=output, revenue=revenue, headcount=headcount),
        files=[upload(f"现场{n}.png", samples.PNG) for n in range(photos)]
        + [upload("纪要.pdf", samples.PDF)],  # a document: not among the photos
    )


def url(enterprise):
    return reverse("enterprise-profile", args=[enterprise.pk])


def test_the_profile_shows_the_team_phones_the_figures_the_issues_and_the_photos(client, world, make_issue):
    w = world
    w.official_a2.phone = "13905790123"
    w.official_a2.save(update_fields=["phone"])
    AssignmentUnit.objects.filter(assignment=w.assignment_a, unit=w.unit_a2).update(responsible=w.official_a2)
    first = visit(w, D(2026, 4, 8), output=Decimal("1234.50"), revenue=Decimal("980.25"), headcount=312, photos=1)
    visit(w, D(2026, 5, 12), output=Decimal("1500.00"), headcount=330, summary="回访用工情况")
    issue = make_issue("assigned")
    client.force_login(w.official_a)

    # Reached from the enterprise's page.
    assert url(w.enterprise_a) in client.get(reverse("enterprise-detail", args=[w.enterprise_a.pk])).content.decode()
    response = client.get(url(w.enterprise_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "13905790123" in page and w.unit_a2.name in page and w.official_a2.name in page
    # The snapshot numbers, month by month, in the table and on the bars.
    for figure in ("1234.50", "980.25", "312", "1500.00", "330"):
        assert figure in page, figure
    assert page.count('class="profile-bar"') == 2 + 1 + 2  # output, revenue (April only), headcount
    assert "回访用工情况" in page
    # The issue: number, state, responsible unit, due date.
    assert issue.number in page and w.unit_a.name in page and issue.due_date.strftime("%Y-%m-%d") in page
    # The photo, through the access-checked download, and not the document.
    photo = first.attachments.get(kind="photo")
    assert reverse("attachment", args=[photo.pk]) in page
    document = first.attachments.get(kind="document")
    assert reverse("attachment", args=[document.pk]) not in page
    assert "media/" not in page  # never the storage path
    assert "/static/css/profile.css" in page  # the A4 print sheet


def test_a_withdrawn_visits_photos_leave_the_profile(client, world):
    """A visit recorded for the wrong enterprise is withdrawn: its photos of
    another factory must not stay on this one's 一企一档."""
    from issues import intake

    w = world
    wrong = visit(w, D(2026, 4, 8), photos=1)
    photo = wrong.attachments.get(kind="photo")
    client.force_login(w.official_a)
    assert reverse("attachment", args=[photo.pk]) in client.get(url(w.enterprise_a)).content.decode()
    intake.visit_withdraw(actor=w.official_a, visit_id=wrong.pk, reason="录错企业", expected_version=1)
    assert reverse("attachment", args=[photo.pk]) not in client.get(url(w.enterprise_a)).content.decode()


def test_an_enterprise_out_of_scope_or_missing_is_404(client, world):
    client.force_login(world.official_b)
    assert client.get(url(world.enterprise_a)).status_code == 404
    assert client.get(reverse("enterprise-profile", args=[987654321])).status_code == 404
    client.force_login(world.supervisor_b)
    assert client.get(url(world.enterprise_a)).status_code == 404
    assert client.get(url(world.enterprise_b)).status_code == 200


def test_the_query_count_does_not_grow_with_the_rows(client, world, make_issue, django_assert_max_num_queries):
    client.force_login(world.official_a)
    visit(world, D(2026, 1, 5), output=Decimal("100"), photos=1)
    make_issue("in_progress")
    client.get(url(world.enterprise_a))
    with django_assert_max_num_queries(14) as few:  # 12 today, whatever the rows
        assert client.get(url(world.enterprise_a)).status_code == 200
    for month in range(2, 8):
        visit(world, D(2026, month % 5 + 1, 20), output=Decimal(month * 100), headcount=month, photos=2)
        make_issue("assigned")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(world.enterprise_a))
    assert response.content.decode().count('class="profile-photo"') == 13


def test_the_trend_takes_each_months_latest_figure():
    class V:
        def __init__(self, pk, day, output=None, revenue=None, headcount=None):
            self.pk, self.date = pk, day
            self.output_value, self.revenue, self.headcount = output, revenue, headcount

    periods = situation_by_month(
        [
            V(3, D(2026, 3, 20), output=Decimal("90")),
            V(1, D(2026, 3, 2), output=Decimal("80"), headcount=40),
            V(2, D(2026, 4, 1)),  # no figure: no month of its own
            V(4, D(2026, 5, 9), revenue=Decimal("12.5")),
        ]
    )
    assert [(p.month, p.output_value, p.revenue, p.headcount, p.visits) for p in periods] == [
        (D(2026, 3, 1), Decimal("90"), None, 40, 2),
        (D(2026, 5, 1), None, Decimal("12.5"), None, 1),
    ]
    chart = profile.chart(periods, "output_value")
    # 90 is the tallest bar; May has no output figure, so no bar.
    assert [(bar.height, bar.value) for bar in chart.bars] == [(profile.PLOT_HEIGHT, Decimal("90")), (0, None)]
    assert profile.chart(periods, "headcount").bars[0].height == profile.PLOT_HEIGHT
    assert profile.chart([], "revenue") is None
