"""The data-trust pages of a product and of a domain.

Both require a signed-in user. A product the user may not see is not found, and
a domain's page counts only the products the user may see.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from catalog.models import Domain
from catalog.selectors import products_visible_to
from catalog.trust import AttainmentChart, domain_trust, product_trust


@login_required
def product_trust_page(request, slug: str):
    product = get_object_or_404(
        products_visible_to(request.user).select_related("domain"), slug=slug
    )
    trust = product_trust(product)
    context = {
        "product": product,
        "trust": trust,
        "attainment": AttainmentChart(trust.attainment, trust.availability_target),
    }
    return render(request, "catalog/trust_product.html", context)


@login_required
def domain_trust_page(request, slug: str):
    domain = get_object_or_404(Domain, slug=slug)
    trust = domain_trust(domain, products_visible_to(request.user))
    context = {"domain": domain, "trust": trust}
    return render(request, "catalog/trust_domain.html", context)
