"""`/api/v1/catalog/products/<slug>/ports`: the lineage datasets a product
publishes."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import services
from catalog.api.base import ProductScopedMixin
from catalog.api.serializers import OutputPortSerializer, OutputPortWriteSerializer
from catalog.models import OutputPort
from catalog.selectors import canonical_dataset, products_visible_to
from core.errors import ApiError


class OutputPortListView(ProductScopedMixin, generics.ListCreateAPIView):
    """`GET` a product's output ports; `POST` publishes a lineage dataset, named
    by namespace and name, from the product."""

    serializer_class = OutputPortSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OutputPort.objects.none()
        return self.product.output_ports.select_related("dataset__namespace").order_by(
            "pk"
        )

    @extend_schema(request=OutputPortWriteSerializer, responses=OutputPortSerializer)
    def post(self, request, *args, **kwargs):
        product = self.product
        serializer = OutputPortWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        namespace = serializer.validated_data["namespace"]
        name = serializer.validated_data["name"]
        dataset = canonical_dataset(namespace, name)
        if dataset is None:
            raise ApiError(
                f"Dataset {name!r} not found in namespace {namespace!r}.",
                field="name",
                code="not_found",
            )
        self._check_unpublished(dataset)
        port = services.output_port_add(
            product=product,
            dataset=dataset,
            description=serializer.validated_data["description"],
        )
        return Response(OutputPortSerializer(port).data, status=status.HTTP_201_CREATED)

    def _check_unpublished(self, dataset) -> None:
        """Reject a dataset another product publishes, naming that product only
        when the caller may see it."""
        port = OutputPort.objects.filter(dataset=dataset).exclude(product=self.product)
        other = port.values_list("product_id", flat=True).first()
        if other is None:
            return
        visible = products_visible_to(self.request.user).filter(pk=other).first()
        publisher = (
            f"data product {visible.slug!r}" if visible else "another data product"
        )
        raise ApiError(
            f"This dataset is already published by {publisher}.", field="name"
        )


class OutputPortDetailView(ProductScopedMixin, generics.RetrieveDestroyAPIView):
    """One output port by id; removing it leaves the lineage dataset alone."""

    serializer_class = OutputPortSerializer

    def get_queryset(self):
        return self.product.output_ports.select_related("dataset__namespace")

    def get_object(self):
        port = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if port is None:
            raise ApiError(
                f"Output port {self.kwargs['pk']} not found on this product.",
                code="not_found",
                status=404,
            )
        return port

    def perform_destroy(self, instance):
        services.output_port_remove(port=instance)
