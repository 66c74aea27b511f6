from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from core.forms import DateInput, style_form
from enterprises.models import Enterprise, Official

from . import services
from .choices import VisitForm as Form
from .choices import VisitPurpose


class VisitForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Enterprise"))
    date = forms.DateField(label=_("Date"), widget=DateInput())
    form = forms.ChoiceField(label=_("Form"), choices=Form.choices, widget=forms.RadioSelect, initial=Form.ONSITE)
    purposes = forms.MultipleChoiceField(
        label=_("Purposes"), choices=VisitPurpose.choices, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    participants = forms.ModelMultipleChoiceField(
        queryset=Official.objects.none(), label=_("Participants"), required=False
    )
    output_value = forms.DecimalField(
        label=_("Output (10k yuan)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    revenue = forms.DecimalField(
        label=_("Revenue (10k yuan)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    headcount = forms.IntegerField(label=_("Headcount"), required=False, min_value=0)
    order_book = forms.CharField(label=_("Order book"), max_length=200, required=False)
    # Ticked to save a second visit to one enterprise by the same person on one day.
    same_day_confirmed = forms.BooleanField(label=_("Record it all the same"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user).order_by("name")
        self.fields["participants"].queryset = Official.objects.restrict(user).filter(
            is_active=True, unit__isnull=False
        )
        style_form(self)

    def clean_date(self):
        date = self.cleaned_data["date"]
        try:
            services.check_visit_date(date)
        except ServiceError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        return date


class VisitCorrectionForm(VisitForm):
    """更正: the visit's fields as they should have been, and why. The
    enterprise stays (a visit to the wrong one is withdrawn); `version` is the
    one the form was read at, so a correction made meanwhile is not
    overwritten."""

    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, user, visit, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        del self.fields["enterprise"], self.fields["same_day_confirmed"]
        # Those on the visit stay choosable though they have since left, or are
        # outside the corrector's scope (visits.services decides who may be added).
        on_it = Official.objects.filter(pk__in=visit.participant_rows.values("official_id"))
        self.fields["participants"].queryset = (self.fields["participants"].queryset | on_it).distinct()

    @classmethod
    def current(cls, visit, *, user, reason: str = ""):
        """The form bound to the visit as it now stands (after someone else's
        correction), keeping only the reason typed."""
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        for name, value in cls.initial_for(visit).items():
            if isinstance(value, list):
                data.setlist(name, [str(v) for v in value])
            elif value is not None:
                data[name] = str(value)
        data["reason"] = reason
        form = cls(data, user=user, visit=visit)
        form.is_valid()
        return form

    @classmethod
    def initial_for(cls, visit) -> dict:
        """The visit as it now stands, to be corrected."""
        return {
            "date": visit.date,
            "form": visit.form,
            "purposes": visit.purposes,
            "summary": visit.summary,
            "participants": [row.official_id for row in visit.participant_rows.all()],
            "output_value": visit.output_value,
            "revenue": visit.revenue,
            "headcount": visit.headcount,
            "order_book": visit.order_book,
            "version": visit.version,
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "expected_version": data["version"],
            "date": data["date"],
            "form": data["form"],
            "purposes": data["purposes"],
            "summary": data["summary"],
            "participants": list(data["participants"]) or None,
            "snapshot": services.Snapshot(
                output_value=data["output_value"],
                revenue=data["revenue"],
                headcount=data["headcount"],
                order_book=data["order_book"],
            ),
        }


class VisitWithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
