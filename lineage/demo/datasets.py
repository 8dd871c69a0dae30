"""The datasets of the demo estate: sources, lake paths, Hive tables, a report."""

from dataclasses import dataclass

from openlineage.client.facet_v2 import (
    datasource_dataset,
    documentation_dataset,
    ownership_dataset,
    schema_dataset,
    symlinks_dataset,
)

SHOP_DB = "postgres://shop-db.acme.internal:5432"
CRM_DB = "postgres://crm-db.acme.internal:5432"
LAKE = "s3://acme-lake"
REPORTS = "s3://acme-reports"
HIVE = "hive://metastore.acme.internal:9083"


def _field(name, type_, description=None, *children):
    return schema_dataset.SchemaDatasetFacetFields(
        name=name, type=type_, description=description, fields=list(children)
    )


@dataclass(frozen=True)
class Table:
    namespace: str
    name: str
    description: str
    owner: str
    fields: tuple = ()
    # Another identifier of the same data: the Hive table over an S3 path.
    symlink: tuple[str, str] | None = None

    def facets(self) -> dict:
        facets = {
            "dataSource": datasource_dataset.DatasourceDatasetFacet(
                name=self.namespace, uri=self.namespace
            ),
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=self.description, contentType="text/markdown"
            ),
            "ownership": ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name=self.owner, type="MAINTAINER")]
            ),
        }
        if self.fields:
            facets["schema"] = schema_dataset.SchemaDatasetFacet(
                fields=list(self.fields)
            )
        if self.symlink:
            namespace, name = self.symlink
            identifier = symlinks_dataset.Identifier(
                namespace=namespace, name=name, type="TABLE"
            )
            facets["symlinks"] = symlinks_dataset.SymlinksDatasetFacet(
                identifiers=[identifier]
            )
        return facets


ADDRESS = _field(
    "address",
    "STRUCT",
    "Postal address.",
    _field("street", "VARCHAR"),
    _field("city", "VARCHAR"),
    _field("postal_code", "VARCHAR"),
    _field("country", "CHAR(2)", "ISO 3166-1 alpha-2."),
)
ORDERS = Table(
    SHOP_DB,
    "shop.public.orders",
    "Orders placed in the web shop, one row per order.",
    "team:sales-engineering",
    (
        _field("order_id", "BIGINT", "Primary key."),
        _field("customer_id", "BIGINT"),
        _field("ordered_at", "TIMESTAMPTZ"),
        _field("amount", "NUMERIC(12,2)", "Total in EUR, VAT included."),
        _field("status", "VARCHAR"),
    ),
)
CUSTOMERS = Table(
    SHOP_DB,
    "shop.public.customers",
    "Web shop customers.",
    "team:sales-engineering",
    (
        _field("customer_id", "BIGINT", "Primary key."),
        _field("email", "VARCHAR", "Personal data."),
        _field("segment", "VARCHAR"),
        ADDRESS,
    ),
)
CAMPAIGNS = Table(
    CRM_DB,
    "crm.public.campaigns",
    "Marketing campaigns and their budgets.",
    "team:marketing-ops",
    (
        _field("campaign_id", "BIGINT"),
        _field("channel", "VARCHAR"),
        _field("budget", "NUMERIC(12,2)"),
        _field("start_date", "DATE"),
        _field("end_date", "DATE"),
    ),
)
TOUCHES = Table(
    CRM_DB,
    "crm.public.campaign_touches",
    "Each contact between a campaign and a customer.",
    "team:marketing-ops",
    (
        _field("campaign_id", "BIGINT"),
        _field("customer_id", "BIGINT"),
        _field("touched_at", "TIMESTAMPTZ"),
    ),
)
CONSENTS = Table(
    CRM_DB,
    "crm.public.consents",
    "Marketing consents given and withdrawn by customers.",
    "team:privacy",
    (
        _field("customer_id", "BIGINT"),
        _field("purpose", "VARCHAR"),
        _field("given_at", "TIMESTAMPTZ"),
        _field("withdrawn_at", "TIMESTAMPTZ"),
    ),
)


def _raw_copy(source: Table, path: str, symlink: str | None = None) -> Table:
    return Table(
        LAKE,
        path,
        f"Daily copy of `{source.name}`, as Parquet.",
        "team:data-platform",
        source.fields,
        (HIVE, symlink) if symlink else None,
    )


def _hive_view(table: Table) -> Table:
    """Return the Hive table that a symlinked S3 path is read through."""
    namespace, name = table.symlink
    return Table(namespace, name, table.description, table.owner, table.fields)


RAW_ORDERS = _raw_copy(ORDERS, "raw/sales/orders")
RAW_CUSTOMERS = _raw_copy(CUSTOMERS, "raw/sales/customers")
RAW_CAMPAIGNS = _raw_copy(CAMPAIGNS, "raw/marketing/campaigns", "raw.campaigns")
RAW_TOUCHES = _raw_copy(TOUCHES, "raw/marketing/campaign_touches")
ORDERS_ENRICHED = Table(
    LAKE,
    "curated/sales/orders_enriched",
    "Orders joined with the customer who placed them.",
    "team:sales-analytics",
    (
        _field("order_id", "BIGINT"),
        _field("ordered_at", "TIMESTAMP"),
        _field("amount", "DECIMAL(12,2)"),
        _field(
            "customer",
            "STRUCT",
            None,
            _field("customer_id", "BIGINT"),
            _field("segment", "STRING"),
            _field("country", "STRING"),
        ),
    ),
    (HIVE, "curated.orders_enriched"),
)
CUSTOMER_FEATURES = Table(
    LAKE,
    "features/customer_ltv",
    "Features for the churn and lifetime-value models, one row per customer.",
    "team:ml-platform",
    (
        _field("customer_id", "BIGINT"),
        _field(
            "features",
            "STRUCT",
            None,
            _field("orders_90d", "INT"),
            _field("revenue_90d", "DECIMAL(12,2)"),
            _field("touches_90d", "INT"),
        ),
    ),
    (HIVE, "features.customer_ltv"),
)
# Readers name the symlinked datasets by their Hive table, writers by their path.
RAW_CAMPAIGNS_TABLE = _hive_view(RAW_CAMPAIGNS)
ORDERS_ENRICHED_TABLE = _hive_view(ORDERS_ENRICHED)
CUSTOMER_FEATURES_TABLE = _hive_view(CUSTOMER_FEATURES)
CHURN_MODEL = Table(
    LAKE, "models/churn", "The trained churn model (MLflow format).", "team:ml-platform"
)
FCT_ORDERS = Table(
    HIVE,
    "analytics.fct_orders",
    "Completed orders, the fact table of sales reporting.",
    "team:analytics-engineering",
    (
        _field("order_id", "BIGINT"),
        _field("order_date", "DATE"),
        _field("customer_id", "BIGINT"),
        _field("segment", "STRING"),
        _field("amount", "DECIMAL(12,2)"),
    ),
)
CAMPAIGN_PERFORMANCE = Table(
    HIVE,
    "analytics.campaign_performance",
    "Revenue attributed to each campaign against its budget.",
    "team:marketing-analytics",
    (
        _field("campaign_id", "BIGINT"),
        _field("channel", "STRING"),
        _field("attributed_revenue", "DECIMAL(14,2)"),
        _field("budget", "DECIMAL(12,2)"),
    ),
)
REVENUE_DAILY = Table(
    HIVE,
    "analytics.revenue_daily",
    "Revenue per day and customer segment, the source of the finance report.",
    "team:finance-analytics",
    (
        _field("order_date", "DATE"),
        _field("segment", "STRING"),
        _field("revenue", "DECIMAL(14,2)"),
    ),
)
CUSTOMER_LIFETIME_VALUE = Table(
    HIVE,
    "analytics.customer_lifetime_value",
    "Predicted lifetime value per customer (model not deployed yet).",
    "team:ml-platform",
    (_field("customer_id", "BIGINT"), _field("predicted_ltv", "DECIMAL(14,2)")),
)
REVENUE_REPORT = Table(
    REPORTS,
    "finance/revenue_daily.csv",
    "Daily revenue report sent to the finance team.",
    "team:finance",
)
