"""API for master data. Reads are scoped (selectors); writes go through
enterprises.services and are for admins only. The serializers only parse
(numbers, dates, ids, choices, text); formats, lengths and ranges are
judged by enterprises.rules through the service, so a client reads the same
message as the forms, the admin and the importer show."""

from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from core.api import NO_DELETE, IsAdminOrReadOnly, ScopedPrimaryKeyRelatedField, ScopedViewMixin, service_kwargs

from . import selectors, services
from .filters import AssignmentFilter, CampaignFilter, EnterpriseFilter, HelpUnitFilter, OfficialFilter, RegionFilter
from .models import Assignment, Campaign, Enterprise, HelpUnit, Official, Region


class ServiceSerializer(serializers.ModelSerializer):
    """create()/update() call the app's service with the request's user."""

    service = None
    instance_kwarg = ""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if not field.read_only:
                # Lengths, ranges and formats are the rules' to judge; the
                # limits stay on the fields for the schema.
                field.validators = []
        return fields

    def _call(self, instance, validated_data):
        return type(self).service(
            actor=self.context["request"].user,
            **({self.instance_kwarg: instance} if instance else {}),
            **validated_data,
        )

    def create(self, validated_data):
        return self._call(None, validated_data)

    def update(self, instance, validated_data):
        return self._call(instance, validated_data)


class RegionSerializer(ServiceSerializer):
    service = staticmethod(services.region_save)
    instance_kwarg = "region"
    parent = ScopedPrimaryKeyRelatedField(Region, allow_null=True, required=False)

    class Meta:
        model = Region
        fields = ["id", "name", "code", "level", "parent", "path"]
        read_only_fields = ["path"]
        validators = []  # the service reports duplicates with its own message


class HelpUnitSerializer(ServiceSerializer):
    service = staticmethod(services.unit_save)
    instance_kwarg = "unit"
    region = ScopedPrimaryKeyRelatedField(Region)
    region_name = serializers.CharField(source="region.name", read_only=True)
    # The robot's address carries its access token: written by admins, never read back.
    webhook_url = serializers.CharField(required=False, allow_blank=True, write_only=True)

    class Meta:
        model = HelpUnit
        fields = [
            "id",
            "name",
            "kind",
            "region",
            "region_name",
            "head_name",
            "contact_name",
            "contact_phone",
            "webhook_url",
            "webhook_secret",
            "is_active",
        ]
        extra_kwargs = {"webhook_secret": {"write_only": True}}
        validators = []


class OfficialSerializer(ServiceSerializer):
    service = staticmethod(services.official_save)
    instance_kwarg = "official"
    unit = ScopedPrimaryKeyRelatedField(HelpUnit, allow_null=True, required=False)
    unit_name = serializers.CharField(source="unit.name", read_only=True, allow_null=True)
    password = serializers.CharField(write_only=True, required=False, max_length=128, style={"input_type": "password"})
    email = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Official
        fields = [
            "id",
            "username",
            "password",
            "name",
            "unit",
            "unit_name",
            "role",
            "rank",
            "phone",
            "email",
            "is_active",
        ]
        extra_kwargs = {"username": {"validators": []}}


class EnterpriseSerializer(ServiceSerializer):
    service = staticmethod(services.enterprise_save)
    instance_kwarg = "enterprise"
    region = ScopedPrimaryKeyRelatedField(Region)
    region_name = serializers.CharField(source="region.name", read_only=True)
    credit_code = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "region",
            "region_name",
            "address",
            "industry",
            "size",
            "is_above_scale",
            "is_key",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "tags",
            "is_active",
        ]


class CampaignSerializer(ServiceSerializer):
    service = staticmethod(services.campaign_save)
    instance_kwarg = "campaign"

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "start_date",
            "end_date",
            "units_per_enterprise",
            "visit_every_days",
            "plan_due_date",
            "is_current",
        ]
        # The service reports duplicates, and making a campaign current
        # retires the previous one instead of refusing.
        extra_kwargs = {"name": {"validators": []}, "is_current": {"validators": []}}
        validators = []

    def update(self, instance, validated_data):
        # Partial updates still go through the service's whole-object checks.
        for name in ("start_date", "end_date", "units_per_enterprise", "visit_every_days", "name"):
            validated_data.setdefault(name, getattr(instance, name))
        return super().update(instance, validated_data)


class AssignmentUnitSerializer(serializers.Serializer):
    unit = ScopedPrimaryKeyRelatedField(HelpUnit)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    is_lead = serializers.BooleanField(default=False)
    responsible = ScopedPrimaryKeyRelatedField(Official, allow_null=True, required=False)
    responsible_name = serializers.CharField(source="responsible.display_name", read_only=True, allow_null=True)
    contact = ScopedPrimaryKeyRelatedField(Official, allow_null=True, required=False)
    contact_name = serializers.CharField(source="contact.display_name", read_only=True, allow_null=True)
    contact_phone = serializers.CharField(source="contact.phone", read_only=True, allow_null=True)


class AssignmentSerializer(serializers.ModelSerializer):
    campaign = ScopedPrimaryKeyRelatedField(Campaign)
    enterprise = ScopedPrimaryKeyRelatedField(Enterprise)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    leader = ScopedPrimaryKeyRelatedField(Official, allow_null=True, required=False)
    leader_name = serializers.CharField(source="leader.display_name", read_only=True, allow_null=True)
    units = AssignmentUnitSerializer(many=True, required=False)

    class Meta:
        model = Assignment
        fields = ["id", "campaign", "enterprise", "enterprise_name", "leader", "leader_name", "units"]
        validators = []

    def _slots(self, data):
        return [services.UnitSlot(**service_kwargs(u, "unit", "is_lead", "responsible", "contact")) for u in data]

    def create(self, validated_data):
        return services.assignment_save(
            actor=self.context["request"].user,
            campaign=validated_data["campaign"],
            enterprise=validated_data["enterprise"],
            leader=validated_data.get("leader"),
            units=self._slots(validated_data.get("units", [])),
        )

    def update(self, instance, validated_data):
        if "campaign" in validated_data and validated_data["campaign"] != instance.campaign:
            raise serializers.ValidationError({"campaign": ["An assignment cannot move to another campaign."]})
        if "enterprise" in validated_data and validated_data["enterprise"] != instance.enterprise:
            raise serializers.ValidationError({"enterprise": ["An assignment cannot move to another enterprise."]})
        units = validated_data.get("units")
        return services.assignment_save(
            actor=self.context["request"].user,
            assignment=instance,
            leader=validated_data.get("leader", instance.leader),
            units=self._slots(units)
            if units is not None
            else [
                services.UnitSlot(unit=u.unit, is_lead=u.is_lead, responsible=u.responsible, contact=u.contact)
                for u in instance.units.all()
            ],
        )


class MasterDataViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    http_method_names = NO_DELETE


class RegionViewSet(MasterDataViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    selector = staticmethod(selectors.region_list)


class HelpUnitViewSet(MasterDataViewSet):
    serializer_class = HelpUnitSerializer
    filterset_class = HelpUnitFilter
    selector = staticmethod(selectors.unit_list)


class OfficialViewSet(MasterDataViewSet):
    serializer_class = OfficialSerializer
    filterset_class = OfficialFilter
    selector = staticmethod(selectors.official_list)


class EnterpriseViewSet(MasterDataViewSet):
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    selector = staticmethod(selectors.enterprise_list)


class CampaignViewSet(MasterDataViewSet):
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    selector = staticmethod(selectors.campaign_list)


class AssignmentViewSet(MasterDataViewSet):
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    selector = staticmethod(selectors.assignment_list)
