"""Notifications to the people responsible for a product.

Each notification is stored (the portal shows it) and mailed when the user has
an address. `dedupe_key` names what is notified about, so a job that runs
twice, or is retried, notifies each person once.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from catalog.models import DataProduct, Notification, Ownership

logger = logging.getLogger(__name__)


def product_managers(product: DataProduct):
    """Active users who own or steward the product, directly or through a group."""
    holders = Ownership.objects.filter(
        product=product, role__in=Ownership.MANAGING_ROLES
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(pk__in=holders.values("user_id"))
            | Q(groups__in=holders.values("group_id"))
        )
        .distinct()
    )


@transaction.atomic
def notify_product_managers(
    *, product: DataProduct, kind: str, subject: str, body: str, dedupe_key: str
) -> list[Notification]:
    """Notify the product's owners and stewards; return the new notifications."""
    created = []
    for user in product_managers(product):
        notification, is_new = Notification.objects.get_or_create(
            recipient=user,
            dedupe_key=dedupe_key,
            defaults={
                "kind": kind,
                "product": product,
                "subject": subject,
                "body": body,
            },
        )
        if is_new:
            created.append(notification)
    for notification in created:
        transaction.on_commit(lambda n=notification: _mail(n))
    logger.info(
        "Notified %s people about %s of product %s",
        len(created),
        kind,
        product.pk,
    )
    return created


def _mail(notification: Notification) -> None:
    address = notification.recipient.email
    if not address:
        return
    try:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
    except Exception:  # noqa: BLE001 - the notification is still in the portal
        logger.exception(
            "Could not mail notification %s to user %s",
            notification.pk,
            notification.recipient_id,
        )
