from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Assignment, AssignmentUnit, Campaign, Enterprise, HelpPlan, HelpUnit, Official, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "code", "parent", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)


@admin.register(HelpUnit)
class HelpUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "head_name", "contact_name", "contact_phone", "is_active")
    list_filter = ("kind", "is_active", "region")
    search_fields = ("name", "head_name", "contact_name")
    autocomplete_fields = ("region",)


@admin.register(Official)
class OfficialAdmin(UserAdmin):
    list_display = ("username", "name", "unit", "role", "rank", "phone", "is_active")
    list_filter = ("role", "rank", "is_active", "unit")
    search_fields = ("username", "name", "phone")
    autocomplete_fields = ("unit",)
    fieldsets = UserAdmin.fieldsets + (
        (_("Zoufang"), {"fields": ("name", "unit", "role", "rank", "phone", "email_notifications")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Zoufang"), {"fields": ("name", "unit", "role", "rank", "phone")}),)

    def has_delete_permission(self, request, obj=None):
        # Deactivate, never delete: the ledger's history keeps its actors.
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "region", "industry", "size", "is_key", "is_above_scale", "is_active")
    list_filter = ("is_key", "is_above_scale", "industry", "size", "region")
    search_fields = ("name", "credit_code", "legal_representative")
    autocomplete_fields = ("region",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date", "units_per_enterprise", "visit_every_days", "is_current")
    list_filter = ("is_current",)
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        # Through the service, so making one campaign current retires the other.
        services.campaign_save(actor=request.user, campaign=obj)


class AssignmentUnitInline(admin.TabularInline):
    model = AssignmentUnit
    extra = 0
    max_num = 3
    autocomplete_fields = ("unit", "responsible", "contact")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "campaign", "leader")
    list_filter = ("campaign",)
    search_fields = ("enterprise__name", "enterprise__credit_code", "leader__name")
    autocomplete_fields = ("enterprise", "leader")
    inlines = [AssignmentUnitInline]


@admin.register(HelpPlan)
class HelpPlanAdmin(admin.ModelAdmin):
    list_display = ("unit", "campaign", "submitted_at", "submitted_by")
    list_filter = ("campaign",)
    search_fields = ("unit__name",)
    autocomplete_fields = ("unit", "submitted_by")
