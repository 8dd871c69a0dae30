from rest_framework import generics

from catalog.api.permissions import CatalogAccess
from catalog.api.serializers import TagSerializer
from catalog.models import Tag


class TagListView(generics.ListAPIView):
    """`GET /api/v1/catalog/tags`: every tag, by name. Tags are made by naming
    them on a product."""

    permission_classes = [CatalogAccess]
    serializer_class = TagSerializer
    queryset = Tag.objects.order_by("name")
