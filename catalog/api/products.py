"""Data products: `/api/v1/catalog/products` and `/products/<slug>`.

Lists hold only the products visible to the caller (`products_visible_to`);
any other slug is 404, so a product's existence is never revealed.
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from catalog import services
from catalog.api.base import product_not_found
from catalog.api.filters import ProductFilter
from catalog.api.permissions import CatalogAccess
from catalog.api.serializers import ProductSerializer, ProductWriteSerializer
from catalog.models import DataContract, DataProduct, Feature, OutputPort, Ownership
from catalog.permissions import can_register_product, check_delete
from catalog.selectors import products_visible_to


def _count_of(queryset: QuerySet, product_path: str) -> Coalesce:
    counted = (
        queryset.filter(**{product_path: OuterRef("pk")})
        .order_by()
        .values(product_path)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def product_queryset(user) -> QuerySet[DataProduct]:
    """Products visible to `user`, with all `ProductSerializer` shows loaded in a
    fixed number of queries."""
    return (
        products_visible_to(user)
        .select_related("domain", "service_level")
        .prefetch_related(
            "tags",
            Prefetch(
                "ownerships",
                Ownership.objects.select_related("user", "group").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "output_ports",
                OutputPort.objects.select_related("dataset__namespace").order_by("pk"),
            ),
        )
        .annotate(
            feature_count=_count_of(Feature.objects.all(), "product"),
            contract_count=_count_of(DataContract.objects.all(), "port__product"),
        )
    )


class ProductListView(generics.ListCreateAPIView):
    """`GET` the products visible to the caller; `POST` registers one, with the
    caller as its first owner."""

    permission_classes = [CatalogAccess]
    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        return product_queryset(self.request.user)

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def post(self, request, *args, **kwargs):
        if not can_register_product(request.user):
            raise PermissionDenied(
                "You may not register data products: ask an admin for the "
                "catalog.add_dataproduct permission."
            )
        serializer = ProductWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(
            created_by=request.user, **serializer.validated_data
        )
        product = self.get_queryset().get(pk=product.pk)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(generics.RetrieveUpdateDestroyAPIView):
    """One product by slug; its owners, stewards and admins change or delete it."""

    permission_classes = [CatalogAccess]
    serializer_class = ProductSerializer

    def product_of(self, product: DataProduct) -> DataProduct:
        return product

    def get_queryset(self):
        return product_queryset(self.request.user)

    def get_object(self):
        slug = self.kwargs["slug"]
        product = self.get_queryset().filter(slug=slug).first()
        if product is None:
            raise product_not_found(slug)
        self.check_object_permissions(self.request, product)
        return product

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def put(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def patch(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool) -> Response:
        product = self.get_object()
        serializer = ProductWriteSerializer(product, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        product = services.product_update(product=product, **serializer.validated_data)
        product = self.get_queryset().get(pk=product.pk)
        return Response(ProductSerializer(product).data)

    def perform_destroy(self, instance):
        check_delete(self.request.user, instance)
        services.product_delete(product=instance)
