"""`has_model_permission` returns what Django's `has_perm` returns, in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from catalog.selectors import has_model_permission

VIEW = "catalog.view_dataproduct"
ADD = "catalog.add_dataproduct"


def _user(name: str, **fields):
    return get_user_model().objects.create_user(name, **fields)


def _permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="catalog", codename=codename)


def _granted_directly():
    user = _user("direct")
    user.user_permissions.add(_permission("view_dataproduct"))
    return user


def _granted_through_group():
    user = _user("member")
    group = Group.objects.create(name="Auditors")
    group.permissions.add(_permission("view_dataproduct"))
    user.groups.add(group)
    return user


def _inactive_with_permission():
    user = _granted_directly()
    user.is_active = False
    user.save()
    return user


def _superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", "x")


def _inactive_superuser():
    user = _superuser()
    user.is_active = False
    user.save()
    return user


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: _user("nobody"),
        _granted_directly,
        _granted_through_group,
        _inactive_with_permission,
        _superuser,
        _inactive_superuser,
    ],
    ids=["none", "direct", "group", "inactive", "superuser", "inactive-superuser"],
)
@pytest.mark.parametrize("permission", [VIEW, ADD])
def test_matches_django_has_perm(db, make_user, permission):
    user = make_user()
    fresh = get_user_model().objects.get(pk=user.pk)

    assert has_model_permission(fresh, permission) == fresh.has_perm(permission)


def test_one_query_per_request(db, django_assert_num_queries):
    user = get_user_model().objects.get(pk=_granted_through_group().pk)

    with django_assert_num_queries(1):
        assert has_model_permission(user, VIEW)
        assert not has_model_permission(user, ADD)
