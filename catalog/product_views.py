"""The product page and the "Request access" action on it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog import charts, page_cache, page_selectors
from catalog.access import AccessRequestOutcome, access_request_send
from catalog.forms import AccessRequestForm, apply_validation_error
from catalog.markdown import render as render_markdown
from catalog.models import DataProduct
from catalog.page_cache import ProductSections
from catalog.permissions import can_manage_product
from catalog.sla import current_sla_period
from catalog.trust import AttainmentChart, product_trust

ATTAINMENT_DAYS = 30

ACCESS_REQUEST_MESSAGES = {
    AccessRequestOutcome.SENT: "Your request was sent to the product's owners "
    "and stewards.",
    AccessRequestOutcome.ALREADY_SENT: "You already requested access to this "
    "product today: its owners and stewards have your request.",
    AccessRequestOutcome.NO_MANAGERS: "This product has no owners or stewards "
    "to send your request to. Ask an administrator.",
}


def _render_sections(product: DataProduct) -> ProductSections:
    """Render the sections that are the same for every reader (see page_cache)."""
    trust = product_trust(product, days=ATTAINMENT_DAYS)
    overview = {
        "product": product,
        "description_html": render_markdown(product.description),
        "role_holders": page_selectors.ownerships_by_role(product),
        "service_level": getattr(product, "service_level", None),
        "sla_period": current_sla_period(product),
        # The trust view has already read the attainment and its target.
        "attainment": AttainmentChart(trust.attainment, trust.availability_target),
    }
    ports = {"ports": page_selectors.ports_with_contracts(product)}
    features = {"features": page_selectors.product_features(product)}
    return ProductSections(
        overview_html=render_to_string("catalog/_product_overview.html", overview),
        ports_html=render_to_string("catalog/_product_ports.html", ports),
        features_html=render_to_string("catalog/_product_features.html", features),
        trust=trust,
    )


def _product_context(request, product: DataProduct, access_form=None) -> dict:
    can_manage = can_manage_product(request.user, product)
    sections = page_cache.product_sections(
        product.pk, lambda: _render_sections(product)
    )
    inputs, consumers = page_selectors.related_products(request.user, product)
    return {
        "product": product,
        "sections": sections,
        "trust": sections.trust_at(timezone.now()),
        "can_manage": can_manage,
        "input_products": inputs,
        "consumer_products": consumers,
        "graph": charts.product_graph(product, inputs, consumers),
        "access_form": None if can_manage else access_form or AccessRequestForm(),
    }


@login_required
def product_detail(request, slug: str):
    product = page_selectors.product_for_page(request.user, slug)
    context = _product_context(request, product)
    return render(request, "catalog/product_detail.html", context)


@login_required
@require_POST
def request_access(request, slug: str):
    product = page_selectors.product_for_page(request.user, slug)
    if can_manage_product(request.user, product):
        messages.info(request, "You already manage this product.")
        return redirect("catalog:product-detail", slug=product.slug)

    form = AccessRequestForm(request.POST)
    if form.is_valid():
        try:
            outcome = access_request_send(
                product=product,
                requester=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            level = messages.SUCCESS
            if outcome is AccessRequestOutcome.NO_MANAGERS:
                level = messages.WARNING
            messages.add_message(request, level, ACCESS_REQUEST_MESSAGES[outcome])
            return redirect("catalog:product-detail", slug=product.slug)

    context = _product_context(request, product, access_form=form)
    return render(request, "catalog/product_detail.html", context, status=400)
