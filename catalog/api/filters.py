"""Query parameters of the catalog's list endpoints (django-filter).

A value that cannot apply (an unknown choice, a domain or tag that does not
exist, a bad boolean) is rejected with 400 naming the parameter, so that a typo
does not pass for an empty result. Owners are matched by username without such
a check, so the filter does not tell which usernames exist.
"""

import django_filters
from django.db.models import Exists, OuterRef, Q

from catalog.models import DataProduct, Domain, Feature, Ownership, Tag

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


def _choice_error(choices) -> dict:
    values = ", ".join(value for value, _ in choices)
    return {"invalid_choice": f'"%(value)s" is not one of {values}.'}


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the primary key last, so that pages never overlap."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs


class ProductFilter(django_filters.FilterSet):
    domain = django_filters.ModelChoiceFilter(
        queryset=Domain.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": 'No domain has the slug "%(value)s".'},
        help_text="Slug of the domain.",
    )
    lifecycle = django_filters.ChoiceFilter(
        choices=DataProduct.Lifecycle.choices,
        error_messages=_choice_error(DataProduct.Lifecycle.choices),
    )
    classification = django_filters.ChoiceFilter(
        choices=DataProduct.Classification.choices,
        error_messages=_choice_error(DataProduct.Classification.choices),
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="tags",
        queryset=Tag.objects.all(),
        to_field_name="name",
        error_messages={"invalid_choice": 'No tag is named "%(value)s".'},
        help_text="Name of a tag the product has.",
    )
    owner = django_filters.CharFilter(
        method="filter_owner",
        max_length=150,
        help_text="Username of an owner, directly or through a group.",
    )
    contains_personal_data = django_filters.TypedChoiceFilter(
        choices=BOOLEAN_CHOICES,
        coerce=lambda value: value == "true",
        error_messages=_choice_error(BOOLEAN_CHOICES),
    )
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        max_length=200,
        help_text="Text the product's name contains, in any case.",
    )
    ordering = StableOrderingFilter(
        fields=["name", "updated_at", "created_at"],
        error_messages={
            "invalid_choice": '"%(value)s" is not one of name, updated_at, '
            "created_at, each optionally preceded by -."
        },
    )

    class Meta:
        model = DataProduct
        fields = []

    def filter_owner(self, queryset, name, username):
        owned = Ownership.objects.filter(
            product=OuterRef("pk"), role=Ownership.Role.OWNER
        ).filter(Q(user__username=username) | Q(group__user__username=username))
        return queryset.filter(Exists(owned))


class FeatureFilter(django_filters.FilterSet):
    product = django_filters.CharFilter(
        field_name="product__slug", max_length=100, help_text="Slug of the product."
    )
    entity = django_filters.CharFilter(max_length=200)
    value_type = django_filters.ChoiceFilter(
        choices=Feature.ValueType.choices,
        error_messages=_choice_error(Feature.ValueType.choices),
    )
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        max_length=200,
        help_text="Text the feature's name contains, in any case.",
    )
    ordering = StableOrderingFilter(
        fields=["name", "updated_at", "created_at"],
        error_messages={
            "invalid_choice": '"%(value)s" is not one of name, updated_at, '
            "created_at, each optionally preceded by -."
        },
    )

    class Meta:
        model = Feature
        fields = []
