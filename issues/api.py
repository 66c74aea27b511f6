"""The issue API: scoped reads, registration, and one POST per lifecycle action."""

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.api import ScopedPrimaryKeyRelatedField, ScopedViewMixin
from core.db import replica_view
from enterprises.models import Campaign, Enterprise, HelpUnit, Region
from visits.models import Visit

from . import deadlines, figures, scoring, selectors, services, similar
from .actions import ACTIONS, BY_SLUG, CHOICES, NOTE_MAX, IssueAction, Kind
from .choices import Category, Grade, Outcome, Priority, Satisfaction, Source
from .filters import IssueFilter
from .models import Issue, IssueEvent


class IssueListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        issues = list(data.all() if hasattr(data, "all") else data)
        deadlines.mark(issues, clock.today())  # one judgement for the page, not a query per row
        return super().to_representation(issues)


class IssueSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(Enterprise)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    visit = ScopedPrimaryKeyRelatedField(Visit, allow_null=True, required=False)
    category = serializers.ChoiceField(choices=Category.choices)
    source = serializers.ChoiceField(choices=Source.choices, default=Source.VISIT)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    responsible_unit_name = serializers.CharField(source="responsible_unit.name", read_only=True, allow_null=True)
    co_units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    registered_by = serializers.CharField(source="registered_by.display_name", read_only=True)
    extension_pending = serializers.BooleanField(read_only=True, default=False)
    escalated = serializers.BooleanField(source="is_escalated", read_only=True)
    # Deadlines judged today (issues.deadlines), as on the issue page.
    overdue = serializers.BooleanField(read_only=True)
    overdue_by = serializers.IntegerField(read_only=True, allow_null=True, help_text="Working days overdue")
    due_soon = serializers.BooleanField(read_only=True)
    working_days_left = serializers.IntegerField(source="days_left", read_only=True, allow_null=True)
    # Blank until the issue is resolved (outcome) or closed (satisfaction).
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Issue
        list_serializer_class = IssueListSerializer
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "visit",
            "campaign",
            "source",
            "category",
            "title",
            "description",
            "request",
            "priority",
            "status",
            "version",
            "responsible_unit",
            "responsible_unit_name",
            "co_units",
            "registered_by",
            "is_complex",
            "accept_due_date",
            "answer_due_date",
            "due_date",
            "assigned_due_date",
            "progress_due_date",
            "follow_up_due_date",
            "verify_due_date",
            "overdue",
            "overdue_by",
            "due_soon",
            "working_days_left",
            "registered_at",
            "assigned_at",
            "accepted_at",
            "answered_at",
            "returned_at",
            "resolved_at",
            "followed_up_at",
            "reopened_at",
            "closed_at",
            "cancelled_at",
            "escalated_at",
            "escalated",
            "extension_pending",
            "outcome",
            "satisfaction",
        ]
        read_only_fields = [
            f
            for f in fields
            if f not in {"enterprise", "visit", "source", "category", "title", "description", "request", "priority"}
        ]

    def to_representation(self, instance):
        if not hasattr(instance, "overdue"):
            deadlines.mark([instance], clock.today())
        return super().to_representation(instance)

    def create(self, validated_data):
        return services.issue_register(actor=self.context["request"].user, **validated_data)


class IssueEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.display_name", read_only=True, allow_null=True)
    actor_unit_name = serializers.CharField(source="actor_unit.name", read_only=True, allow_null=True)

    class Meta:
        model = IssueEvent
        fields = [
            "id",
            "action",
            "actor",
            "actor_name",
            "actor_unit",
            "actor_unit_name",
            "created_at",
            "from_status",
            "to_status",
            "note",
            "data",
        ]


# Action payloads, generated from issues.actions: shapes only; the rules live
# in issues.services. Blank text passes here so the service, which every
# interface shares, says what is missing in its own words.


def _payload_field(action: IssueAction, field):
    required = services.requires(action.name, field.name)
    if field.kind is Kind.TEXT:
        return serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)
    if field.kind is Kind.DATE:
        return serializers.DateField(required=required, allow_null=not required)
    if field.kind is Kind.BOOL:
        return serializers.BooleanField(required=False, default=False)
    if field.kind is Kind.FILES:
        # multipart/form-data, the field repeated once per file
        return serializers.ListField(
            child=serializers.FileField(), required=False, max_length=services.MAX_EVIDENCE_FILES
        )
    if field.kind is Kind.UNIT:
        return ScopedPrimaryKeyRelatedField(HelpUnit, required=required)
    if field.kind is Kind.UNITS:
        return ScopedPrimaryKeyRelatedField(HelpUnit, many=True, required=False)
    return serializers.ChoiceField(choices=CHOICES[field.kind], required=required, allow_blank=not required)


def _payload(action: IssueAction):
    fields = {field.name: _payload_field(action, field) for field in action.fields}
    fields["version"] = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you saw; 409 if it moved."
    )
    name = "".join(part.title() for part in action.name.split("_")) + "Payload"
    return type(name, (serializers.Serializer,), fields)


PAYLOADS = {action.slug: _payload(action) for action in ACTIONS.values()}


# Duplicate hints (issues.similar) and the raise-again they lead to.


class SimilarQuery(serializers.Serializer):
    """What is about to be registered: its enterprise (in your scope) and its words."""

    enterprise = ScopedPrimaryKeyRelatedField(Enterprise)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    request = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True, default="")


class SimilarIssueSerializer(serializers.ModelSerializer):
    linkable = serializers.BooleanField(
        read_only=True, help_text="Open: it can take a raise-again (POST /api/v1/issues/{id}/raise-again/)"
    )
    likeness = serializers.FloatField(read_only=True, help_text="How alike the wording reads, 0–1")

    class Meta:
        model = Issue
        fields = ["id", "number", "title", "category", "status", "registered_at", "closed_at", "linkable", "likeness"]
        read_only_fields = fields


class IssueCreatedSerializer(IssueSerializer):
    similar = SimilarIssueSerializer(
        many=True, read_only=True, help_text="Issues of the enterprise it reads like (duplicate hints)"
    )

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "similar"]


class RaiseAgainPayload(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX, help_text="What the enterprise said this time"
    )
    visit = ScopedPrimaryKeyRelatedField(
        Visit, required=False, allow_null=True, help_text="The visit at which it was raised again, if any"
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version you saw; 409 if it moved.")


class IssueViewSet(ScopedViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = IssueSerializer
    filterset_class = IssueFilter
    ordering_fields = ("due_date", "number", "registered_at")
    selector = staticmethod(selectors.issue_list)

    def perform_create(self, serializer):
        issue = serializer.save()
        serializer.instance = self.registered = self.get_queryset().get(pk=issue.pk)

    @extend_schema(responses={201: IssueCreatedSerializer})
    def create(self, request, *args, **kwargs):
        """Register an issue; the answer names the enterprise's issues it
        reads like (`similar`). To avoid a duplicate, ask `GET
        /api/v1/issues/similar/` before registering and record a raise-again
        on the one it repeats; a duplicate registered all the same is merged
        by a supervisor on the dispatch desk."""
        response = super().create(request, *args, **kwargs)
        issue = self.registered
        hints = similar.for_issues(user=request.user, issues=[issue], closed=True).get(issue.pk, [])
        response.data["similar"] = SimilarIssueSerializer(hints, many=True).data
        return response

    @extend_schema(
        parameters=[SimilarQuery],
        responses=SimilarIssueSerializer(many=True),
        summary="Duplicate hints: the enterprise's issues that read like the one about to be registered",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def similar(self, request):
        """The issues of the enterprise, in your scope, that read like the
        one about to be registered (issues.similar): open ones, to link to
        by a raise-again instead of registering it again, and ones closed in
        the last 90 days. At most three, the most alike first."""
        query = SimilarQuery(data=request.query_params.dict(), context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        raised = similar.Raised(data["title"], data["description"], data["request"], data["category"])
        (hints,) = similar.for_new(user=request.user, enterprise=data["enterprise"], raised=[raised])
        return Response(SimilarIssueSerializer(hints, many=True).data)

    @extend_schema(request=RaiseAgainPayload, responses=IssueSerializer, summary="The enterprise raised it again")
    @action(detail=True, methods=["post"], url_path="raise-again", url_name="raise-again")
    def raise_again(self, request, pk=None):
        """再次反映: record on an open issue that the enterprise raised it
        again (its `note`: what it said this time; the `visit` at which, if
        any), instead of registering it a second time. The state stays."""
        issue = self.get_object()  # 404 outside the user's scope
        payload = RaiseAgainPayload(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.issue_raise_again(
            actor=request.user,
            issue_id=issue.pk,
            note=data.get("note", ""),
            visit=data.get("visit"),
            expected_version=data.get("version"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=issue.pk)).data)

    @extend_schema(responses=IssueEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole history, never paged
    def events(self, request, pk=None):
        issue = self.get_object()
        return Response(IssueEventSerializer(selectors.issue_events(issue=issue), many=True).data)

    def _act(self, request, name):
        issue = self.get_object()  # 404 outside the user's scope
        payload = PAYLOADS[name](data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        kwargs = {key: value for key, value in payload.validated_data.items() if value is not None}
        version = kwargs.pop("version", None)
        action = BY_SLUG[name]
        # Text left out reaches the service blank, which says what is missing in its own words.
        kwargs = {field.name: "" for field in action.fields if field.kind is Kind.TEXT} | kwargs
        done = services.service_for(action.name)(
            actor=request.user, issue_id=issue.pk, expected_version=version, **kwargs
        )
        # A return can take the issue out of the actor's scope: then the answer is what the
        # service left, not a 500 on reading it back.
        return Response(self.get_serializer(self.get_queryset().filter(pk=issue.pk).first() or done).data)


def _make_action(name, payload_class):
    @extend_schema(request=payload_class, responses=IssueSerializer, summary=f"Issue action: {name}")
    def handler(self, request, pk=None):
        return self._act(request, name)

    handler.__name__ = name.replace("-", "_") + "_action"
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(handler)


for _slug, _payload_class in PAYLOADS.items():
    setattr(IssueViewSet, _slug.replace("-", "_") + "_action", _make_action(_slug, _payload_class))


class StatsQuery(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=["unit", "region", "category"])
    campaign = ScopedPrimaryKeyRelatedField(Campaign, required=False)
    region = ScopedPrimaryKeyRelatedField(Region, required=False)
    unit = ScopedPrimaryKeyRelatedField(HelpUnit, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def to_internal_value(self, data):
        data = {k: v for k, v in data.items()}
        for outer, inner in (("from", "date_from"), ("to", "date_to")):
            if outer in data:
                data[inner] = data.pop(outer)
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"to": [_("“to” is before “from”.")]})
        return attrs


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "nullable": True,
        "description": "The unit's or region's id (group_by=unit, region), or the category's code",
    }
)
class StatsGroupField(serializers.Field):
    """A row's group as the figures give it: an id, or a category code."""

    def to_representation(self, value):
        return value


StatsRowSerializer = type(
    "StatsRowSerializer",
    (serializers.Serializer,),
    {
        "group": StatsGroupField(allow_null=True),
        "name": serializers.CharField(),
        "direct": serializers.BooleanField(
            required=False, help_text="Region rows: the enterprises directly in the chosen region"
        ),
        # Every count: issues, listed by GET /api/v1/issues/?figure=<name> with the same filters.
        **{name: serializers.IntegerField(help_text=label) for name, label in figures.LABELS.items()},
        **{
            rate: serializers.FloatField(allow_null=True, help_text=f"{part} ÷ {whole}")
            for rate, (part, whole) in figures.RATES.items()
        },
        "mean_days_to_close": serializers.FloatField(allow_null=True),
        # Unit rows (group_by=unit): the score of the rule in force (issues.scoring).
        "kind": serializers.CharField(allow_null=True, required=False, help_text="Unit rows: the unit's kind"),
        "score": serializers.FloatField(
            allow_null=True, required=False, help_text="Unit rows: the score out of 100; null when not ranked"
        ),
        "grade": serializers.ChoiceField(choices=Grade.choices, allow_null=True, required=False),
        "place": serializers.IntegerField(
            allow_null=True, required=False, help_text="Unit rows: the place among units of the same score group"
        ),
        "score_group": serializers.CharField(
            required=False, help_text="Unit rows: the units ranked together (a unit kind, or '' for all)"
        ),
        "red_black": serializers.ChoiceField(
            choices=["red", "black"], allow_null=True, required=False, help_text="Unit rows: on the red or black list"
        ),
        "points": serializers.DictField(
            child=serializers.FloatField(allow_null=True),
            required=False,
            help_text="Ranked unit rows: the points earned per metric (null: nothing to count, left out)",
        ),
    },
)


class StatsSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    results = StatsRowSerializer(many=True)


class StatsView(APIView):
    """Figures per unit, region or category, within the user's scope. Each
    count lists as `GET /api/v1/issues/?figure=<name>` with the same campaign,
    registration period and the row's `responsible_unit`, `region` (or
    `enterprise_region` when `direct`) or `category`. Unit rows also carry
    the unit's score under the scoring rule in force (issues.scoring): its
    `score`, `grade`, `place` within its `score_group`, `red_black` and the
    `points` per metric; a unit with too few items has none."""

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", str, enum=["unit", "region", "category"], required=True),
            OpenApiParameter("campaign", int),
            OpenApiParameter("region", int),
            OpenApiParameter("unit", int),
            OpenApiParameter("from", str, description="YYYY-MM-DD, registered on or after"),
            OpenApiParameter("to", str, description="YYYY-MM-DD, registered on or before"),
        ],
        responses=StatsSerializer,
    )
    @method_decorator(replica_view)
    def get(self, request):
        query = StatsQuery(data=request.query_params.dict(), context={"request": request})
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        group_by = filters.pop("group_by")
        rows = selectors.issue_stats(user=request.user, group_by=group_by, **filters)
        if group_by == "unit":
            scoring.board(rows, scoring.rule_in_force())
            rows = [_scored_unit(row) for row in rows]
        return Response({"group_by": group_by, "results": rows})


def _scored_unit(row: dict) -> dict:
    """A unit row as the API gives it: its figures, its score, grade, place
    and list, and the points earned per metric (the page's working, less
    what only the page shows)."""
    lines = row.pop("lines", [])
    for shown_only in ("earned", "applicable_weight", "grade_label", "unranked_reason"):
        row.pop(shown_only, None)
    if row.get("score") is not None:
        row["points"] = {line["metric"]: line["points"] for line in lines}
    return row
