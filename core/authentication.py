import threading
import time

from django.conf import settings
from rest_framework import authentication, exceptions

from core.models import ApiKey
from core.services import hash_api_key

# Valid keys by hash, with the monotonic time until which each may be used
# without asking the database again. Pipelines send hundreds of requests a
# second with one key, and the lookup was a round trip on every request.
_valid_keys: dict[str, tuple[ApiKey, float]] = {}
_valid_keys_lock = threading.Lock()


def forget_api_key(key_hash: str) -> None:
    """Drop a key from this process's cache (other processes expire it on time)."""
    with _valid_keys_lock:
        _valid_keys.pop(key_hash, None)


def _find_api_key(key_hash: str) -> ApiKey | None:
    now = time.monotonic()
    cached = _valid_keys.get(key_hash)
    if cached is not None and cached[1] > now:
        return cached[0]
    api_key = ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    with _valid_keys_lock:
        if api_key is None:
            _valid_keys.pop(key_hash, None)
        else:
            _valid_keys[key_hash] = (api_key, now + settings.API_KEY_CACHE_SECONDS)
    return api_key


class ApiKeyUser:
    """The request user for a call made with an API key rather than a login."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.pk = None
        self.username = f"api-key:{api_key.name}"

    def __str__(self):
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate `Authorization: Bearer <api key>`, as OpenLineage clients send."""

    keyword = "bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        raw_key = raw_key.strip()
        if not raw_key:
            raise exceptions.AuthenticationFailed("The bearer token is empty.")
        api_key = _find_api_key(hash_api_key(raw_key))
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is invalid or revoked.")
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
