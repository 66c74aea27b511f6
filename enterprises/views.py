from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ServiceError
from core.forms import style_form
from core.shortcuts import get_restricted_or_404

from . import services
from .models import Campaign, HelpPlan

PAGE_SIZE = 25


class HelpPlanForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Plan (PDF or Word)"))
    summary = forms.CharField(
        label=gettext_lazy("Plan summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


@login_required
def help_plan(request):
    """帮扶方案: the unit files its plan for the current campaign."""
    campaign = Campaign.objects.current()
    plan = HelpPlan.objects.restrict(request.user).filter(campaign=campaign, unit_id=request.user.unit_id).first()
    form = HelpPlanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and campaign and form.is_valid():
        try:
            services.help_plan_submit(
                actor=request.user,
                campaign=campaign,
                upload=form.cleaned_data["file"],
                summary=form.cleaned_data["summary"],
            )
        except ServiceError as error:
            form.add_error("file" if error.field == "file" else None, error.message)
        else:
            messages.success(request, _("The help plan is filed."))
            return redirect("help-plan")
    return render(request, "enterprises/help_plan.html", {"campaign": campaign, "plan": plan, "form": form})


@login_required
def help_plan_file(request, pk: int):
    plan = get_restricted_or_404(HelpPlan.objects.restrict(request.user).exclude(file=""), pk=pk)
    return FileResponse(plan.file.open("rb"), as_attachment=True, filename=plan.file.name.rsplit("/", 1)[-1])


class PreferencesForm(forms.Form):
    # Plain text: the e-mail rule (enterprises.rules) judges it, in its own words.
    email = forms.CharField(label=gettext_lazy("E-mail"), required=False, widget=forms.EmailInput)
    email_notifications = forms.BooleanField(
        label=gettext_lazy("Send me reminders by e-mail too (the inbox always has them)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"email": user.email, "email_notifications": user.email_notifications}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(actor=user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("preferences")
    return render(request, "core/preferences.html", {"form": form})
