"""`/api/v1/lineage`: POST takes OpenLineage events, GET returns a lineage graph.

OpenLineage clients post to the same path that Marquez serves graphs from, so one
view routes the two methods to their own modules, each with its own permission.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from core.permissions import scope_permission
from lineage.api import graph, ingest
from lineage.api.serializers import LineageQuerySerializer

CanWriteLineage = scope_permission("lineage:write")
CanRead = scope_permission("read")


class LineageEndpoint(APIView):
    # The body is read by the ingestion module itself, with a size limit.
    parser_classes: list = []

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanWriteLineage()]
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [CanRead()]
        # Other methods get 405 from dispatch, not a misleading 403.
        return []

    @extend_schema(parameters=[LineageQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return graph.lineage_graph(request)

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/x-ndjson": OpenApiTypes.STR,
        },
        responses={
            200: OpenApiTypes.OBJECT,
            201: OpenApiTypes.OBJECT,
            400: OpenApiTypes.OBJECT,
            413: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request):
        return ingest.ingest_events(request)
