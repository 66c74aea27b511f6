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
