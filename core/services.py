import hashlib
import logging
import secrets

from django.db import transaction
from django.utils import timezone

from core.models import ApiKey
from core.selectors import forget_api_key

logger = logging.getLogger(__name__)

KEY_PREFIX = "gk_"


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], user=None) -> tuple[ApiKey, str]:
    """Create an API key and return it with the raw key, which is never stored.

    A key with `user` acts as that user; `catalog:write` needs one, because
    catalog changes are allowed per person.
    """
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if unknown:
        raise ValueError(
            f"Unknown scope {', '.join(unknown)}: use one of "
            f"{', '.join(ApiKey.Scope.values)}."
        )
    if ApiKey.Scope.CATALOG_WRITE in scopes and user is None:
        raise ValueError("The catalog:write scope needs a user for the key to act as.")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name,
        user=user,
        scopes=sorted(set(scopes)),
        prefix=raw_key[:10],
        key_hash=hash_api_key(raw_key),
    )
    logger.info("Created API key %s (%s) with scopes %s", api_key.pk, name, scopes)
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key: at once in this process, within API_KEY_CACHE_SECONDS in others."""
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    forget_api_key(api_key.key_hash)
    logger.info("Revoked API key %s", api_key.pk)
