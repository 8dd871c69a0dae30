from rest_framework import generics, status
from rest_framework.response import Response

from catalog import services
from catalog.api.permissions import DomainAccess
from catalog.api.serializers import DomainSerializer
from catalog.models import Domain
from core.errors import ApiError


class DomainListView(generics.ListCreateAPIView):
    """`/api/v1/catalog/domains`: every domain by name; admins create them."""

    permission_classes = [DomainAccess]
    serializer_class = DomainSerializer
    queryset = Domain.objects.order_by("name")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        domain = services.domain_create(**serializer.validated_data)
        return Response(DomainSerializer(domain).data, status=status.HTTP_201_CREATED)


class DomainDetailView(generics.RetrieveUpdateDestroyAPIView):
    """`/api/v1/catalog/domains/<slug>`. A domain that products belong to
    cannot be deleted."""

    permission_classes = [DomainAccess]
    serializer_class = DomainSerializer
    queryset = Domain.objects.all()

    def get_object(self):
        slug = self.kwargs["slug"]
        domain = self.get_queryset().filter(slug=slug).first()
        if domain is None:
            raise ApiError(f"Domain {slug!r} not found.", code="not_found", status=404)
        self.check_object_permissions(self.request, domain)
        return domain

    def update(self, request, *args, **kwargs):
        domain = self.get_object()
        serializer = self.get_serializer(
            domain, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        domain = services.domain_update(domain=domain, **serializer.validated_data)
        return Response(DomainSerializer(domain).data)

    def perform_destroy(self, instance):
        services.domain_delete(domain=instance)
