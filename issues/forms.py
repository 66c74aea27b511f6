"""One small form per lifecycle action. They check shapes only; the rules
(who, when, what is required) are the service's, shared with the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, style_form
from enterprises.models import Campaign, HelpUnit, Region

from .choices import Outcome, Satisfaction


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        style_form(self)


def _text(label, rows=2):
    # Blank text reaches the service, which says what is missing.
    return forms.CharField(label=label, required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": rows}))


class AssignForm(ActionForm):
    unit = forms.ModelChoiceField(queryset=HelpUnit.objects.none(), label=_("Responsible unit"))
    co_units = forms.ModelMultipleChoiceField(
        queryset=HelpUnit.objects.none(), label=_("Co-handling units"), required=False
    )
    due_date = forms.DateField(
        label=_("Resolve by (blank: the category's default)"), required=False, widget=DateInput()
    )
    note = _text(_("Note"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = HelpUnit.objects.restrict(self.user).filter(is_active=True).order_by("name")
        self.fields["unit"].queryset = units
        self.fields["co_units"].queryset = units


class NoteForm(ActionForm):
    note = _text(_("Note"))


class ReasonForm(ActionForm):
    reason = _text(_("Reason"))


class ExtensionForm(ActionForm):
    new_due_date = forms.DateField(label=_("New due date"), widget=DateInput())
    reason = _text(_("Reason"))


class ResolveForm(ActionForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = _text(_("Explanation"), rows=3)


class CloseForm(ActionForm):
    satisfaction = forms.ChoiceField(label=_("Enterprise's satisfaction"), choices=Satisfaction.choices)
    note = _text(_("Verification note"))


ACTION_FORMS = {
    "assign": AssignForm,
    "accept": NoteForm,
    "return": ReasonForm,
    "feedback": NoteForm,
    "request_extension": ExtensionForm,
    "approve_extension": NoteForm,
    "reject_extension": ReasonForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "reopen": ReasonForm,
    "cancel": ReasonForm,
    "escalate": NoteForm,
}


class DashboardForm(forms.Form):
    """The dashboard's choices: a campaign, a region within the scope, a
    period of registration and the trend's step."""

    campaign = forms.ModelChoiceField(queryset=Campaign.objects.all(), label=_("Campaign"), required=False)
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("Region"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    trend = forms.ChoiceField(
        choices=[("month", _("By month")), ("week", _("By week"))], label=_("Trend"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from enterprises.scope import scope_region

        regions = Region.objects.restrict(user)
        if own := scope_region(user):
            regions = regions.subtree(own)  # a supervisor picks within their region
        self.fields["region"].queryset = regions.order_by("path")
        self.fields["region"].label_from_instance = lambda region: "\u3000" * region.depth + region.name
        self.fields["region"].empty_label = _("All in my scope")
        self.fields["campaign"].empty_label = _("All campaigns")
        style_form(self)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data
