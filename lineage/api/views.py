"""`/api/v1/lineage`: POST takes OpenLineage events, GET returns a lineage graph.

OpenLineage clients post to the same path that Marquez serves graphs from, so one
view routes the two methods to their own modules, each with its own permission.
"""

from rest_framework.views import APIView

from core.permissions import scope_permission
from lineage.api import graph, ingest

CanWriteLineage = scope_permission("lineage:write")
CanRead = scope_permission("read")


class LineageEndpoint(APIView):
    # The body is read by the ingestion module itself, with a size limit.
    parser_classes: list = []

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanWriteLineage()]
        return [CanRead()]

    def get(self, request):
        return graph.lineage_graph(request)

    def post(self, request):
        return ingest.ingest_events(request)
