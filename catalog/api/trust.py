"""The data-trust view over the API: GET only, for products the caller may see.

Durations are in seconds and shares in percent; `history` has one entry per
UTC day, oldest first. `?days=` sets the window (1 to 365, default 30).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.permissions import CatalogAccess
from catalog.models import Domain
from catalog.selectors import products_visible_to
from catalog.trust import DEFAULT_DAYS, domain_trust, product_trust

MAX_DAYS = 365


class SecondsField(serializers.FloatField):
    """A timedelta as a number of seconds (a float in the OpenAPI schema)."""

    def to_representation(self, value):
        return value.total_seconds()


class TrustQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, default=DEFAULT_DAYS
    )


class TrustDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    attainment = serializers.FloatField(allow_null=True)
    fresh_products = serializers.IntegerField()
    known_products = serializers.IntegerField()
    freshness_age_seconds = SecondsField(source="freshness_age", allow_null=True)
    schema_changes = serializers.IntegerField()
    runs = serializers.IntegerField()
    failed_runs = serializers.IntegerField()
    failed_percent = serializers.FloatField(allow_null=True)
    open_violations = serializers.IntegerField()


class TrustSummarySerializer(serializers.Serializer):
    window_days = serializers.IntegerField(source="days")
    now = serializers.DateTimeField()
    attainment_percent = serializers.FloatField(allow_null=True)
    schema_changes = serializers.IntegerField()
    schema_changes_per_week = serializers.FloatField()
    runs = serializers.IntegerField()
    failed_runs = serializers.IntegerField()
    failed_percent = serializers.FloatField(allow_null=True)
    open_violations = serializers.IntegerField()


class ProductTrustSerializer(TrustSummarySerializer):
    product = serializers.SlugField(source="product.slug")
    name = serializers.CharField(source="product.name")
    sla_status = serializers.CharField(allow_null=True)
    sla_since = serializers.DateTimeField(allow_null=True)
    freshness_target_seconds = SecondsField(source="freshness_target", allow_null=True)
    freshness_age_seconds = SecondsField(source="freshness_age", allow_null=True)
    is_fresh = serializers.BooleanField(allow_null=True)
    availability_target = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True
    )


class ProductTrustDetailSerializer(ProductTrustSerializer):
    history = TrustDaySerializer(many=True)


class DomainTrustSerializer(TrustSummarySerializer):
    domain = serializers.SlugField(source="domain.slug")
    name = serializers.CharField(source="domain.name")
    status_counts = serializers.DictField(child=serializers.IntegerField())
    products = ProductTrustSerializer(many=True)
    history = TrustDaySerializer(many=True)


def _days(request) -> int:
    query = TrustQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["days"]


class ProductTrustView(APIView):
    permission_classes = [CatalogAccess]

    @extend_schema(
        parameters=[TrustQuerySerializer], responses=ProductTrustDetailSerializer
    )
    def get(self, request, slug: str):
        days = _days(request)
        product = products_visible_to(request.user).filter(slug=slug).first()
        if product is None:
            raise NotFound("Data product not found.")
        trust = product_trust(product, days=days)
        return Response(ProductTrustDetailSerializer(trust).data)


class DomainTrustView(APIView):
    permission_classes = [CatalogAccess]

    @extend_schema(parameters=[TrustQuerySerializer], responses=DomainTrustSerializer)
    def get(self, request, slug: str):
        days = _days(request)
        domain = Domain.objects.filter(slug=slug).first()
        if domain is None:
            raise NotFound("Domain not found.")
        trust = domain_trust(domain, products_visible_to(request.user), days=days)
        return Response(DomainTrustSerializer(trust).data)
