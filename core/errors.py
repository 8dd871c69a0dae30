"""One JSON error envelope for the whole API.

Every error response has the shape
`{"error": {"code": ..., "message": ..., "field": ...}}`: `code` is stable for
machines, `message` is a sentence for people and `field` names the offending
input (a dotted path such as `run.runId`) or is null.
"""

import logging

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with a field and a stable code, raised by services and views."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(
        self, message: str, *, field: str | None = None, code=None, status=None
    ):
        super().__init__(detail=message, code=code or self.default_code)
        self.field = field
        self.code = code or self.default_code
        if status is not None:
            self.status_code = status


def error_body(message: str, *, code: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def _first_validation_error(detail, path: str = "") -> tuple[str | None, str, str]:
    """Walk DRF's nested error detail to the first message and its field path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            child = key if not path else f"{path}.{key}"
            if key == "non_field_errors":
                child = path
            return _first_validation_error(value, child)
    if isinstance(detail, list) and detail:
        return _first_validation_error(detail[0], path)
    code = getattr(detail, "code", "invalid") or "invalid"
    return path or None, str(detail), code


# How long a client should wait before retrying a request that timed out.
RETRY_AFTER_SECONDS = 5


# SQLSTATEs of a transaction that lost to a concurrent one: a retry succeeds.
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
CONFLICT_MESSAGE = (
    "Another request changed the same data at the same time: send the request again."
)


def is_write_conflict(exc: BaseException) -> bool:
    """Tell whether a database error means a concurrent write won a race.

    Services check uniqueness before writing, so a unique constraint fails only
    when another request wrote the same row in between. A deadlock or a
    serialization failure rolls back the losing transaction.
    """
    if isinstance(exc, IntegrityError):
        return True
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return isinstance(exc, OperationalError) and sqlstate in (
        DEADLOCK_DETECTED,
        SERIALIZATION_FAILURE,
    )


def _known_exception(exc, context):
    """Map exceptions from Django, the database and parsing to API errors."""
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # A row deleted by a concurrent request between two reads.
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, RequestDataTooBig):
        return ApiError(
            "The request body is too large.", code="request_too_large", status=413
        )
    if isinstance(exc, RecursionError):
        return exceptions.ParseError("The JSON is nested too deeply.")
    if is_write_conflict(exc):
        logger.warning(
            "Concurrent write in %s lost a race: %s", context.get("view"), exc
        )
        return ApiError(CONFLICT_MESSAGE, code="conflict", status=409)
    return exc


def api_exception_handler(exc, context):
    exc = _known_exception(exc, context)
    if isinstance(exc, DjangoValidationError):
        # Services check rules that span rows with Django's ValidationError.
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, TimeoutError):
        # Ingestion waits for its commit; the events may still be stored, and a
        # retry of the same events is recognised as a duplicate.
        logger.warning("Request timed out in %s: %s", context.get("view"), exc)
        body = error_body(
            "The request timed out before its commit was confirmed. The events may "
            "still be stored: send them again, duplicates are recognised.",
            code="timeout",
        )
        return Response(body, status=503, headers={"Retry-After": RETRY_AFTER_SECONDS})
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unexpected error in %s", context.get("view"), exc_info=exc)
        return Response(server_error_body(), status=500)
    if isinstance(exc, ApiError):
        body = error_body(str(exc.detail), code=exc.code, field=exc.field)
    elif isinstance(exc, exceptions.ValidationError):
        field, message, code = _first_validation_error(exc.detail)
        body = error_body(message, code=code, field=field)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = error_body(str(detail), code=code)
    return Response(body, status=response.status_code, headers=dict(response.items()))


def server_error_body() -> dict:
    return error_body(
        "The server failed to handle the request. It was logged; try again later.",
        code="server_error",
    )
