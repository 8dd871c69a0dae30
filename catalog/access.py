"""Requests for access to a product, sent to its owners and stewards.

TODO: the governance app replaces this with an approval workflow, where
requests are approved, rejected or expire. Until then a request is only a
notification.
"""

import enum
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import DataProduct, Notification
from catalog.notifications import notify_product_managers, product_managers

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 2000


class AccessRequestOutcome(enum.Enum):
    SENT = "sent"
    # The same person already asked for this product today.
    ALREADY_SENT = "already_sent"
    NO_MANAGERS = "no_managers"


def _dedupe_key(product: DataProduct, requester) -> str:
    today = timezone.now().date().isoformat()
    return f"access-request:{product.pk}:{requester.pk}:{today}"


@transaction.atomic
def access_request_send(
    *, product: DataProduct, requester, reason: str
) -> AccessRequestOutcome:
    """Notify the product's owners and stewards, once per requester and day."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why you need access."})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError(
            {"reason": f"Keep the reason under {MAX_REASON_CHARS} characters."}
        )
    if not product_managers(product).exists():
        logger.warning("Access request to product %s: it has no managers", product.pk)
        return AccessRequestOutcome.NO_MANAGERS

    name = requester.get_full_name() or requester.get_username()
    created = notify_product_managers(
        product=product,
        kind=Notification.Kind.ACCESS_REQUEST,
        subject=f"{name} requests access to {product.name}",
        body=f"{name} requests access to the data product {product.name}.\n\n"
        f"Reason: {reason}",
        dedupe_key=_dedupe_key(product, requester),
    )
    if not created:
        return AccessRequestOutcome.ALREADY_SENT
    logger.info("User %s requested access to product %s", requester.pk, product.pk)
    return AccessRequestOutcome.SENT


@transaction.atomic
def notifications_mark_read(*, recipient, notification_ids=None) -> int:
    """Mark the recipient's unread notifications read: these ids, or all when None.

    Ids of other people's notifications match nothing, so they change nothing.
    """
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    count = unread.update(read_at=timezone.now())
    logger.info("User %s marked %s notifications read", recipient.pk, count)
    return count
