import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from kombu import Connection

from core.errors import error_body, server_error_body

logger = logging.getLogger(__name__)


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        logger.warning("Health check: database failed: %s", error)
        return str(error)
    return None


def _check_broker() -> str | None:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        logger.warning("Health check: broker failed: %s", error)
        return str(error)
    return None


# Exempt from CSRF so that a POST gets 405 rather than a CSRF failure page.
@csrf_exempt
@require_GET
def health(request):
    """Check that the database and the Celery broker respond (200, else 503)."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    body = {
        "status": "ok" if not any(checks.values()) else "unavailable",
        "checks": {name: error or "ok" for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """Return 404 in the API's JSON envelope under /api/, else as the 404 page."""
    if _wants_json(request):
        body = error_body(f"Nothing is at {request.path}.", code="not_found")
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(server_error_body(), status=500)
    return defaults.server_error(request)
