from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """A credential for pipelines and tools calling the REST API.

    Only the SHA-256 of the key is stored: the key itself is printed once when it
    is created. Keys are long random strings, so a fast hash is enough.

    A key made for a user acts as that user, with that user's permissions on
    catalog objects; a key for no user (a pipeline's) has its scopes only.
    """

    class Scope(models.TextChoices):
        LINEAGE_WRITE = "lineage:write", "Send OpenLineage events"
        READ = "read", "Read the catalog and lineage"
        CATALOG_WRITE = "catalog:write", "Change the catalog as the key's user"

    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    scopes = models.JSONField(default=list)
    prefix = models.CharField(
        max_length=12, help_text="Start of the key, to recognise it."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return self.revoked_at is None and scope in self.scopes
