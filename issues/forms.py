"""One small form per lifecycle action, generated from issues.actions. They
check shapes only; the rules (who, when, what is required) are the
service's, shared with the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from core.forms import DateInput, MonthInput, style_form
from core.ids import parse_id
from enterprises.models import Campaign, HelpUnit, Region
from enterprises.selectors import assignable_units

from . import common, services
from .actions import CHOICES, NOTE_MAX, IssueAction, Kind
from .bulletins import bulletin_regions
from .choices import AnswerKind, Category, Priority
from .models import CommonProblem, Issue, Meeting


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several photos or documents; judged by content in the service (and
    here, so a bad file is named beside the other mistakes)."""

    def __init__(self, **kwargs):
        from core.uploads import EVIDENCE_FILES

        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_FILES.accept}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        try:
            services.check_evidence(files)
        except ServiceError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        return files


class ActionForm(forms.Form):
    """The form of one lifecycle action, built from its row in issues.actions."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, action: IssueAction, user=None, **kwargs):
        kwargs.setdefault("prefix", action.name)
        super().__init__(*args, **kwargs)
        self.action, self.user = action, user
        for field in action.fields:
            self.fields[field.name] = self._field(field, services.requires(action.name, field.name))
        style_form(self)

    def _field(self, field, required: bool):
        if field.kind is Kind.TEXT:
            # Blank text reaches the service, which says what is missing.
            widget = forms.Textarea(attrs={"rows": field.rows})
            return forms.CharField(label=field.label, required=False, max_length=NOTE_MAX, widget=widget)
        if field.kind is Kind.DATE:
            return forms.DateField(label=field.label, required=required, widget=DateInput())
        if field.kind is Kind.BOOL:
            return forms.BooleanField(label=field.label, required=False)
        if field.kind is Kind.FILES:
            return EvidenceField(label=field.label, required=False)
        if field.kind in (Kind.UNIT, Kind.UNITS):
            units = assignable_units(user=self.user)
            if field.kind is Kind.UNIT:
                return forms.ModelChoiceField(queryset=units, label=field.label, required=required)
            return forms.ModelMultipleChoiceField(queryset=units, label=field.label, required=False)
        # No choice is pre-set: the person acting picks one (a verdict left at
        # its default would make the satisfaction rate what the form said).
        return forms.ChoiceField(label=field.label, choices=[("", "—"), *CHOICES[field.kind]], required=required)

    def service_kwargs(self) -> dict:
        """What the valid form gives the action's service: the values sent,
        the version as `expected_version`, several units as a list."""
        data = {key: value for key, value in self.cleaned_data.items() if value is not None}
        data["expected_version"] = data.pop("version", None)
        if "co_units" in data:
            data["co_units"] = list(data["co_units"])
        return data

    def reasons(self) -> list[str]:
        """Each error as "field: reason" (a form-wide one alone), for a page
        that shows them away from the field."""
        return [
            _("%(field)s: %(reason)s") % {"field": self.fields[field].label, "reason": error}
            if field in self.fields and self.fields[field].label
            else error
            for field, errors in self.errors.items()
            for error in errors
        ]


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

        self.fields["campaign"].queryset = Campaign.objects.restrict(user)
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


class BulletinForm(forms.Form):
    """Make a bulletin: a month, a region within the supervisor's (the
    dashboard's choice, issues.bulletins.bulletin_regions) and the issuing
    office, remembered from the region's last bulletin when left blank."""

    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"], widget=MonthInput())
    region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        label=_("Region"),
        error_messages={"invalid_choice": _("Choose a region within your scope.")},
    )
    office = forms.CharField(
        label=_("Issuing office"),
        max_length=100,
        required=False,
        help_text=_("Left blank: the office of the region's last bulletin."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = bulletin_regions(user)
        self.fields["region"].label_from_instance = lambda region: "\u3000" * region.depth + region.name
        style_form(self)


class RegenerateForm(forms.Form):
    office = forms.CharField(label=_("Issuing office"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class RaisedIssueForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices])
    title = forms.CharField(label=_("Issue"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )
    request = forms.CharField(label=_("Enterprise's request"), max_length=2000, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    # The answer to a duplicate hint (issues.similar): "new" to register it all the same, or the
    # id of the issue to link it to; blank until a hint has asked.
    again = forms.CharField(required=False, max_length=20)

    NEW = "new"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def clean_again(self) -> str | int | None:
        value = self.cleaned_data["again"].strip()
        if not value:
            return None
        if value == self.NEW:
            return value
        if (chosen := parse_id(value)) is not None:
            return chosen
        raise forms.ValidationError(_("Choose: link it, or register it as a new issue."), code="invalid_again")


# Every form is "extra": one left untouched is skipped, one half typed is an error.
class _RaisedIssues(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


# An issue block added by mistake is ticked away (can_delete): not validated, not registered.
RaisedIssueFormSet = forms.formset_factory(
    RaisedIssueForm, formset=_RaisedIssues, extra=0, max_num=20, validate_max=True, can_delete=True
)


class CommonProblemForm(forms.Form):
    """What any action on a common problem may send (issues.common says what
    each needs, in its own words); choices are the user's scope."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    issues = forms.ModelMultipleChoiceField(queryset=Issue.objects.none(), required=False)
    other = forms.ModelChoiceField(queryset=CommonProblem.objects.none(), required=False)
    answer_kind = forms.ChoiceField(label=_("Settled by"), choices=[("", "—"), *AnswerKind.choices], required=False)
    answer = forms.CharField(label=_("Answer"), required=False, max_length=5000)
    responsible_unit = forms.ModelChoiceField(queryset=HelpUnit.objects.none(), required=False)
    handling = forms.ChoiceField(choices=[(h, h) for h in common.Handling.VALUES], required=False)
    due_date = forms.DateField(required=False)
    meeting = forms.ModelChoiceField(queryset=Meeting.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issues"].queryset = Issue.objects.restrict(user)
        self.fields["other"].queryset = CommonProblem.objects.restrict(user)
        self.fields["meeting"].queryset = Meeting.objects.restrict(user).filter(issued_at__isnull=True)
        self.fields["responsible_unit"].queryset = assignable_units(user=user)


class MeetingForm(forms.Form):
    """A coordination meeting to schedule: the regions offered are the
    user's, at the levels meetings are held (issues.meetings says why not)."""

    title = forms.CharField(label=_("Title"), max_length=200, initial=_("Coordination meeting"))
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    chair = forms.CharField(label=_("Chair"), max_length=100, help_text=_("Post and name, e.g. 副县长 李明"))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    attendees = forms.CharField(
        label=_("Attending"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        from .meetings import LEVELS

        super().__init__(*args, **kwargs)
        regions = self.fields["region"].queryset = bulletin_regions(user).filter(level__in=LEVELS)
        if not self.is_bound and len(regions[:2]) == 1:  # a county's supervisor: their county
            self.initial.setdefault("region", regions[0].pk)
        style_form(self)


class MeetingEditForm(MeetingForm):
    """The meeting's date, title, chair, place and who attends, as the page
    showed them (`version`); its region stays."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        del self.fields["region"]


class DecisionForm(forms.Form):
    """议定: what is to be done, which unit leads, by when (the service
    checks that the unit and the date come together)."""

    decision = forms.CharField(label=_("Decision"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=HelpUnit.objects.none(), required=False)
    co_units = forms.ModelMultipleChoiceField(
        label=_("Working with it"), queryset=HelpUnit.objects.none(), required=False
    )
    due_date = forms.DateField(label=_("To be done by"), required=False, widget=DateInput())
    # A common problem's version as the agenda showed it (its issues may have changed since).
    problem_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(user=user)
        self.fields["co_units"].queryset = self.fields["unit"].queryset
