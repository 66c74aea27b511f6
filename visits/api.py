from rest_framework import mixins, serializers, viewsets

from core.api import ScopedPrimaryKeyRelatedField, ScopedViewMixin
from enterprises.models import Enterprise, Official
from issues.choices import Category, Priority

from . import selectors, services
from .choices import VisitForm, VisitPurpose
from .filters import VisitFilter
from .models import Visit


class RaisedIssueSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    request = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="official_id")
    name = serializers.CharField(source="official.display_name")
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")


class VisitSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(Enterprise)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    form = serializers.ChoiceField(choices=VisitForm.choices)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=VisitPurpose.choices), allow_empty=False)
    participants = ScopedPrimaryKeyRelatedField(Official, many=True, required=False)
    participant_details = ParticipantSerializer(source="participant_rows", many=True, read_only=True)
    issues = RaisedIssueSerializer(many=True, required=False, write_only=True)
    issue_count = serializers.IntegerField(read_only=True)
    created_by = serializers.CharField(source="created_by.display_name", read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "campaign",
            "date",
            "form",
            "purposes",
            "summary",
            "output_value",
            "revenue",
            "headcount",
            "order_book",
            "participants",
            "participant_details",
            "issues",
            "issue_count",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["campaign", "created_at"]

    def create(self, validated_data):
        return services.visit_record(
            actor=self.context["request"].user,
            enterprise=validated_data["enterprise"],
            date=validated_data["date"],
            form=validated_data["form"],
            purposes=validated_data["purposes"],
            summary=validated_data.get("summary", ""),
            participants=validated_data.get("participants") or None,
            snapshot=services.Snapshot(
                output_value=validated_data.get("output_value"),
                revenue=validated_data.get("revenue"),
                headcount=validated_data.get("headcount"),
                order_book=validated_data.get("order_book", ""),
            ),
            issues=[services.RaisedIssue(**item) for item in validated_data.get("issues", [])],
        )


class VisitViewSet(ScopedViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    selector = staticmethod(selectors.visit_list)

    def perform_create(self, serializer):
        serializer.instance = serializer.save()
        # Re-read through the selector so the response carries annotations.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
