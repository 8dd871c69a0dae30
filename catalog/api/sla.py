"""`/api/v1/catalog/products/<slug>/sla`: a product's SLA targets.

How well the product keeps them is evaluated elsewhere, from its runs.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog.api.base import ProductScopedMixin
from catalog.api.serializers import (
    ServiceLevelSerializer,
    ServiceLevelWriteSerializer,
)
from catalog.models import ServiceLevel
from catalog.sla import service_level_delete, service_level_set
from core.errors import ApiError


class ServiceLevelView(ProductScopedMixin, generics.GenericAPIView):
    """`GET` the SLA, `PUT` creates or replaces it, `DELETE` removes it."""

    serializer_class = ServiceLevelSerializer

    def _service_level(self) -> ServiceLevel:
        service_level = ServiceLevel.objects.filter(product=self.product).first()
        if service_level is None:
            raise ApiError(
                f"Data product {self.product.slug!r} has no SLA.",
                code="not_found",
                status=404,
            )
        return service_level

    def get(self, request, *args, **kwargs):
        return Response(ServiceLevelSerializer(self._service_level()).data)

    @extend_schema(
        request=ServiceLevelWriteSerializer, responses=ServiceLevelSerializer
    )
    def put(self, request, *args, **kwargs):
        product = self.product
        serializer = ServiceLevelWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_level = service_level_set(product=product, **serializer.validated_data)
        return Response(ServiceLevelSerializer(service_level).data)

    @extend_schema(responses={204: OpenApiResponse(description="SLA removed.")})
    def delete(self, request, *args, **kwargs):
        service_level_delete(service_level=self._service_level())
        return Response(status=status.HTTP_204_NO_CONTENT)
