from rest_framework.permissions import BasePermission

from core.models import ApiKey


def scope_permission(scope: str) -> type[BasePermission]:
    """Build a permission that lets in an API key with `scope` or a logged-in user."""

    class HasScope(BasePermission):
        message = f"This API key lacks the {scope} scope."

        def has_permission(self, request, view):
            if isinstance(request.auth, ApiKey):
                return request.auth.has_scope(scope)
            return bool(request.user and request.user.is_authenticated)

    HasScope.__name__ = f"HasScope_{scope.replace(':', '_')}"
    return HasScope
