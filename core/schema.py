"""The OpenAPI schema's view of the API. Kept apart from core.api: DRF's
settings name core.api (the parser), and drf-spectacular imports DRF's views,
which read those settings while core.api would still be loading."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal (core.api.exception_handler)."""

    code = serializers.CharField(help_text="What was refused, for a client to act on: not_found, stale_version …")
    detail = serializers.CharField(help_text="The same in words, for a person")
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="A bad payload's messages, per field"
    )


class AutoSchema(SpectacularAutoSchema):
    """Every operation lists the refusals it can answer, in the error shape
    above: a bad payload or query (400), no token or a stale one (401), not
    this user's to do (403), nothing there within the user's scope (404), the
    database briefly away (503) and, for a write, a state or version that
    moved (409). Clients, and the schema checks, read them in the schema
    instead of meeting them undocumented."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        refusals = ["400", "401", "403", "404", "503"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            refusals.append("409")
        for status in refusals:
            responses.setdefault(status, self._get_response_for_code(ErrorSerializer, status, direction=direction))
        return responses
