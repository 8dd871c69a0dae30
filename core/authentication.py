from rest_framework import authentication, exceptions

from core.models import ApiKey
from core.selectors import api_key_find
from core.services import hash_api_key


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

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def get_all_permissions(self, obj=None) -> set:
        return set()


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
        api_key = api_key_find(hash_api_key(raw_key))
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is invalid or revoked.")
        if api_key.user_id is not None:
            if not api_key.user.is_active:
                raise exceptions.AuthenticationFailed("The API key's user is inactive.")
            return api_key.user, api_key
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
