"""The demo catalog: products over the datasets of the lineage demo estate.

Four domains publish five products, owned and stewarded by demo users in each
persona (owner, steward, consumer, auditor), so every page and rule can be
tried. Loading twice changes nothing. Datasets the lineage demo did not send
(it failed or was skipped) are left out of the ports.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from catalog import services
from catalog.models import DataProduct, Domain, Ownership
from catalog.selectors import canonical_dataset
from catalog.sla import service_level_set
from lineage.demo import datasets as demo

logger = logging.getLogger(__name__)

DATA_OWNERS_GROUP = "Data owners"

# username -> (persona, first name)
DEMO_USERS = {
    "olivia": ("owner", "Olivia"),
    "sam": ("steward", "Sam"),
    "casey": ("consumer", "Casey"),
    "alex": ("auditor", "Alex"),
}

DOMAINS = {
    "Sales": "Orders, customers and what they buy.",
    "Marketing": "Campaigns and the revenue they bring.",
    "Finance": "Revenue reporting for the finance team.",
    "Machine learning": "Features and predictions for the models.",
}


@dataclass(frozen=True)
class DemoProduct:
    name: str
    domain: str
    description: str
    ports: tuple
    lifecycle: str = DataProduct.Lifecycle.PUBLISHED
    classification: str = DataProduct.Classification.INTERNAL
    personal_data: bool = False
    tags: tuple = ()
    stewards: tuple = ()
    freshness: timedelta | None = None
    schedule: str = ""
    availability: Decimal | None = None


PRODUCTS = (
    DemoProduct(
        "Sales orders",
        "Sales",
        "Completed orders of the web shop, **one row per order**, with the "
        "customer who placed them.\n\nRefreshed every night by the `sales_daily` "
        "DAG.",
        ports=(demo.FCT_ORDERS, demo.ORDERS_ENRICHED),
        tags=("sales", "orders", "gold"),
        stewards=("sam",),
        freshness=timedelta(days=30),
        schedule="0 2 * * *",
        availability=Decimal("99.0"),
    ),
    DemoProduct(
        "Campaign performance",
        "Marketing",
        "Revenue attributed to each campaign, against its budget.",
        ports=(demo.CAMPAIGN_PERFORMANCE,),
        tags=("marketing", "attribution"),
        freshness=timedelta(hours=26),
        schedule="0 4 * * *",
        availability=Decimal("95.0"),
    ),
    DemoProduct(
        "Daily revenue",
        "Finance",
        "Revenue per day and customer segment, and the CSV report sent to finance.",
        ports=(demo.REVENUE_DAILY, demo.REVENUE_REPORT),
        classification=DataProduct.Classification.CONFIDENTIAL,
        tags=("finance", "revenue"),
        stewards=("sam",),
        freshness=timedelta(days=7),
        schedule="30 5 * * *",
        availability=Decimal("99.5"),
    ),
    DemoProduct(
        "Customer features",
        "Machine learning",
        "Features of each customer for the churn and lifetime-value models.",
        ports=(demo.CUSTOMER_FEATURES,),
        classification=DataProduct.Classification.RESTRICTED,
        personal_data=True,
        tags=("ml", "features", "pii"),
        freshness=timedelta(days=2),
    ),
    DemoProduct(
        "Customer lifetime value",
        "Machine learning",
        "Predicted lifetime value per customer. Not deployed yet.",
        ports=(demo.CUSTOMER_LIFETIME_VALUE,),
        lifecycle=DataProduct.Lifecycle.DRAFT,
        personal_data=True,
        tags=("ml",),
    ),
)


def _users(password: str) -> dict:
    owners, _ = Group.objects.get_or_create(name=DATA_OWNERS_GROUP)
    owners.permissions.add(Permission.objects.get(codename="add_dataproduct"))
    users = {}
    for username, (persona, first_name) in DEMO_USERS.items():
        user, _ = get_user_model().objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "email": f"{username}@localhost"},
        )
        user.set_password(password)
        user.save()
        if persona == "owner":
            user.groups.add(owners)
        if persona == "auditor":
            user.user_permissions.add(
                Permission.objects.get(codename="view_dataproduct")
            )
        users[username] = user
    return users


@transaction.atomic
def load_demo_catalog(*, password: str) -> list[DataProduct]:
    """Create the demo users (all with `password`), domains and products."""
    users = _users(password)
    domains = {}
    for name, description in DOMAINS.items():
        domains[name] = Domain.objects.filter(name=name).first() or (
            services.domain_create(name=name, description=description)
        )
    created = []
    for spec in PRODUCTS:
        if DataProduct.objects.filter(name=spec.name).exists():
            continue
        product = services.product_create(
            name=spec.name,
            domain=domains[spec.domain],
            created_by=users["olivia"],
            description=spec.description,
            lifecycle=spec.lifecycle,
            classification=spec.classification,
            contains_personal_data=spec.personal_data,
            tags=spec.tags,
        )
        for username in spec.stewards:
            services.ownership_add(
                product=product, role=Ownership.Role.STEWARD, user=users[username]
            )
        for table in spec.ports:
            dataset = canonical_dataset(table.namespace, table.name)
            if dataset is not None:
                services.output_port_add(
                    product=product, dataset=dataset, description=table.description
                )
        if spec.freshness or spec.schedule:
            service_level_set(
                product=product,
                freshness=spec.freshness,
                schedule=spec.schedule,
                availability_target=spec.availability,
            )
        created.append(product)
    logger.info("Loaded the demo catalog: %s new products", len(created))
    return created
