"""Forms that register and change products: details, owners and output ports.

A product the user cannot see is a 404, and one they see but may not manage is
a 403, before any form is read, so an unauthorised POST changes nothing.
Invalid input re-renders the page with the errors on their fields and status
400.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog import page_selectors, services
from catalog.forms import (
    OutputPortForm,
    OwnershipForm,
    ProductEditForm,
    ProductForm,
    apply_validation_error,
)
from catalog.models import DataProduct, OutputPort, Ownership
from catalog.permissions import (
    can_manage_product,
    can_register_product,
    check_role_change,
)

MAX_SEARCH_CHARS = 200


def _managed_product(request, slug: str) -> DataProduct:
    product = page_selectors.product_for_page(request.user, slug)
    if not can_manage_product(request.user, product):
        raise PermissionDenied("Only the product's owners and stewards may change it.")
    return product


def _render_edit_page(request, product: DataProduct, status: int = 200, **forms):
    dataset_q = request.GET.get("dataset_q", "")[:MAX_SEARCH_CHARS].replace("\x00", "")
    context = {
        "product": product,
        "product_form": forms.get("product_form")
        or ProductEditForm(initial=ProductEditForm.initial_for(product)),
        "ownership_form": forms.get("ownership_form") or OwnershipForm(),
        "port_form": forms.get("port_form") or OutputPortForm(),
        "role_holders": page_selectors.ownerships_by_role(product),
        "ports": page_selectors.ports_with_contracts(product),
        "dataset_q": dataset_q,
        "dataset_results": (
            page_selectors.datasets_to_link(dataset_q) if dataset_q else None
        ),
    }
    return render(request, "catalog/product_edit.html", context, status=status)


def _redirect_to_edit(product: DataProduct):
    return redirect("catalog:product-edit", slug=product.slug)


@login_required
def product_create(request):
    if not can_register_product(request.user):
        raise PermissionDenied("You may not register data products.")
    # The domain page's "Register a product" link names its domain.
    form = ProductForm(
        request.POST or None, initial={"domain": request.GET.get("domain")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product = services.product_create(
                name=data["name"],
                slug=data["slug"],
                domain=data["domain"],
                description=data["description"],
                lifecycle=data["lifecycle"],
                classification=data["classification"],
                contains_personal_data=data["contains_personal_data"],
                tags=form.cleaned_tags(),
                created_by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"Registered {product.name}. Link the datasets it publishes below.",
            )
            return _redirect_to_edit(product)
    status = 400 if form.is_bound else 200
    return render(request, "catalog/product_form.html", {"form": form}, status=status)


@login_required
def product_edit(request, slug: str):
    product = _managed_product(request, slug)
    if request.method != "POST":
        return _render_edit_page(request, product)

    form = ProductEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.product_update(
                product=product,
                name=data["name"],
                domain=data["domain"],
                description=data["description"],
                lifecycle=data["lifecycle"],
                classification=data["classification"],
                contains_personal_data=data["contains_personal_data"],
                tags=form.cleaned_tags(),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Saved the changes to {product.name}.")
            return redirect("catalog:product-detail", slug=product.slug)
    product.refresh_from_db()
    return _render_edit_page(request, product, status=400, product_form=form)


@login_required
@require_POST
def ownership_add(request, slug: str):
    product = _managed_product(request, slug)
    form = OwnershipForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        holder = data["holder"]
        is_user = data["holder_type"] == "user"
        check_role_change(request.user, product, data["role"])
        try:
            services.ownership_add(
                product=product,
                role=data["role"],
                user=holder if is_user else None,
                group=None if is_user else holder,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            role = Ownership.Role(data["role"]).label.lower()
            messages.success(request, f"Added {data['holder_name']} as {role}.")
            return _redirect_to_edit(product)
    return _render_edit_page(request, product, status=400, ownership_form=form)


@login_required
@require_POST
def ownership_remove(request, slug: str, pk: int):
    product = _managed_product(request, slug)
    ownership = get_object_or_404(
        Ownership.objects.select_related("user", "group"), pk=pk, product=product
    )
    holder = ownership.user or ownership.group
    check_role_change(request.user, product, ownership.role)
    try:
        services.ownership_remove(ownership=ownership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, extra_tags="danger")
        return _render_edit_page(request, product, status=400)
    role = Ownership.Role(ownership.role).label.lower()
    messages.success(request, f"Removed {holder} as {role}.")
    return _redirect_to_edit(product)


@login_required
@require_POST
def output_port_add(request, slug: str):
    product = _managed_product(request, slug)
    form = OutputPortForm(request.POST)
    if form.is_valid():
        try:
            port = services.output_port_add(
                product=product,
                dataset=form.cleaned_data["dataset"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Linked {port.dataset} as an output port.")
            return _redirect_to_edit(product)
    return _render_edit_page(request, product, status=400, port_form=form)


@login_required
@require_POST
def output_port_remove(request, slug: str, pk: int):
    product = _managed_product(request, slug)
    port = get_object_or_404(
        OutputPort.objects.select_related("dataset__namespace"),
        pk=pk,
        product=product,
    )
    services.output_port_remove(port=port)
    messages.success(request, f"Removed the output port {port.dataset}.")
    return _redirect_to_edit(product)
