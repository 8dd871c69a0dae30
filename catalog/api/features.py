"""ML features: `/products/<slug>/features` to manage a product's features,
`/features` to read the features of every product visible to the caller."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import features
from catalog.api.base import ProductScopedMixin
from catalog.api.filters import FeatureFilter
from catalog.api.permissions import CatalogAccess
from catalog.api.serializers import FeatureSerializer, FeatureWriteSerializer
from catalog.models import Feature
from catalog.selectors import products_visible_to
from core.errors import ApiError

_LISTED_RELATED = ("product", "source_dataset__namespace")
# An update checks the source column against the dataset's current schema.
_DETAIL_RELATED = (*_LISTED_RELATED, "source_dataset__current_schema")


class FeatureListView(generics.ListAPIView):
    """`GET /api/v1/catalog/features`: features of the products visible to the
    caller, by name."""

    permission_classes = [CatalogAccess]
    serializer_class = FeatureSerializer
    filterset_class = FeatureFilter

    def get_queryset(self):
        visible = products_visible_to(self.request.user)
        return (
            Feature.objects.filter(product__in=visible)
            .select_related(*_LISTED_RELATED)
            .order_by("name", "pk")
        )


class ProductFeatureListView(ProductScopedMixin, generics.ListCreateAPIView):
    """`GET` a product's features; `POST` describes a new one."""

    serializer_class = FeatureSerializer
    filterset_class = FeatureFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Feature.objects.none()
        return self.product.features.select_related(*_LISTED_RELATED).order_by(
            "name", "pk"
        )

    @extend_schema(request=FeatureWriteSerializer, responses=FeatureSerializer)
    def post(self, request, *args, **kwargs):
        product = self.product
        serializer = FeatureWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feature = features.feature_create(
            product=product, **serializer.to_service_arguments()
        )
        return Response(FeatureSerializer(feature).data, status=status.HTTP_201_CREATED)


class ProductFeatureDetailView(
    ProductScopedMixin, generics.RetrieveUpdateDestroyAPIView
):
    """One feature of a product, by id."""

    serializer_class = FeatureSerializer

    def get_object(self):
        feature = (
            self.product.features.select_related(*_DETAIL_RELATED)
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if feature is None:
            raise ApiError(
                f"Feature {self.kwargs['pk']} not found on this product.",
                code="not_found",
                status=404,
            )
        return feature

    @extend_schema(request=FeatureWriteSerializer, responses=FeatureSerializer)
    def put(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(request=FeatureWriteSerializer, responses=FeatureSerializer)
    def patch(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool) -> Response:
        feature = self.get_object()
        serializer = FeatureWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        feature = features.feature_update(
            feature=feature, **serializer.to_service_arguments()
        )
        return Response(FeatureSerializer(feature).data)

    def perform_destroy(self, instance):
        features.feature_delete(feature=instance)
