"""Data contract API: versions of an output port's contract, its open
violations, and the check a pipeline's CI runs before it ships a schema.

Routes, under `/api/v1/catalog/`:
- `products/<slug>/ports/<port_id>/contracts`: GET lists the port's contract
  versions, newest first; POST adds a version (owners, stewards and admins).
- `products/<slug>/ports/<port_id>/contracts/<version>`: GET reads one version.
  Versions are immutable, so there is no PUT, PATCH or DELETE.
- `products/<slug>/ports/<port_id>/violations`: GET lists the port's open
  contract violations, newest first.
- `contract-check`: POST a dataset's namespace and name and a proposed schema.
  The response states whether it is compatible with the port's current
  contract.

A product that the caller may not see is answered with 404, as if it did not
exist.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.permissions import READ_SCOPES, CatalogAccess
from catalog.contracts import contract_create
from catalog.contracts.schema import BreakingKind, SchemaInvalid
from catalog.contracts.selectors import (
    open_violations,
    port_of_dataset,
    proposed_schema_check,
)
from catalog.models import ContractViolation, DataContract, OutputPort
from catalog.selectors import products_visible_to
from core.errors import ApiError
from core.models import ApiKey

FIELD_SCHEMA = {
    "type": "object",
    "required": ["name", "type"],
    "properties": {
        "name": {"type": "string"},
        "type": {"type": "string"},
        "nullable": {"type": "boolean", "default": True},
        "description": {"type": "string"},
        "fields": {
            "type": "array",
            "description": "Nested fields, in this same shape.",
            "items": {"type": "object"},
        },
    },
}


@extend_schema_field({"type": "array", "items": FIELD_SCHEMA})
class SchemaFieldsField(serializers.JSONField):
    """A list of schema fields; `catalog.contracts.schema` validates it."""


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "object",
                "description": "An OpenLineage SchemaDatasetFacet.",
                "properties": {"fields": {"type": "array", "items": FIELD_SCHEMA}},
            },
            {"type": "array", "items": FIELD_SCHEMA},
        ]
    }
)
class ProposedSchemaField(serializers.JSONField):
    """An OpenLineage schema facet or a list of fields."""


class ContractSerializer(serializers.ModelSerializer):
    fields = SchemaFieldsField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DataContract
        fields = ["version", "compatibility", "fields", "created_by", "created_at"]


class ContractCreateSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=50)
    compatibility = serializers.ChoiceField(
        choices=DataContract.Compatibility.choices,
        default=DataContract.Compatibility.FORWARD,
    )
    fields = SchemaFieldsField()


class ViolationSerializer(serializers.ModelSerializer):
    contract_version = serializers.CharField(source="contract.version")
    dataset = serializers.SerializerMethodField()

    class Meta:
        model = ContractViolation
        fields = [
            "id",
            "contract_version",
            "kind",
            "field_path",
            "expected",
            "actual",
            "dataset",
            "schema_version",
            "detected_at",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "namespace": {"type": "string"},
                "name": {"type": "string"},
            },
        }
    )
    def get_dataset(self, violation) -> dict:
        dataset = violation.schema_version.dataset
        return {"namespace": dataset.namespace.name, "name": dataset.name}


class ContractCheckSerializer(serializers.Serializer):
    namespace = serializers.CharField(trim_whitespace=False, max_length=10000)
    name = serializers.CharField(trim_whitespace=False, max_length=10000)
    schema = ProposedSchemaField()


class BreakingChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BreakingKind.choices)
    field_path = serializers.CharField()
    expected = serializers.CharField()
    actual = serializers.CharField()


class ContractCheckResultSerializer(serializers.Serializer):
    compatible = serializers.BooleanField()
    product = serializers.CharField()
    port_id = serializers.IntegerField()
    contract_version = serializers.CharField(allow_null=True)
    compatibility = serializers.CharField(allow_null=True)
    breaking_changes = BreakingChangeSerializer(many=True)


class PortMixin:
    """Finds the output port named in the URL among the caller's visible
    products; anything else is a 404."""

    permission_classes = [CatalogAccess]

    def get_port(self) -> OutputPort:
        if not hasattr(self, "_port"):
            product = (
                products_visible_to(self.request.user)
                .filter(slug=self.kwargs["slug"])
                .first()
            )
            if product is None:
                raise NotFound("Data product not found.")
            port = (
                OutputPort.objects.filter(pk=self.kwargs["port_id"], product=product)
                .select_related("product", "dataset__namespace")
                .first()
            )
            if port is None:
                raise NotFound("Output port not found.")
            self._port = port
        return self._port

    def product_of(self, obj):
        return obj.product if isinstance(obj, OutputPort) else obj.port.product


class ContractListView(PortMixin, generics.ListCreateAPIView):
    """`GET` lists the contract versions of an output port, newest first;
    `POST` adds a version: `{"version": "1.1.0", "compatibility": "forward",
    "fields": [...]}`. A version must be greater than the latest, and one that
    breaks the latest version's compatibility rule needs a higher major
    version."""

    serializer_class = ContractSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DataContract.objects.none()
        return self.get_port().contracts.select_related("created_by")

    @extend_schema(
        request=ContractCreateSerializer, responses={201: ContractSerializer}
    )
    def post(self, request, *args, **kwargs):
        port = self.get_port()
        self.check_object_permissions(request, port)
        serializer = ContractCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = contract_create(
            port=port, created_by=request.user, **serializer.validated_data
        )
        return Response(
            ContractSerializer(contract).data, status=status.HTTP_201_CREATED
        )


class ContractDetailView(PortMixin, generics.RetrieveAPIView):
    """`GET` reads one contract version of an output port, such as `1.0.0`."""

    serializer_class = ContractSerializer

    def get_object(self):
        contract = (
            self.get_port()
            .contracts.filter(version=self.kwargs["version"])
            .select_related("created_by")
            .first()
        )
        if contract is None:
            raise NotFound("Contract version not found.")
        return contract


class ViolationListView(PortMixin, generics.ListAPIView):
    """`GET` lists the open contract violations of an output port, newest first."""

    serializer_class = ViolationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContractViolation.objects.none()
        return open_violations(port=self.get_port())


class CatalogRead(BasePermission):
    """The catalog's read rule for a request that writes nothing, whatever its
    method: a signed-in session, or an API key with the read scope."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        return api_key is None or bool(READ_SCOPES & set(api_key.scopes))


class ContractCheckView(APIView):
    """`POST /api/v1/catalog/contract-check`: `{"namespace", "name", "schema"}`,
    where `schema` is an OpenLineage SchemaDatasetFacet or a list of fields.

    Responses:
    - 200 with `compatible` and the breaking changes against the current
      contract of the port that publishes the dataset, or the dataset that an
      alias names. A port without a contract is compatible with any schema.
    - 400 for a malformed schema, naming the invalid field.
    - 404 when no port that the caller may see publishes the dataset.
    """

    permission_classes = [CatalogRead]

    @extend_schema(
        request=ContractCheckSerializer,
        responses={200: ContractCheckResultSerializer},
    )
    def post(self, request):
        serializer = ContractCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        port = port_of_dataset(
            products_visible_to(request.user), data["namespace"], data["name"]
        )
        if port is None:
            raise ApiError(
                "No output port you may see publishes this dataset.",
                code="not_found",
                status=status.HTTP_404_NOT_FOUND,
            )
        try:
            result = proposed_schema_check(port=port, schema=data["schema"])
        except SchemaInvalid as error:
            raise ApiError(error.message, field=error.path) from None
        return Response(result.as_dict())
