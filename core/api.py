"""What every API module shares: pagination, the error body, permissions."""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.errors import ServiceError
from core.pagination import COUNT_CAP, CappedPaginator


class Pagination(PageNumberPagination):
    """Pages of every API list, counted up to core.pagination's cap: past
    it, `count` is the cap and `count_capped` is true ("at least"); the
    pages go on (`next`) to the end, and `?page=last` counts them all."""

    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param) or 1
        return paginator.last_page_number() if number in self.last_page_strings else number

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        count = paginator.count  # (counting sets `capped`)
        return Response(
            {
                "count": count,
                "count_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = f"The number of results, up to the cap ({COUNT_CAP})."
        response["properties"] = {
            **response["properties"],
            "count_capped": {
                "type": "boolean",
                "description": "More results than the cap: `count` is the cap.",
            },
        }
        response["required"] = [*response["required"], "count_capped"]
        return response


def _first_error(data, prefix=""):
    """(field path, message, code) of the first error in a DRF error tree."""
    if isinstance(data, dict):
        for key, value in data.items():
            found = _first_error(value, f"{prefix}.{key}" if prefix else str(key))
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, (dict, list)):
                found = _first_error(value, f"{prefix}[{index}]")
            else:
                found = (prefix, str(value), getattr(value, "code", "invalid"))
            if found:
                return found
    elif data:
        return (prefix, str(data), getattr(data, "code", "invalid"))
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(data):
    """The error body with every unpaired surrogate a message quotes from the
    request ("“\ud800” is not a valid choice") shown as U+FFFD: UTF-8 has no
    form for it, and rendering the refusal would fail (a 500)."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {_encodable(key): _encodable(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_encodable(value) for value in data]
    return data


def exception_handler(exc, context):
    """Every refusal answers {"code": …, "detail": …}, plus "errors" per field
    for a bad payload, so clients can act on the code and show the detail."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which
    # names this module, so importing it at the top is a cycle whenever this
    # module is imported first (as DRF's own system checks may do).
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ServiceError):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(_encodable(body), status=exc.status)
    if isinstance(exc, (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent)):
        exc = RequestTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message, code = _first_error(exc.detail) or ("", _("Invalid input."), "invalid")
        label = "" if field in ("", "non_field_errors") else f"{field}: "
        response.data = {"code": code, "detail": f"{label}{message}", "errors": exc.detail}
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {"code": codes if isinstance(codes, str) else "error", "detail": str(exc.detail)}
    response.data = _encodable(response.data)
    return response


class IsAdminOrReadOnly(permissions.BasePermission):
    """Master data: everyone signed in reads (within scope), admins write."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and getattr(request.user, "is_admin", False))


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id that only resolves within the requesting user's
    scope: an id outside it is reported exactly like an unknown one."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all() if model is not None else None)
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.model.objects.restrict(request.user if request else None)


class ScopedViewMixin:
    """The base of every API view over a scoped model: its rows come from a
    selector taking the user, and a queryset that was not restricted to the
    user's scope is refused outright (a view cannot forget the scope)."""

    selector = None

    def get_queryset(self):
        return restricted(type(self).selector(user=self.request.user))


def restricted(queryset):
    if not getattr(queryset, "is_restricted", False):
        raise ImproperlyConfigured(f"{queryset.model.__name__} rows must be read through restrict(user)")
    return queryset


def service_kwargs(data: dict, *names: str) -> dict:
    """The validated fields a service takes, leaving out the ones not sent."""
    return {name: data[name] for name in names if name in data}


NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"
    default_detail = gettext_lazy("The request is larger, or carries more files or fields, than the server accepts.")


class JSONParser(parsers.JSONParser):
    """JSON bodies, refusing one nested too deeply for the parser with a 400
    instead of a RecursionError (a 500), and one larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE with a 413 before reading it (Django checks
    that limit for forms, but DRF reads a JSON body from the stream)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isascii() and length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise RequestTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None


# Django's own 404 and 500 answers, in the API's shape under /api/.


def _api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    from django.views import defaults

    if _api(request):
        return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """The project's handler500. A database that went away mid-request (a
    restart, a failover) is not a bug: the request rolled back whole, and the
    caller is told to try again in a moment (503 with Retry-After)."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.template import loader
    from django.views import defaults

    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        detail = _("The database is briefly unavailable; nothing was saved. Try again in a moment.")
        if _api(request):
            response = JsonResponse({"code": "unavailable", "detail": detail}, status=503)
        else:
            response = HttpResponse(loader.render_to_string("503.html", {"detail": detail}), status=503)
        response["Retry-After"] = "5"
        return response
    if _api(request):
        return JsonResponse(
            {"code": "server_error", "detail": _("The server failed; the error is logged.")}, status=500
        )
    return defaults.server_error(request)
