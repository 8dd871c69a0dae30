"""Serializers of the catalog API.

Field names are the models' own, in snake_case. Objects are named by slug
(domains, products), by name (tags, users, groups) or, for what hangs from a
product, by database id. Durations are ISO 8601: "PT6H" is read, and the same
duration is written as "P0DT06H00M00S"; Django's "06:00:00" is read too.
Writes go through serializers named `...WriteSerializer`, whose validated data
the views pass to services.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.validators import UniqueValidator

from catalog.models import (
    DataProduct,
    Domain,
    Feature,
    OutputPort,
    Ownership,
    ServiceLevel,
    Tag,
)
from lineage.graph import dataset_node_id

# Tags one request may set on a product.
MAX_TAGS = 100


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """Build a ChoiceField whose error message lists the values it accepts."""
    values = ", ".join(value for value, _ in choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f'"{{input}}" is not one of {values}.'},
        **kwargs,
    )


class DurationField(serializers.DurationField):
    default_error_messages = {
        **serializers.DurationField.default_error_messages,
        "invalid": "Invalid duration: use ISO 8601, such as PT6H or P1D.",
    }

    def __init__(self, **kwargs):
        super().__init__(format=ISO_8601, **kwargs)


def _slug_from_name(attrs: dict, field_name: str = "name") -> str:
    slug = slugify(attrs[field_name])[:100].strip("-")
    if not slug:
        raise serializers.ValidationError(
            {"slug": "Give a slug: none can be made from this name."}
        )
    return slug


class DatasetRefSerializer(serializers.Serializer):
    """A lineage dataset, with its node id in lineage's graph API."""

    namespace = serializers.CharField(source="namespace.name")
    name = serializers.CharField()
    node_id = serializers.SerializerMethodField()

    def get_node_id(self, dataset) -> str:
        return dataset_node_id(dataset)


class DatasetNameSerializer(serializers.Serializer):
    """A lineage dataset named by namespace and name, as OpenLineage names it."""

    namespace = serializers.CharField(max_length=10_000, trim_whitespace=False)
    name = serializers.CharField(max_length=10_000, trim_whitespace=False)


# Domains and tags


class DomainSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        max_length=200,
        validators=[
            UniqueValidator(
                Domain.objects.all(), message="A domain with this name already exists."
            )
        ],
    )
    slug = serializers.SlugField(
        max_length=100,
        required=False,
        validators=[
            UniqueValidator(
                Domain.objects.all(), message="A domain with this slug already exists."
            )
        ],
    )

    class Meta:
        model = Domain
        fields = ["slug", "name", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("slug"):
            attrs["slug"] = _slug_from_name(attrs)
            if Domain.objects.filter(slug=attrs["slug"]).exists():
                raise serializers.ValidationError(
                    {"slug": "A domain with this slug already exists."}
                )
        return attrs


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["name", "description"]


# Products and what hangs from them


class OwnershipSerializer(serializers.ModelSerializer):
    """A user or a group in a role on a product; exactly one of them is set."""

    user = serializers.CharField(source="user.username", allow_null=True)
    group = serializers.CharField(source="group.name", allow_null=True)

    class Meta:
        model = Ownership
        fields = ["id", "role", "user", "group", "created_at"]
        read_only_fields = fields


class HolderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField(source="user.username", allow_null=True)
    group = serializers.CharField(source="group.name", allow_null=True)


class OwnersByRoleSerializer(serializers.Serializer):
    owner = HolderSerializer(many=True)
    steward = HolderSerializer(many=True)
    technical_contact = HolderSerializer(many=True)


class OutputPortSerializer(serializers.ModelSerializer):
    namespace = serializers.CharField(source="dataset.namespace.name")
    name = serializers.CharField(source="dataset.name")
    node_id = serializers.SerializerMethodField()

    class Meta:
        model = OutputPort
        fields = ["id", "namespace", "name", "node_id", "description", "created_at"]
        read_only_fields = fields

    def get_node_id(self, port) -> str:
        return dataset_node_id(port.dataset)


class ServiceLevelSerializer(serializers.ModelSerializer):
    freshness = DurationField(allow_null=True)

    class Meta:
        model = ServiceLevel
        fields = ["freshness", "schedule", "availability_target", "updated_at"]
        read_only_fields = fields


class ProductCountsSerializer(serializers.Serializer):
    owners = serializers.IntegerField()
    ports = serializers.IntegerField()
    features = serializers.IntegerField()
    contracts = serializers.IntegerField()


class ProductSerializer(serializers.ModelSerializer):
    """A product as `catalog.api.products.product_queryset` loads it."""

    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SerializerMethodField()
    owners = serializers.SerializerMethodField()
    ports = OutputPortSerializer(source="output_ports", many=True, read_only=True)
    sla = ServiceLevelSerializer(source="service_level", allow_null=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = DataProduct
        fields = [
            "slug",
            "name",
            "domain",
            "description",
            "lifecycle",
            "classification",
            "contains_personal_data",
            "tags",
            "owners",
            "ports",
            "sla",
            "counts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_tags(self, product) -> list[str]:
        return [tag.name for tag in product.tags.all()]

    @extend_schema_field(OwnersByRoleSerializer)
    def get_owners(self, product):
        by_role = {role: [] for role in Ownership.Role.values}
        for ownership in product.ownerships.all():
            by_role[ownership.role].append(ownership)
        return OwnersByRoleSerializer(by_role).data

    @extend_schema_field(ProductCountsSerializer)
    def get_counts(self, product):
        return {
            "owners": len(product.ownerships.all()),
            "ports": len(product.output_ports.all()),
            "features": product.feature_count,
            "contracts": product.contract_count,
        }


class ProductWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=100,
        required=False,
        validators=[
            UniqueValidator(
                DataProduct.objects.all(),
                message="A data product with this slug already exists.",
            )
        ],
    )
    domain = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Domain.objects.all(),
        error_messages={"does_not_exist": "No domain has the slug {value}."},
    )
    description = serializers.CharField(allow_blank=True, default="")
    lifecycle = choice_field(
        DataProduct.Lifecycle.choices, default=DataProduct.Lifecycle.DRAFT
    )
    classification = choice_field(
        DataProduct.Classification.choices,
        default=DataProduct.Classification.INTERNAL,
    )
    contains_personal_data = serializers.BooleanField(default=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=MAX_TAGS, default=list
    )

    def validate(self, attrs):
        creating = getattr(self, "instance", None) is None
        if creating and not attrs.get("slug"):
            attrs["slug"] = _slug_from_name(attrs)
            if DataProduct.objects.filter(slug=attrs["slug"]).exists():
                raise serializers.ValidationError(
                    {"slug": "A data product with this slug already exists."}
                )
        return attrs


class OwnershipWriteSerializer(serializers.Serializer):
    """Name a user by username or a group by name; exactly one of the two."""

    role = choice_field(Ownership.Role.choices)
    user = serializers.CharField(max_length=150, required=False)
    group = serializers.CharField(max_length=150, required=False)

    def validate_user(self, username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise serializers.ValidationError(f"No user is named {username!r}.")
        return user

    def validate_group(self, name):
        group = Group.objects.filter(name=name).first()
        if group is None:
            raise serializers.ValidationError(f"No group is named {name!r}.")
        return group

    def validate(self, attrs):
        if ("user" in attrs) == ("group" in attrs):
            raise serializers.ValidationError(
                {"user": "Name either a user or a group, not both and not neither."}
            )
        return attrs


class OutputPortWriteSerializer(DatasetNameSerializer):
    description = serializers.CharField(allow_blank=True, default="")


class ServiceLevelWriteSerializer(serializers.Serializer):
    """Every target is optional; a target left out is unset."""

    freshness = DurationField(allow_null=True, default=None)
    schedule = serializers.CharField(max_length=100, allow_blank=True, default="")
    availability_target = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, default=None
    )


# ML features


class FeatureSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    source_dataset = DatasetRefSerializer(allow_null=True)
    freshness = DurationField(allow_null=True)

    class Meta:
        model = Feature
        fields = [
            "id",
            "product",
            "name",
            "entity",
            "join_keys",
            "value_type",
            "description",
            "source_dataset",
            "source_column",
            "freshness",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FeatureWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    entity = serializers.CharField(max_length=200)
    join_keys = serializers.ListField(child=serializers.CharField(max_length=200))
    value_type = choice_field(Feature.ValueType.choices)
    description = serializers.CharField(allow_blank=True, default="")
    source_dataset = DatasetNameSerializer(allow_null=True, default=None)
    source_column = serializers.CharField(max_length=500, allow_blank=True, default="")
    freshness = DurationField(allow_null=True, default=None)

    def to_service_arguments(self) -> dict:
        """Return the validated data as `catalog.features` takes it."""
        arguments = dict(self.validated_data)
        if "source_dataset" in arguments:
            source = arguments.pop("source_dataset") or {}
            arguments["source_namespace"] = source.get("namespace", "")
            arguments["source_name"] = source.get("name", "")
        return arguments
