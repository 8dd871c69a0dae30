"""Serializers of the read API: query parameters of the graphs, REST resources."""

from rest_framework import serializers

from lineage import graph


class LineageQuerySerializer(serializers.Serializer):
    """Query parameters of `GET /api/v1/lineage` and `/api/v1/column-lineage`."""

    nodeId = serializers.CharField(trim_whitespace=False)  # noqa: N815
    depth = serializers.IntegerField(
        min_value=0, max_value=graph.MAX_DEPTH, default=graph.DEFAULT_DEPTH
    )
    direction = serializers.ChoiceField(choices=graph.DIRECTIONS, default=graph.BOTH)
