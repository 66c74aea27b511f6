from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core import clock
from core.forms import style_form
from enterprises.models import Campaign
from enterprises.selectors import unit_assignments
from issues import deadlines
from issues.choices import Status
from issues.models import Issue
from issues.selectors import issue_list
from visits.selectors import visit_list


@login_required
def my_work(request):
    """My work: the unit's enterprises, what waits for sign-for, open issues
    by deadline, and my recent visits."""
    user = request.user
    today = clock.today()
    campaign = Campaign.objects.current()
    issues = issue_list(user=user)
    unit_id = user.unit_id
    mine = issues.filter(pk__in=Issue.objects.handled_by_unit(unit_id).values("pk")) if unit_id else issues.none()
    to_sign = list(
        mine.filter(status=Status.ASSIGNED, responsible_unit_id=unit_id).order_by("accept_due_date", "id")[:50]
    )
    open_issues = list(mine.filter(deadlines.WORKING).order_by("due_date", "id")[:50])
    registered = list(
        issues.filter(status=Status.REGISTERED, registered_by__unit_id=unit_id).order_by("-registered_at")[:20]
        if unit_id
        else []
    )
    deadlines.mark(to_sign + open_issues, today)
    assignments = list(unit_assignments(user=user, campaign=campaign)[:200])
    if campaign:
        for assignment in assignments:
            last = assignment.last_visit
            assignment.not_visited = last is None or (today - last).days > campaign.visit_every_days
    context = {
        "campaign": campaign,
        "assignments": assignments,
        "to_sign": to_sign,
        "open_issues": open_issues,
        "registered": registered,
        "recent_visits": list(visit_list(user=user).filter(participant_rows__official=user)[:10]),
        "today": today,
        "due_soon_days": deadlines.due_soon_days(),
    }
    return render(request, "core/my_work.html", context)


class PreferencesForm(forms.Form):
    email = forms.EmailField(label=_lazy("E-mail"), required=False)
    email_notifications = forms.BooleanField(
        label=_lazy("Send me reminders by e-mail too (the inbox always has them)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


@login_required
def preferences(request):
    from enterprises.services import preferences_save

    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"email": user.email, "email_notifications": user.email_notifications}
    )
    if request.method == "POST" and form.is_valid():
        preferences_save(actor=user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("preferences")
    return render(request, "core/preferences.html", {"form": form})
