"""The API views that bring the layers together: visits with the issues
raised at them (recorded through issues.intake), corrected and withdrawn,
and enterprises with the filters that read their visits."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedViewMixin
from enterprises.api import EnterpriseViewSet as BaseEnterpriseViewSet
from issues import intake
from issues.choices import Category, Priority
from issues.selectors import visits_with_issue_counts
from visits import services as visit_services
from visits.api import VisitCorrectionSerializer, VisitWithdrawalSerializer
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

    @extend_schema(request=VisitCorrectionSerializer, responses=VisitSerializer, summary="Correct a visit (更正)")
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        visit = self.get_object()  # 404 outside the scope, and once withdrawn
        payload = VisitCorrectionSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        visit_services.visit_correct(actor=request.user, visit_id=visit.pk, **payload.service_kwargs(visit))
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(request=VisitWithdrawalSerializer, responses={204: None}, summary="Withdraw a visit (撤回)")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        visit = self.get_object()
        payload = VisitWithdrawalSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        intake.visit_withdraw(
            actor=request.user,
            visit_id=visit.pk,
            reason=payload.validated_data["reason"],
            expected_version=payload.validated_data["version"],
        )
        return Response(status=204)


class EnterpriseViewSet(BaseEnterpriseViewSet):
    filterset_class = EnterpriseVisitFilter
