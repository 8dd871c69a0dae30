"""OpenLineage ingestion over HTTP: `POST /api/v1/lineage` and `/lineage/batch`.

The body is read from the request stream by the service, with the size limit
applied while reading, so DRF's parsers are not used.
"""

import gc
import threading
import time
from contextlib import contextmanager

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApiError
from core.models import ApiKey
from core.permissions import scope_permission
from lineage import services
from lineage.ingestion.events import EventRejected

# Overlapping requests could keep the collector off indefinitely. Once a pause
# is older than this, the next request to leave turns the collector back on.
MAX_COLLECTOR_PAUSE_SECONDS = 5.0

_pause_lock = threading.Lock()
_pauses = 0
_paused_at = 0.0
_collector_was_enabled = False


@contextmanager
def _collector_paused():
    """Keep the cyclic garbage collector off while a body is ingested.

    A batch decodes into tens of thousands of dicts and lists that live until
    the response. The collector would scan them again and again and promote them
    into full collections of the whole process, which took roughly a third of a
    batch's CPU time when measured. They form no cycles, so reference counting
    frees them once the request ends. Concurrent requests share one pause, and
    the collector comes back on when the last one leaves, unless it was off
    before the first came.
    """
    global _pauses, _paused_at, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            _paused_at = time.monotonic()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            too_long = time.monotonic() - _paused_at > MAX_COLLECTOR_PAUSE_SECONDS
            if (_pauses == 0 or too_long) and _collector_was_enabled:
                gc.enable()


def _ingest(request) -> services.IngestResult:
    meta = request.META
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get(
        "CONTENT_LENGTH"
    ):
        # WSGI hands Django no chunked body without a length: it would read as
        # empty, so the error names the fix instead of reporting an empty body.
        raise ApiError(
            "Chunked request bodies are not supported: send a Content-Length header.",
            code="length_required",
            status=411,
        )
    try:
        content_length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        content_length = None
    api_key = request.auth if isinstance(request.auth, ApiKey) else None
    try:
        with _collector_paused():
            return services.ingest_body(
                stream=request.stream,
                content_length=content_length,
                content_type=meta.get("CONTENT_TYPE", ""),
                content_encoding=meta.get("HTTP_CONTENT_ENCODING", ""),
                api_key_id=api_key.pk if api_key else None,
            )
    except EventRejected as rejection:
        raise ApiError(
            rejection.message,
            field=rejection.field,
            code=rejection.code,
            status=rejection.status,
        ) from rejection


def _batch_response(result: services.IngestResult) -> Response:
    return Response(result.as_dict(), status=200)


def ingest_events(request) -> Response:
    """Store one event (201, or 200 for a duplicate) or, for an array or NDJSON
    body, a batch with the response of `/lineage/batch`."""
    result = _ingest(request)
    if result.is_batch:
        return _batch_response(result)
    outcome = result.outcomes[0]
    if outcome.error is not None:
        raise ApiError(
            outcome.error.message,
            field=outcome.error.field,
            code=outcome.error.code,
            status=outcome.error.status,
        )
    body = {
        "id": outcome.event_id,
        "duplicate": outcome.duplicate,
        "warnings": [warning.as_dict() for warning in outcome.warnings],
    }
    return Response(body, status=outcome.status)


class LineageBatchEndpoint(APIView):
    """`POST /api/v1/lineage/batch`: a JSON array or NDJSON of events.

    Responds 200 with one result per event, in order. A single JSON object is
    taken as a batch of one.
    """

    parser_classes: list = []
    permission_classes = [scope_permission("lineage:write")]

    @extend_schema(
        request={
            "application/json": OpenApiTypes.ANY,
            "application/x-ndjson": OpenApiTypes.STR,
        },
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiTypes.OBJECT,
            413: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request):
        return _batch_response(_ingest(request))
