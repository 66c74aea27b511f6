"""Master data in the Django admin. Regions, units, officials, enterprises and
campaigns are edited here through their services (enterprises.services), so
the admin refuses what the API, the web forms and the importer refuse, with
the same message. 三帮一 teams and help plans are shown only: the assignment
board and the help-plan page are where they change, one checked step at a
time, and a team's rules span the assignment and its unit rows, which the
admin's form and inline would validate apart."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, SetUnusablePasswordMixin
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import PermissionsInWords, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin

from . import services
from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpPlan, HelpUnit, Official, Region


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    service_check = services.region_check
    service_save = services.region_save
    instance_kwarg = "region"
    service_fields = services.REGION_FIELDS
    list_display = ("name", "level", "code", "parent", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)


@admin.register(HelpUnit)
class HelpUnitAdmin(ServiceAdmin):
    service_check = services.unit_check
    service_save = services.unit_save
    instance_kwarg = "unit"
    service_fields = services.UNIT_FIELDS
    # Plain text: the rule judges the address as typed, as in the API
    # (Django's URL field would quietly prefix a bare host).
    formfield_overrides = {models.URLField: {"form_class": forms.CharField}}
    list_display = ("name", "kind", "region", "head_name", "contact_name", "contact_phone", "is_active")
    list_filter = ("kind", "is_active", "region")
    search_fields = ("name", "head_name", "contact_name")
    autocomplete_fields = ("region",)


class OfficialCreationForm(AdminUserCreationForm):
    def clean_username(self):
        # Whether the name is taken is the rule's to say (exactly as the
        # API and the importer see it), not Django's case-blind check.
        return self.cleaned_data.get("username")


class OfficialPasswordChangeForm(AdminPasswordChangeForm):
    """Django's, with its warning translated (Django writes it untranslated)."""

    usable_password_help_text = format_lazy(
        "{}{}",
        SetUnusablePasswordMixin.usable_password_help_text,
        format_lazy(
            '<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
            _("If disabled, the current password for this user will be lost."),
        ),
    )


@admin.register(Official)
class OfficialAdmin(PermissionsInWords, ServiceAdmin, UserAdmin):
    service_check = services.official_check
    service_save = services.official_save  # the creation form has set (and checked) the password
    instance_kwarg = "official"
    service_fields = services.OFFICIAL_FIELDS
    add_form = OfficialCreationForm
    change_password_form = OfficialPasswordChangeForm
    list_display = ("username", "name", "unit", "role", "rank", "phone", "is_active")
    list_filter = ("role", "rank", "is_active", ("unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("username", "name", "phone")
    autocomplete_fields = ("unit",)
    fieldsets = UserAdmin.fieldsets + (
        (_("Zoufang"), {"fields": ("name", "unit", "role", "rank", "phone", "email_notifications")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Zoufang"), {"fields": ("name", "unit", "role", "rank", "phone")}),)


@admin.register(Enterprise)
class EnterpriseAdmin(ServiceAdmin):
    service_check = services.enterprise_check
    service_save = services.enterprise_save
    instance_kwarg = "enterprise"
    service_fields = services.ENTERPRISE_FIELDS
    list_display = ("name", "credit_code", "region", "industry", "size", "is_key", "is_above_scale", "is_active")
    list_filter = ("is_key", "is_above_scale", "industry", "size", "region")
    search_fields = ("name", "credit_code", "legal_representative")
    autocomplete_fields = ("region",)


@admin.register(Campaign)
class CampaignAdmin(ServiceAdmin):
    service_check = services.campaign_check
    service_save = services.campaign_save  # making one campaign current retires the other
    instance_kwarg = "campaign"
    service_fields = services.CAMPAIGN_FIELDS
    list_display = ("name", "start_date", "end_date", "units_per_enterprise", "visit_every_days", "is_current")
    list_filter = ("is_current",)
    search_fields = ("name",)


class AssignmentUnitInline(ReadOnlyInline):
    model = AssignmentUnit
    fields = ("unit", "is_lead", "responsible", "contact")
    readonly_fields = fields


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "campaign", "leader")
    list_filter = ("campaign",)
    search_fields = ("enterprise__name", "enterprise__credit_code", "leader__name")
    list_select_related = ("enterprise", "campaign", "leader")
    inlines = [AssignmentUnitInline]


@admin.register(HelpPlan)
class HelpPlanAdmin(ReadOnlyAdmin):
    list_display = ("unit", "campaign", "submitted_at", "submitted_by")
    list_filter = ("campaign",)
    search_fields = ("unit__name",)
    list_select_related = ("unit", "campaign", "submitted_by")
