"""Forms of the catalog's pages.

They check the format of each field. The services in `catalog.services` check
the rules that span rows and do the writes. `apply_validation_error` puts a
service's ValidationError on the fields it names.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from catalog.access import MAX_REASON_CHARS
from catalog.models import DataProduct, Domain, Ownership
from catalog.selectors import canonical_dataset


def apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's error on the form: on the fields it names when the form
    has them, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class BootstrapForm(forms.Form):
    """A form whose widgets carry Bootstrap 5's classes, `is-invalid` included."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css_class = "form-check-input"
            elif isinstance(widget, forms.Select):
                css_class = "form-select"
            else:
                css_class = "form-control"
            widget.attrs["class"] = css_class

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs["class"]:
                    widget.attrs["class"] += " is-invalid"


class ProductForm(BootstrapForm):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=100,
        required=False,
        help_text="The product's address in the catalog, such as 'orders-daily'. "
        "Left empty, it is made from the name.",
    )
    domain = forms.ModelChoiceField(queryset=Domain.objects.order_by("name"))
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. Raw HTML is not rendered.",
    )
    lifecycle = forms.ChoiceField(
        choices=DataProduct.Lifecycle.choices,
        initial=DataProduct.Lifecycle.DRAFT,
        help_text="Drafts are seen only by the product's owners, stewards and "
        "technical contacts.",
    )
    classification = forms.ChoiceField(
        choices=DataProduct.Classification.choices,
        initial=DataProduct.Classification.INTERNAL,
        help_text="Restricted products are seen only by the people who hold a "
        "role on them or are granted access.",
    )
    contains_personal_data = forms.BooleanField(
        required=False, label="Contains personal data"
    )
    tags = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Comma-separated, such as 'sales, daily'.",
    )

    def cleaned_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


class ProductEditForm(ProductForm):
    """The product form without the slug: a product's address does not change."""

    slug = None

    @classmethod
    def initial_for(cls, product: DataProduct) -> dict:
        return {
            "name": product.name,
            "domain": product.domain_id,
            "description": product.description,
            "lifecycle": product.lifecycle,
            "classification": product.classification,
            "contains_personal_data": product.contains_personal_data,
            "tags": ", ".join(tag.name for tag in product.tags.all()),
        }


class OwnershipForm(BootstrapForm):
    HOLDER_CHOICES = [("user", "User"), ("group", "Group")]

    holder_type = forms.ChoiceField(
        choices=HOLDER_CHOICES, initial="user", label="User or group"
    )
    holder_name = forms.CharField(
        max_length=150, label="Name", help_text="A user name or a group name."
    )
    role = forms.ChoiceField(choices=Ownership.Role.choices)

    def clean(self):
        cleaned = super().clean()
        holder_type, name = cleaned.get("holder_type"), cleaned.get("holder_name")
        if not holder_type or not name:
            return cleaned
        if holder_type == "user":
            holder = get_user_model().objects.filter(username=name).first()
            missing = f"No user is named '{name}'."
        else:
            holder = Group.objects.filter(name=name).first()
            missing = f"No group is named '{name}'."
        if holder is None:
            self.add_error("holder_name", missing)
        cleaned["holder"] = holder
        return cleaned


class OutputPortForm(BootstrapForm):
    namespace = forms.CharField(
        max_length=1000,
        strip=False,
        help_text="The dataset's OpenLineage namespace, such as "
        "'postgres://db.example.com:5432'.",
    )
    name = forms.CharField(
        max_length=10000,
        strip=False,
        label="Dataset name",
        help_text="The dataset's OpenLineage name, such as 'public.orders'.",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        namespace, name = cleaned.get("namespace"), cleaned.get("name")
        if namespace is None or name is None:
            return cleaned
        dataset = canonical_dataset(namespace, name)
        if dataset is None:
            self.add_error(
                "name",
                f"No lineage dataset is named '{name}' in namespace "
                f"'{namespace}'. Send its OpenLineage events first.",
            )
        cleaned["dataset"] = dataset
        return cleaned


class AccessRequestForm(BootstrapForm):
    reason = forms.CharField(
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you need the data for. The product's owners and stewards "
        "read this.",
        error_messages={"required": "Say why you need access."},
    )
