import logging

from django.http import HttpResponse, JsonResponse

from core.errors import error_body, is_write_conflict

logger = logging.getLogger(__name__)

CONFLICT_PAGE_MESSAGE = (
    "Someone else changed the same data at the same time. Go back, reload the "
    "page and try again."
)

# Restrictive by default: pages load scripts and styles only from the portal.
# Inline style attributes stay allowed for the schema tree's indentation.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def reject_nul_characters(get_response):
    """Reject a path or query string that contains a NUL character with 400.

    No name, id or filter can contain one (PostgreSQL text cannot), and letting
    one through ends in a database error instead of a clear 400.
    """

    def middleware(request):
        field = _field_with_nul(request)
        if field is None:
            return get_response(request)
        message = f"{field} contains a NUL character, which no value can contain."
        if request.path.startswith("/api/"):
            body = error_body(message, code="null_characters_not_allowed", field=field)
            return JsonResponse(body, status=400)
        return HttpResponse(message, status=400, content_type="text/plain")

    return middleware


def _field_with_nul(request) -> str | None:
    if "\x00" in request.path:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "") or "query"
    return None


def content_security_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return middleware


class WriteConflictMiddleware:
    """Return 409, not a 500, to a page request that lost a write race.

    The API maps the same errors in `core.errors`. A form posted twice at once
    (the same new slug, the same dataset linked to two products) ends here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_write_conflict(exception):
            return None
        logger.warning(
            "Concurrent write to %s lost a race: %s", request.path, exception
        )
        return HttpResponse(
            CONFLICT_PAGE_MESSAGE, status=409, content_type="text/plain; charset=utf-8"
        )
