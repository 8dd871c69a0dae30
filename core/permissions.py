from rest_framework.permissions import BasePermission

from core.models import ApiKey

READ_SCOPE = "read"


def scope_permission(scope: str) -> type[BasePermission]:
    """Build a permission for an API key with `scope`.

    A logged-in user (the web UI's session) may read; writes through the API,
    such as sending lineage, need an API key with the scope.
    """

    class HasScope(BasePermission):
        message = f"This API key lacks the {scope} scope."

        def has_permission(self, request, view):
            if isinstance(request.auth, ApiKey):
                return request.auth.has_scope(scope)
            if scope != READ_SCOPE:
                self.message = f"This needs an API key with the {scope} scope."
                return False
            return bool(request.user and request.user.is_authenticated)

    HasScope.__name__ = f"HasScope_{scope.replace(':', '_')}"
    return HasScope
