"""Migration 0004 recomputes pen-name keys; look-alikes that existed before get renamed."""

import importlib

import pytest
from django.apps import apps

from fanfold.accounts.models import Profile, User
from fanfold.lib.names import fold, name_key

pytestmark = pytest.mark.django_db

migration = importlib.import_module("fanfold.accounts.migrations.0004_recompute_pen_name_keys")


def old_profile(pen_name: str, **user_fields) -> Profile:
    """A profile as stored before look-alikes were folded (the old key: NFKC + casefold)."""
    user = User.objects.create(username=f"u-{fold(pen_name)}-{User.objects.count()}", **user_fields)
    [profile] = Profile.objects.bulk_create(
        [Profile(user=user, pen_name=pen_name, pen_name_key=fold(pen_name))]
    )
    return profile


def test_keys_are_recomputed_and_the_later_look_alike_is_renamed():
    first = old_profile("Spike")
    imported = old_profile("Ѕpike", legacy_uid=77)  # Cyrillic Ѕ, an imported member
    local = old_profile("Spіke")  # Cyrillic і, a local member
    other = old_profile("Willow")

    migration.recompute(apps, None)

    for profile in (first, imported, local, other):
        profile.refresh_from_db()
    assert first.pen_name == "Spike" and first.pen_name_key == "spike"
    assert imported.pen_name == "Ѕpike (77)"
    assert imported.legacy == {"former_pen_name": "Ѕpike"}
    assert local.pen_name == f"Spіke ({local.user_id})"
    assert other.pen_name == "Willow" and other.pen_name_sort == "willow"
    assert len({p.pen_name_key for p in Profile.objects.all()}) == 4
    assert all(p.pen_name_key == name_key(p.pen_name) for p in Profile.objects.all())


def test_a_key_that_was_another_rows_old_key_does_not_collide():
    # "B0b"'s old key is "b0b"; a member literally named "b0b" is renamed, not crashed into.
    old_profile("Bob")
    old_profile("b0b")
    migration.recompute(apps, None)
    assert sorted(Profile.objects.values_list("pen_name", flat=True))[0] == "Bob"
