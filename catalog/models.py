"""Data products and what their owners promise about them.

A data product belongs to a domain and publishes lineage datasets through its
output ports. Ownership names users or groups in a role. An SLA, data contracts
and ML features describe what consumers may rely on; SLA status periods and
contract violations record how the product kept those promises, as computed
from the OpenLineage runs that wrote its datasets.

Who may see or change a product is decided in `catalog.selectors` and
`catalog.permissions`, never by a model method, so pages, API, search and
reports share one rule.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Left, Lower
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

# Maximum length of a description: a page of Markdown, not a document store.
DESCRIPTION_MAX_CHARS = 20_000
_description_length = MaxLengthValidator(DESCRIPTION_MAX_CHARS)


class Domain(models.Model):
    """A business area that owns data products (Finance, Marketing, ...)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(
        blank=True, default="", validators=[_description_length]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(
        blank=True, default="", validators=[_description_length]
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DataProduct(models.Model):
    class Lifecycle(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        DEPRECATED = "deprecated"
        RETIRED = "retired"

    class Classification(models.TextChoices):
        PUBLIC = "public"
        INTERNAL = "internal"
        CONFIDENTIAL = "confidential"
        RESTRICTED = "restricted"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="products"
    )
    # Markdown, rendered through `catalog.markdown.render`, which sanitises it.
    description = models.TextField(
        blank=True, default="", validators=[_description_length]
    )
    lifecycle = models.CharField(
        max_length=16, choices=Lifecycle.choices, default=Lifecycle.DRAFT
    )
    classification = models.CharField(
        max_length=16, choices=Classification.choices, default=Classification.INTERNAL
    )
    contains_personal_data = models.BooleanField(default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            # Serves "recently updated" on the catalog home.
            models.Index(fields=["-updated_at"], name="catalog_product_updated_idx"),
        ]

    def __str__(self):
        return self.name


class Ownership(models.Model):
    """A user or a group in a role on a product."""

    class Role(models.TextChoices):
        OWNER = "owner"
        STEWARD = "steward"
        TECHNICAL_CONTACT = "technical_contact", "technical contact"

    # Roles that may edit the product, approve access and receive its alerts.
    MANAGING_ROLES = (Role.OWNER, Role.STEWARD)

    product = models.ForeignKey(
        DataProduct, on_delete=models.CASCADE, related_name="ownerships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="product_ownerships",
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="product_ownerships",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="catalog_ownership_user_xor_group",
            ),
            models.UniqueConstraint(
                fields=["product", "role", "user"],
                condition=Q(user__isnull=False),
                name="catalog_ownership_user_uniq",
            ),
            models.UniqueConstraint(
                fields=["product", "role", "group"],
                condition=Q(group__isnull=False),
                name="catalog_ownership_group_uniq",
            ),
        ]

    def __str__(self):
        holder = self.user or self.group
        return f"{holder} ({self.role}) of {self.product}"


class OutputPort(models.Model):
    """A lineage dataset a product publishes.

    A dataset is published by at most one product, so the product that a
    consumer's input comes from is never ambiguous. The port always names the
    canonical dataset (symlinks resolved).
    """

    product = models.ForeignKey(
        DataProduct, on_delete=models.CASCADE, related_name="output_ports"
    )
    dataset = models.OneToOneField(
        "lineage.Dataset", on_delete=models.PROTECT, related_name="output_port"
    )
    description = models.TextField(
        blank=True, default="", validators=[_description_length]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.product}: {self.dataset}"


class ServiceLevel(models.Model):
    """What a product promises about its updates; every target is optional."""

    product = models.OneToOneField(
        DataProduct, on_delete=models.CASCADE, related_name="service_level"
    )
    # Maximum age of the last successful update of every output port.
    freshness = models.DurationField(null=True, blank=True)
    # When updates are expected, as a five-field cron expression in UTC.
    schedule = models.CharField(max_length=100, blank=True, default="")
    # Share of the time, in percent, that the product must be fresh.
    availability_target = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"SLA of {self.product}"


class SlaStatus(models.TextChoices):
    MET = "met"
    AT_RISK = "at_risk", "at risk"
    BREACHED = "breached"
    # No COMPLETE run has written a port yet, or no target is set.
    UNKNOWN = "unknown"


class SlaPeriod(models.Model):
    """A stretch of time during which a product's SLA had one status.

    The open period (`ended_at` null) is the current status. An evaluation that
    finds the same status writes nothing, so evaluating twice changes nothing.
    """

    product = models.ForeignKey(
        DataProduct, on_delete=models.CASCADE, related_name="sla_periods"
    )
    status = models.CharField(max_length=16, choices=SlaStatus.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # End of the last COMPLETE run that wrote the stalest port, when known.
    last_success_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(ended_at__isnull=True),
                name="catalog_sla_period_one_open",
            )
        ]
        indexes = [
            # Serves attainment over a window: a product's periods by start.
            models.Index(
                fields=["product", "-started_at"], name="catalog_sla_period_idx"
            ),
        ]


class Feature(models.Model):
    """An ML feature a product serves, as a feature store would describe it."""

    class ValueType(models.TextChoices):
        INT32 = "int32"
        INT64 = "int64"
        FLOAT32 = "float32"
        FLOAT64 = "float64"
        STRING = "string"
        BYTES = "bytes"
        BOOL = "bool"
        TIMESTAMP = "timestamp"
        INT64_LIST = "int64_list", "list of int64"
        FLOAT32_LIST = "float32_list", "list of float32"
        FLOAT64_LIST = "float64_list", "list of float64"
        STRING_LIST = "string_list", "list of string"

    product = models.ForeignKey(
        DataProduct, on_delete=models.CASCADE, related_name="features"
    )
    name = models.CharField(max_length=200)
    entity = models.CharField(max_length=200)
    join_keys = models.JSONField(default=list)
    value_type = models.CharField(max_length=16, choices=ValueType.choices)
    description = models.TextField(
        blank=True, default="", validators=[_description_length]
    )
    source_dataset = models.ForeignKey(
        "lineage.Dataset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="features",
    )
    source_column = models.CharField(max_length=500, blank=True, default="")
    # How old a served value may be.
    freshness = models.DurationField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name"], name="catalog_feature_uniq"
            )
        ]

    def __str__(self):
        return f"{self.product}: {self.name}"


class DataContract(models.Model):
    """One version of the schema an output port promises.

    `fields` has the shape of OpenLineage's SchemaDatasetFacet fields, plus
    `nullable`: [{"name", "type", "nullable", "fields": [...]}]. The newest
    version (highest semantic version) is the port's current contract.
    """

    class Compatibility(models.TextChoices):
        # Schema Registry's terms. The default, forward, protects the consumers
        # a product already has: they can read what the new version describes.
        FORWARD = "forward"
        # Consumers of the new version can read data of the previous one.
        BACKWARD = "backward"
        FULL = "full"
        NONE = "none"

    port = models.ForeignKey(
        OutputPort, on_delete=models.CASCADE, related_name="contracts"
    )
    version = models.CharField(max_length=50)
    version_major = models.PositiveIntegerField()
    version_minor = models.PositiveIntegerField()
    version_patch = models.PositiveIntegerField()
    compatibility = models.CharField(
        max_length=16, choices=Compatibility.choices, default=Compatibility.FORWARD
    )
    fields = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version_major", "-version_minor", "-version_patch"]
        constraints = [
            models.UniqueConstraint(
                fields=["port", "version"], name="catalog_contract_version_uniq"
            )
        ]

    def __str__(self):
        return f"{self.port} v{self.version}"


class ContractViolation(models.Model):
    """A breaking difference between an ingested schema and a port's contract."""

    class Kind(models.TextChoices):
        FIELD_REMOVED = "field_removed", "field removed"
        TYPE_CHANGED = "type_changed", "type changed"
        NULLABILITY_LOOSENED = "nullability_loosened", "nullability loosened"

    contract = models.ForeignKey(
        DataContract, on_delete=models.CASCADE, related_name="violations"
    )
    schema_version = models.ForeignKey(
        "lineage.SchemaVersion", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Dotted path of the field, nested fields included ("address.city").
    field_path = models.TextField()
    expected = models.TextField(blank=True, default="")
    actual = models.TextField(blank=True, default="")
    detected_at = models.DateTimeField()
    # Set when a later schema of the dataset no longer breaks the contract.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "schema_version", "kind", "field_path"],
                name="catalog_violation_uniq",
            )
        ]
        indexes = [
            # Serves the open violations of a product and of a dashboard.
            models.Index(
                fields=["contract"],
                condition=Q(resolved_at__isnull=True),
                name="catalog_violation_open_idx",
            ),
        ]


class Notification(models.Model):
    """A message to one user: shown in the portal and, when mail is set, sent."""

    class Kind(models.TextChoices):
        SLA_BREACH = "sla_breach", "SLA breach"
        UPSTREAM_SLA_BREACH = "upstream_sla_breach", "upstream SLA breach"
        CONTRACT_VIOLATION = "contract_violation", "contract violation"
        ACCESS_REQUEST = "access_request", "access request"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    product = models.ForeignKey(
        DataProduct,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    # Names the event notified about, so a retried job notifies once.
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="catalog_notification_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"], name="catalog_notification_idx"
            )
        ]


class DataProductUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's per-user permissions on a product, with a real foreign
    key so that visibility filters join on an index rather than on text ids."""

    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE)


class DataProductGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE)


# Search -------------------------------------------------------------------


class SearchDocument(models.Model):
    """One searchable thing (a product, a lineage dataset or an ML feature),
    derived from the catalog and lineage by `catalog.search.indexing`.

    Rows are rebuilt from their sources at any time (`rebuild_search_index`),
    so they hold no foreign key constraints: a deleted source leaves no error,
    only a row that the indexing services remove. Facet columns of a dataset
    are those of the product that publishes it, if any.
    """

    class Kind(models.TextChoices):
        PRODUCT = "product"
        DATASET = "dataset"
        FEATURE = "feature"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The pk of the DataProduct, lineage Dataset or Feature.
    object_id = models.BigIntegerField()
    # The product itself, the feature's product, or the product publishing the
    # dataset (null when none does).
    product = models.ForeignKey(
        DataProduct,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    domain = models.ForeignKey(
        Domain,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    title = models.TextField()
    # The dataset's namespace, or the name of a product's domain.
    subtitle = models.TextField(blank=True, default="")
    # The text that result snippets are cut from.
    body = models.TextField(blank=True, default="")
    classification = models.CharField(max_length=16, blank=True, default="")
    lifecycle = models.CharField(max_length=16, blank=True, default="")
    tags = ArrayField(models.TextField(), default=list)
    owners = ArrayField(models.TextField(), default=list)
    # Whether every signed-in user may see it: the product is neither a draft
    # nor restricted, or a dataset no product publishes.
    open_to_all = models.BooleanField()
    search_vector = SearchVectorField()
    # The lineage schema version a dataset's document was built from.
    schema_version_id = models.BigIntegerField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="catalog_search_doc_uniq"
            )
        ]
        indexes = [
            # Serves the full-text match (`search_vector @@ tsquery`).
            GinIndex(fields=["search_vector"], name="catalog_search_vector_idx"),
            # Serves suggestions whose title contains the typed text.
            GinIndex(
                OpClass(Lower("title"), name="gin_trgm_ops"),
                name="catalog_search_trgm_idx",
            ),
            # Serves suggestions whose title starts with the typed text. Cut to
            # 200 characters, because a B-tree entry fails past about 2.7 kB and
            # dataset names can be of any length.
            models.Index(
                OpClass(Left(Lower("title"), 200), name="text_pattern_ops"),
                name="catalog_search_prefix_idx",
            ),
            # Serves the documents of one product, rewritten when it changes.
            models.Index(fields=["product"], name="catalog_search_product_idx"),
            # Serve the tag and owner filters, combined with the text match.
            GinIndex(fields=["tags"], name="catalog_search_tags_idx"),
            GinIndex(fields=["owners"], name="catalog_search_owners_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}: {self.title}"
