"""`/api/v1/catalog/products/<slug>/owners`: the users and groups in each role
on a product."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import services
from catalog.api.base import ProductScopedMixin
from catalog.api.serializers import OwnershipSerializer, OwnershipWriteSerializer
from catalog.models import Ownership
from catalog.permissions import check_role_change
from core.errors import ApiError


class OwnershipListView(ProductScopedMixin, generics.ListCreateAPIView):
    """`GET` a product's owners, stewards and technical contacts; `POST` adds a
    user or a group in a role (adding one twice changes nothing)."""

    serializer_class = OwnershipSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ownership.objects.none()
        return self.product.ownerships.select_related("user", "group").order_by(
            "created_at", "pk"
        )

    @extend_schema(request=OwnershipWriteSerializer, responses=OwnershipSerializer)
    def post(self, request, *args, **kwargs):
        product = self.product
        serializer = OwnershipWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check_role_change(request.user, product, serializer.validated_data["role"])
        ownership = services.ownership_add(product=product, **serializer.validated_data)
        return Response(
            OwnershipSerializer(ownership).data, status=status.HTTP_201_CREATED
        )


class OwnershipDetailView(ProductScopedMixin, generics.RetrieveDestroyAPIView):
    """One role on a product, by id. The last owner cannot be removed."""

    serializer_class = OwnershipSerializer

    def get_queryset(self):
        return self.product.ownerships.select_related("user", "group")

    def get_object(self):
        ownership = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if ownership is None:
            raise ApiError(
                f"Ownership {self.kwargs['pk']} not found on this product.",
                code="not_found",
                status=404,
            )
        return ownership

    def perform_destroy(self, instance):
        check_role_change(self.request.user, self.product, instance.role)
        services.ownership_remove(ownership=instance)
