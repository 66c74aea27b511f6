from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField
from enterprises.models import Enterprise, Official

from . import services
from .choices import VisitForm, VisitPurpose
from .models import Visit, VisitAttachment


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="official_id")
    name = serializers.CharField(source="official.display_name")
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=VisitAttachment.Kind.choices)
    size = serializers.IntegerField()
    content_type = serializers.CharField()


class VisitSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(Enterprise)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    form = serializers.ChoiceField(choices=VisitForm.choices)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=VisitPurpose.choices), allow_empty=False)
    participants = ScopedPrimaryKeyRelatedField(Official, many=True, required=False)
    participant_details = ParticipantSerializer(source="participant_rows", many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.display_name", read_only=True)
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        write_only=True,
        help_text="Photos (JPG, PNG, WebP) and documents (PDF, Word, Excel), sent as multipart/form-data; "
        "judged by content, stored only with the visit",
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

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
            "files",
            "attachments",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["campaign", "created_at"]
        extra_kwargs = {"summary": {"required": True}}  # and not blank: the service says so

    service = staticmethod(services.visit_record)

    def service_kwargs(self, validated_data) -> dict:
        return dict(
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
            files=validated_data.get("files", []),
        )

    def create(self, validated_data):
        return self.service(actor=self.context["request"].user, **self.service_kwargs(validated_data))
