"""The API views that bring the layers together: visits with the issues
raised at them (recorded through issues.intake), and enterprises with the
filters that read their visits."""

from rest_framework import mixins, serializers, viewsets

from core.api import ScopedViewMixin
from enterprises.api import EnterpriseViewSet as BaseEnterpriseViewSet
from issues import intake
from issues.choices import Category, Priority
from issues.selectors import visits_with_issue_counts
from visits.api import VisitSerializer as BaseVisitSerializer
from visits.filters import EnterpriseVisitFilter, VisitFilter


class RaisedIssueSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    request = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)


class VisitSerializer(BaseVisitSerializer):
    issues = RaisedIssueSerializer(many=True, required=False, write_only=True)
    issue_count = serializers.IntegerField(read_only=True, help_text="Issues raised at the visit that you may see")

    class Meta(BaseVisitSerializer.Meta):
        fields = [*BaseVisitSerializer.Meta.fields, "issues", "issue_count"]

    service = staticmethod(intake.visit_record_with_issues)

    def service_kwargs(self, validated_data) -> dict:
        raised = [intake.RaisedIssue(**item) for item in validated_data.get("issues", [])]
        return {**super().service_kwargs(validated_data), "issues": raised}


class VisitViewSet(ScopedViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    selector = staticmethod(visits_with_issue_counts)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("attachments")

    def perform_create(self, serializer):
        serializer.instance = serializer.save()
        # Re-read through the selector so the response carries annotations.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class EnterpriseViewSet(BaseEnterpriseViewSet):
    filterset_class = EnterpriseVisitFilter
