"""Pen-name keys now fold Unicode look-alikes (lib.names.name_key), so recompute them all.

Two members whose names were distinct before may now share a key ("Spike" and "Ѕpike"
with a Cyrillic Ѕ). The earlier account (lower id) keeps its name; each later one is
renamed "Name (uid)" — the eFiction uid when imported, else the account id, as the
importer does for clashes — and its former name is kept in `legacy["former_pen_name"]`.
"""

from django.db import migrations

from fanfold.lib.names import name_key, sort_key

KEY_LENGTH = 255


def recompute(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    profiles = list(Profile.objects.select_related("user").order_by("pk"))
    # First give every row a placeholder key, so no update collides with a stale key.
    for profile in profiles:
        profile.pen_name_key = f"TMP{profile.pk}"  # casefolded keys hold no capitals
    Profile.objects.bulk_update(profiles, ["pen_name_key"], batch_size=500)
    taken = set()
    for profile in profiles:
        key = name_key(profile.pen_name)[:KEY_LENGTH]
        if key in taken or not key:
            former = profile.pen_name
            uid = profile.user.legacy_uid or profile.user_id
            suffix = f" ({uid})"
            candidate = f"{former[: 100 - len(suffix)]}{suffix}"
            while name_key(candidate)[:KEY_LENGTH] in taken:
                suffix += "'"
                candidate = f"{former[: 100 - len(suffix)]}{suffix}"
            profile.pen_name = candidate
            profile.legacy = {**(profile.legacy or {}), "former_pen_name": former}
            key = name_key(candidate)[:KEY_LENGTH]
        taken.add(key)
        profile.pen_name_key = key
        profile.pen_name_sort = sort_key(profile.pen_name)[:200]
    Profile.objects.bulk_update(
        profiles, ["pen_name", "pen_name_key", "pen_name_sort", "legacy"], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_profile_fields_and_name_keys")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
