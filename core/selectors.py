import threading
import time

from django.conf import settings

from core.models import ApiKey

# Valid keys by hash, with the monotonic time until which each may be used
# without asking the database again. Pipelines send hundreds of requests a
# second with one key, and the lookup was a round trip on every request.
_valid_keys: dict[str, tuple[ApiKey, float]] = {}
_valid_keys_lock = threading.Lock()


def forget_api_key(key_hash: str) -> None:
    """Drop a key from this process's cache (other processes expire it on time)."""
    with _valid_keys_lock:
        _valid_keys.pop(key_hash, None)


def api_key_find(key_hash: str) -> ApiKey | None:
    """Return the unrevoked key with this hash, from the cache while it is fresh."""
    now = time.monotonic()
    cached = _valid_keys.get(key_hash)
    if cached is not None and cached[1] > now:
        return cached[0]
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )
    with _valid_keys_lock:
        if api_key is None:
            _valid_keys.pop(key_hash, None)
        else:
            _valid_keys[key_hash] = (api_key, now + settings.API_KEY_CACHE_SECONDS)
    return api_key
