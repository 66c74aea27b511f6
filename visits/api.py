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
    taken_at = serializers.DateTimeField(
        allow_null=True, help_text="When a photo was taken, from its EXIF (null: not given)"
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, allow_null=True, help_text="Where, if the phone gave it"
    )
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)


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


class VisitCorrectionSerializer(serializers.Serializer):
    """更正: the fields to correct (those left out stay as they are), the reason,
    and the version read, so a correction made meanwhile is not overwritten."""

    reason = serializers.CharField(max_length=2000, allow_blank=True)
    version = serializers.IntegerField(help_text="The visit's version as read; a stale one is refused (409)")
    date = serializers.DateField(required=False)
    form = serializers.ChoiceField(choices=VisitForm.choices, required=False)
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=VisitPurpose.choices), allow_empty=False, required=False
    )
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    participants = ScopedPrimaryKeyRelatedField(Official, many=True, required=False)
    output_value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    headcount = serializers.IntegerField(required=False, allow_null=True)
    order_book = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def service_kwargs(self, visit: Visit) -> dict:
        data = self.validated_data

        def given(name):
            return data[name] if name in data else getattr(visit, name)

        return {
            "reason": data["reason"],
            "expected_version": data["version"],
            "date": given("date"),
            "form": given("form"),
            "purposes": given("purposes"),
            "summary": given("summary"),
            "participants": data.get("participants") or None,
            "snapshot": services.Snapshot(
                output_value=given("output_value"),
                revenue=given("revenue"),
                headcount=given("headcount"),
                order_book=given("order_book"),
            ),
        }


class VisitWithdrawalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)
    version = serializers.IntegerField(help_text="The visit's version as read; a stale one is refused (409)")
