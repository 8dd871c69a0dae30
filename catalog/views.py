"""The catalog's home, domain pages and the owner dashboard.

Every page requires a logged-in user and lists only the products that
`products_visible_to` lets them see. The product page and the forms that
change products live in `catalog.product_views` and `catalog.edit_views`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog import page_selectors
from catalog.access import notifications_mark_read
from catalog.models import Domain
from catalog.permissions import can_register_product


@login_required
def home(request):
    context = {
        "domains": page_selectors.domains_with_counts(request.user),
        "recent_products": page_selectors.recently_updated(request.user),
        "my_products": page_selectors.my_products(request.user),
        "can_register": can_register_product(request.user),
    }
    return render(request, "catalog/home.html", context)


@login_required
def domain_detail(request, slug: str):
    domain = get_object_or_404(Domain, slug=slug)
    context = {
        "domain": domain,
        "products": page_selectors.domain_products(request.user, domain),
        "can_register": can_register_product(request.user),
    }
    return render(request, "catalog/domain_detail.html", context)


@login_required
def dashboard(request):
    context = {"dashboard": page_selectors.dashboard(request.user)}
    return render(request, "catalog/dashboard.html", context)


def _notification_ids(request) -> list[int] | None:
    """Read the notification ids the form names. None means every unread one."""
    if request.POST.get("all"):
        return None
    values = request.POST.getlist("notification")
    # Anything but a database id (a bigint) can name no notification.
    return [
        int(value)
        for value in values
        if value.isascii() and value.isdigit() and len(value) <= 18
    ]


@login_required
@require_POST
def notifications_read(request):
    count = notifications_mark_read(
        recipient=request.user, notification_ids=_notification_ids(request)
    )
    noun = "notification" if count == 1 else "notifications"
    messages.success(request, f"Marked {count} {noun} as read.")
    return redirect("catalog:dashboard")
