"""The jobs of the demo estate: Airflow DAGs and tasks, Spark apps, dbt models."""

from dataclasses import dataclass, field

from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    documentation_job,
    job_type_job,
    ownership_job,
    sql_job,
)

from lineage.demo.datasets import (
    CAMPAIGN_PERFORMANCE,
    CAMPAIGNS,
    CHURN_MODEL,
    CUSTOMER_FEATURES,
    CUSTOMER_FEATURES_TABLE,
    CUSTOMER_LIFETIME_VALUE,
    CUSTOMERS,
    FCT_ORDERS,
    ORDERS,
    ORDERS_ENRICHED,
    ORDERS_ENRICHED_TABLE,
    RAW_CAMPAIGNS,
    RAW_CAMPAIGNS_TABLE,
    RAW_CUSTOMERS,
    RAW_ORDERS,
    RAW_TOUCHES,
    REVENUE_DAILY,
    REVENUE_REPORT,
    TOUCHES,
    Table,
)

AIRFLOW = "airflow-prod"
SPARK = "spark-prod"
DBT = "dbt-analytics"

# Transformation subtypes of the ColumnLineageDatasetFacet that are INDIRECT:
# the input decides which rows count, not the value itself.
INDIRECT_SUBTYPES = {"JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"}


@dataclass(frozen=True)
class JobSpec:
    namespace: str
    name: str
    integration: str
    job_type: str
    description: str
    owner: str
    inputs: tuple[Table, ...] = ()
    outputs: tuple[Table, ...] = ()
    sql: str | None = None
    # Of the first output: {output field: [(input table, input field, subtype)]}.
    column_lineage: dict = field(default_factory=dict)
    # A Spark application a task submits, run as the task's child.
    submits: "JobSpec | None" = None
    # Seconds a run takes, give or take a fifth.
    duration: int = 90

    def facets(self) -> dict:
        facets = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH",
                integration=self.integration,
                jobType=self.job_type,
            ),
            "documentation": documentation_job.DocumentationJobFacet(
                description=self.description
            ),
            "ownership": ownership_job.OwnershipJobFacet(
                owners=[ownership_job.Owner(name=self.owner, type="MAINTAINER")]
            ),
        }
        if self.sql:
            facets["sql"] = sql_job.SQLJobFacet(query=self.sql, dialect="spark")
        return facets

    def column_lineage_facet(self):
        if not self.column_lineage:
            return None
        fields = {
            output_field: column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=table.namespace,
                        name=table.name,
                        field=input_field,
                        transformations=[_transformation(subtype)],
                    )
                    for table, input_field, subtype in inputs
                ]
            )
            for output_field, inputs in self.column_lineage.items()
        }
        return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)


def _transformation(subtype: str):
    return column_lineage_dataset.Transformation(
        type="INDIRECT" if subtype in INDIRECT_SUBTYPES else "DIRECT",
        subtype=subtype,
    )


@dataclass(frozen=True)
class Pipeline:
    """A DAG or a dbt build: stages run one after another, tasks in a stage at once."""

    job: JobSpec
    start_hour: int
    stages: tuple[tuple[JobSpec, ...], ...]


def _dag(name: str, description: str, owner: str) -> JobSpec:
    return JobSpec(AIRFLOW, name, "AIRFLOW", "DAG", description, owner)


def _task(dag: str, task: str, description: str, owner: str, **kwargs) -> JobSpec:
    return JobSpec(
        AIRFLOW, f"{dag}.{task}", "AIRFLOW", "TASK", description, owner, **kwargs
    )


def _model(name: str, description: str, owner: str, **kwargs) -> JobSpec:
    return JobSpec(
        DBT, f"analytics.{name}", "DBT", "MODEL", description, owner, **kwargs
    )


ORDERS_ENRICHMENT = JobSpec(
    SPARK,
    "orders_enrichment",
    "SPARK",
    "JOB",
    "Joins each order with the customer who placed it.",
    "team:sales-analytics",
    inputs=(RAW_ORDERS, RAW_CUSTOMERS),
    outputs=(ORDERS_ENRICHED,),
    column_lineage={
        "order_id": [(RAW_ORDERS, "order_id", "IDENTITY")],
        "ordered_at": [(RAW_ORDERS, "ordered_at", "TRANSFORMATION")],
        "amount": [(RAW_ORDERS, "amount", "IDENTITY")],
        "customer.customer_id": [
            (RAW_CUSTOMERS, "customer_id", "IDENTITY"),
            (RAW_ORDERS, "customer_id", "JOIN"),
        ],
        "customer.segment": [(RAW_CUSTOMERS, "segment", "IDENTITY")],
        "customer.country": [(RAW_CUSTOMERS, "address.country", "IDENTITY")],
    },
    duration=420,
)
CUSTOMER_FEATURES_APP = JobSpec(
    SPARK,
    "customer_features",
    "SPARK",
    "JOB",
    "Aggregates 90 days of orders and campaign touches per customer.",
    "team:ml-platform",
    inputs=(ORDERS_ENRICHED_TABLE, RAW_TOUCHES),
    outputs=(CUSTOMER_FEATURES,),
    column_lineage={
        "customer_id": [(ORDERS_ENRICHED_TABLE, "customer.customer_id", "IDENTITY")],
        "features.orders_90d": [
            (ORDERS_ENRICHED_TABLE, "order_id", "AGGREGATION"),
            (ORDERS_ENRICHED_TABLE, "ordered_at", "FILTER"),
        ],
        "features.revenue_90d": [(ORDERS_ENRICHED_TABLE, "amount", "AGGREGATION")],
        "features.touches_90d": [(RAW_TOUCHES, "touched_at", "AGGREGATION")],
    },
    duration=600,
)

FCT_ORDERS_MODEL = _model(
    "fct_orders",
    "Completed orders with their customer segment.",
    "team:analytics-engineering",
    sql="select order_id, cast(ordered_at as date) as order_date,\n"
    "       customer.customer_id, customer.segment, amount\n"
    "from curated.orders_enriched",
    inputs=(ORDERS_ENRICHED_TABLE,),
    outputs=(FCT_ORDERS,),
    column_lineage={
        "order_id": [(ORDERS_ENRICHED_TABLE, "order_id", "IDENTITY")],
        "order_date": [(ORDERS_ENRICHED_TABLE, "ordered_at", "TRANSFORMATION")],
        "customer_id": [(ORDERS_ENRICHED_TABLE, "customer.customer_id", "IDENTITY")],
        "segment": [(ORDERS_ENRICHED_TABLE, "customer.segment", "IDENTITY")],
        "amount": [(ORDERS_ENRICHED_TABLE, "amount", "IDENTITY")],
    },
)
CAMPAIGN_PERFORMANCE_MODEL = _model(
    "campaign_performance",
    "Revenue attributed to each campaign.",
    "team:marketing-analytics",
    sql="select c.campaign_id, c.channel, sum(o.amount) as attributed_revenue,\n"
    "       c.budget\n"
    "from raw.campaigns c join analytics.fct_orders o\n"
    "  on o.order_date between c.start_date and c.end_date\n"
    "group by c.campaign_id, c.channel, c.budget",
    inputs=(RAW_CAMPAIGNS_TABLE, FCT_ORDERS),
    outputs=(CAMPAIGN_PERFORMANCE,),
    column_lineage={
        "campaign_id": [(RAW_CAMPAIGNS_TABLE, "campaign_id", "IDENTITY")],
        "channel": [(RAW_CAMPAIGNS_TABLE, "channel", "IDENTITY")],
        "attributed_revenue": [
            (FCT_ORDERS, "amount", "AGGREGATION"),
            (RAW_CAMPAIGNS_TABLE, "campaign_id", "GROUP_BY"),
        ],
        "budget": [(RAW_CAMPAIGNS_TABLE, "budget", "IDENTITY")],
    },
)
REVENUE_DAILY_MODEL = _model(
    "revenue_daily",
    "Revenue per day and customer segment.",
    "team:finance-analytics",
    sql="select order_date, segment, sum(amount) as revenue\n"
    "from analytics.fct_orders group by order_date, segment",
    inputs=(FCT_ORDERS,),
    outputs=(REVENUE_DAILY,),
    column_lineage={
        "order_date": [(FCT_ORDERS, "order_date", "IDENTITY")],
        "segment": [(FCT_ORDERS, "segment", "IDENTITY")],
        "revenue": [
            (FCT_ORDERS, "amount", "AGGREGATION"),
            (FCT_ORDERS, "order_date", "GROUP_BY"),
        ],
    },
)
# Declared by a JobEvent only: the model is merged but has never run.
CUSTOMER_LIFETIME_VALUE_MODEL = _model(
    "customer_lifetime_value",
    "Predicted lifetime value per customer.",
    "team:ml-platform",
    sql="select f.customer_id, predict_ltv(f.features) as predicted_ltv\n"
    "from features.customer_ltv f",
    inputs=(CUSTOMER_FEATURES_TABLE, FCT_ORDERS),
    outputs=(CUSTOMER_LIFETIME_VALUE,),
)

SALES_DAILY = Pipeline(
    _dag(
        "sales_daily",
        "Copies the shop's orders and customers to the lake and enriches them.",
        "team:sales-engineering",
    ),
    start_hour=2,
    stages=(
        (
            _task(
                "sales_daily",
                "extract_orders",
                "Copies yesterday's orders to the lake.",
                "team:sales-engineering",
                inputs=(ORDERS,),
                outputs=(RAW_ORDERS,),
            ),
            _task(
                "sales_daily",
                "extract_customers",
                "Copies the customers to the lake.",
                "team:sales-engineering",
                inputs=(CUSTOMERS,),
                outputs=(RAW_CUSTOMERS,),
            ),
        ),
        (
            _task(
                "sales_daily",
                "enrich_orders",
                "Submits the orders_enrichment Spark application.",
                "team:sales-analytics",
                submits=ORDERS_ENRICHMENT,
            ),
        ),
    ),
)
MARKETING_DAILY = Pipeline(
    _dag(
        "marketing_daily",
        "Copies the CRM's campaigns and touches to the lake.",
        "team:marketing-ops",
    ),
    start_hour=2,
    stages=(
        (
            _task(
                "marketing_daily",
                "extract_campaigns",
                "Copies the campaigns to the lake.",
                "team:marketing-ops",
                inputs=(CAMPAIGNS,),
                outputs=(RAW_CAMPAIGNS,),
            ),
            _task(
                "marketing_daily",
                "extract_touches",
                "Copies yesterday's campaign touches to the lake.",
                "team:marketing-ops",
                inputs=(TOUCHES,),
                outputs=(RAW_TOUCHES,),
            ),
        ),
    ),
)
DBT_BUILD = Pipeline(
    JobSpec(
        DBT,
        "dbt_build",
        "DBT",
        "JOB",
        "`dbt build` of the analytics project.",
        "team:analytics-engineering",
    ),
    start_hour=3,
    stages=(
        (FCT_ORDERS_MODEL,),
        (CAMPAIGN_PERFORMANCE_MODEL, REVENUE_DAILY_MODEL),
    ),
)
EXPORT_REVENUE = _task(
    "finance_reporting",
    "export_revenue",
    "Writes the daily revenue report for the finance team.",
    "team:finance",
    inputs=(REVENUE_DAILY,),
    outputs=(REVENUE_REPORT,),
)
FINANCE_REPORTING = Pipeline(
    _dag(
        "finance_reporting",
        "Publishes the daily revenue report.",
        "team:finance",
    ),
    start_hour=4,
    stages=((EXPORT_REVENUE,),),
)
TRAIN_CHURN_MODEL = _task(
    "ml_features",
    "train_churn_model",
    "Trains the churn model on the latest customer features.",
    "team:ml-platform",
    inputs=(CUSTOMER_FEATURES_TABLE,),
    outputs=(CHURN_MODEL,),
    duration=1800,
)
ML_FEATURES = Pipeline(
    _dag(
        "ml_features",
        "Builds the customer features and retrains the churn model.",
        "team:ml-platform",
    ),
    start_hour=5,
    stages=(
        (
            _task(
                "ml_features",
                "build_customer_features",
                "Submits the customer_features Spark application.",
                "team:ml-platform",
                submits=CUSTOMER_FEATURES_APP,
            ),
        ),
        (TRAIN_CHURN_MODEL,),
    ),
)

PIPELINES = (SALES_DAILY, MARKETING_DAILY, DBT_BUILD, FINANCE_REPORTING, ML_FEATURES)
