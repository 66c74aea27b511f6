"""What every app's admin shares: the Django admin either writes through a
service, so it refuses what every other interface refuses, in the same
words, or only shows a model. It never writes around the services."""

import auditlog.admin  # noqa: F401  (registers its entry admin first, so it can be replaced below)
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from core import audit
from core.errors import ServiceError

from .models import AuditEntry, CalendarDay, CalendarSource, CalendarYear, SignInFailure, SignInLockout, SignInRecord


class ScopedAdminMixin:
    """Admin lists, change pages and autocompletes read through
    `restrict(user)`, like every other list: an admin sees everything, and a
    staff account of another role sees only its own scope."""

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows.restrict(request.user) if hasattr(rows, "restrict") else rows


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Shown, never written here: these rows change through their services
    (the issue lifecycle, visit intake, the assignment board)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdministratorsOnlyAdmin(ReadOnlyAdmin):
    """Read by administrators only (the audit trail, deliveries): a staff
    account of another role does not see it even with Django's view
    permission."""

    def has_module_permission(self, request):
        return getattr(request.user, "is_admin", False)

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "is_admin", False)


class ReadOnlyInline(ScopedAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _RulesForm:
    """Mixed into the admin's model form. For the fields the service writes,
    the form only reads what was typed (a date, a number, a known choice, an
    existing row) and the service's check judges it, instead of the form's
    validators and the model's own validation, which would word the same
    refusals differently (or refuse what the service allows: making a
    campaign current retires the other one). Other fields (Django's own on
    an account) keep Django's validation."""

    rules_check = None  # the service's `*_check(instance) -> [RuleError]`
    rules_fields: set[str] = set()  # the fields the service writes

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in self.rules_fields:
                field.validators = []  # formats, lengths, ranges: the rule's to say

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | self.rules_fields

    def _post_clean(self):
        super()._post_clean()  # puts the typed values on self.instance
        for error in type(self).rules_check(self.instance):
            field = error.field if error.field in self.fields else None
            if field is not None and field in self._errors:
                continue  # the field could not be read; that reason stands
            self.add_error(field, error.message)


class ServiceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Validates with `service_check` and saves with `service_save` (taking
    the actor and the instance), so the admin obeys the same rules as the API,
    the forms and the importer. Master data is deactivated, never deleted
    (the API does not delete either)."""

    service_check = None  # e.g. services.enterprise_check
    service_save = None  # e.g. services.enterprise_save
    service_fields: set[str] = set()  # e.g. services.ENTERPRISE_FIELDS
    instance_kwarg = ""  # the service's keyword for the instance

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        attrs = {"rules_check": staticmethod(type(self).service_check), "rules_fields": set(self.service_fields)}
        return type(form.__name__, (_RulesForm, form), attrs)

    def save_model(self, request, obj, form, change):
        type(self).service_save(actor=request.user, **{self.instance_kwarg: obj})

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refusal the form could not foresee (not an admin in the
        # service's sense, a concurrent writer) becomes a message, and the
        # admin's transaction is rolled back, instead of a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    # Edited here on purpose: the holiday calendar is plain data with no
    # service or rule beyond its database constraints (one row per date,
    # a known kind), which the model form checks. A day saved here is the
    # administrator's: `load_calendar` never changes or removes it.
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind", "source")
    search_fields = ("name",)
    date_hierarchy = "date"
    readonly_fields = ("source",)

    def save_model(self, request, obj, form, change):
        obj.source = CalendarSource.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    # The years whose schedule is known. `load_calendar` adds the package's;
    # an administrator adds a year here (source: administrator) once its
    # days are entered by hand and complete, so it stops being reported as
    # missing; days entered alone do not make a year known. A package year
    # switched to the administrator is left alone by later loads.
    list_display = ("year", "source", "loaded_at")
    list_filter = ("source",)
    readonly_fields = ("loaded_at",)

    def get_readonly_fields(self, request, obj=None):
        return ("year", "loaded_at") if obj is not None else ("loaded_at",)


# The audit trail -----------------------------------------------------------------------

# django-auditlog registers an admin of its own for the entry model (imported
# above, so it is registered before this one); this one replaces it: read
# only, for administrators only, no query per row.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(AdministratorsOnlyAdmin):
    list_display = ("timestamp", "actor", "action", "content_type", "object_repr", "remote_addr", "summary")
    list_filter = (
        "action",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
        "timestamp",
    )
    list_select_related = ("actor", "content_type")
    search_fields = ("object_repr", "actor__username", "actor__name", "remote_addr", "cid")
    date_hierarchy = "timestamp"
    fields = (
        "timestamp",
        "actor",
        "remote_addr",
        "action",
        "content_type",
        "object_pk",
        "object_repr",
        "changes_shown",
        "details_shown",
        "cid",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("before and after"))
    def summary(self, entry):
        colon, separator = pgettext("label", ": ").strip(), pgettext("list separator", ";")
        changes = [f"{line.label}{colon}{line.before} → {line.after}" for line in audit.change_lines(entry)]
        details = [f"{label}{colon}{value}" for label, value in audit.detail_lines(entry)]
        return f"{separator} ".join(changes + details)[:300]

    @admin.display(description=_("before and after"))
    def changes_shown(self, entry):
        return format_html_join("", "<div><b>{}</b>: {} → {}</div>", audit.change_lines(entry))

    @admin.display(description=_("details"))
    def details_shown(self, entry):
        return format_html_join("", "<div><b>{}</b>: {}</div>", audit.detail_lines(entry))


# Sign-ins (django-axes) ------------------------------------------------------------------


@admin.register(SignInLockout)
class SignInLockoutAdmin(AccessAttemptAdmin):
    @admin.display(description=_("Status"))
    def status(self, obj):
        return super().status(obj)


admin.site.register(SignInRecord, AccessLogAdmin)
admin.site.register(SignInFailure, AccessFailureLogAdmin)


# Permissions in words --------------------------------------------------------------------


class PermissionsInWords:
    """Permissions listed in the reader's language: Django stores their names
    in English ("Can view enterprise"); core.audit says them in words."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = lambda permission: audit.in_words(str(permission))
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupInWordsAdmin(PermissionsInWords, GroupAdmin):
    pass
