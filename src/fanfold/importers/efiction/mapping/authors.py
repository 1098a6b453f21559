"""Members: accounts, profiles, custom author fields and preferences.

eFiction keeps a member in four tables: `authors` (the account and profile),
`authorfields` (the extra profile fields its admins defined), `authorinfo` (each member's
values for them) and `authorprefs` (settings, admin level, trusted). Members are keyed by
`User.legacy_uid` and get the username `efiction~<uid>`; they sign in with their pen name.
"""

from functools import lru_cache
from urllib.parse import quote

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from fanfold.accounts.hashers import ALGORITHM as EFICTION_MD5
from fanfold.accounts.hashers import from_efiction
from fanfold.accounts.models import (
    ORPHAN_PEN_NAME,
    PEN_NAME_KEY_LENGTH,
    Preferences,
    Profile,
    ProfileField,
    ProfileFieldValue,
    User,
)
from fanfold.importers.efiction.steps import Step
from fanfold.importers.efiction.text import flag, number, when
from fanfold.importers.models import LegacyRecord
from fanfold.lib.markup import Format
from fanfold.lib.names import name_key

PEN_NAME_LENGTH = Profile._meta.get_field("pen_name").max_length
WEBSITE_LENGTH = Profile._meta.get_field("website").max_length
FIELD_NAME_LENGTH = ProfileField._meta.get_field("name").max_length
FIELD_VALUE_LENGTH = ProfileFieldValue._meta.get_field("value").max_length
EMAIL_LENGTH = User._meta.get_field("email").max_length


def username(uid: int) -> str:
    """The internal handle of an imported member: stable across runs and never a pen name."""
    return f"efiction~{uid}"


@lru_cache(maxsize=4096)
def _key(pen_name: str) -> str:
    """A pen name's clash key; each name is compared several times while it is settled."""
    return name_key(pen_name)[:PEN_NAME_KEY_LENGTH]


def _is_web_address(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def save_changes(objects: list, fields: list[str]) -> None:
    """Write `fields` of rows that already exist, in one statement.

    bulk_update builds a CASE expression per row and field, about a millisecond each, far
    too slow for big archives; an insert that updates on the primary-key conflict writes
    the same values at insert speed (SQLite and PostgreSQL check that key first).
    """
    if objects:
        type(objects[0]).objects.bulk_create(
            objects, update_conflicts=True, unique_fields=["pk"], update_fields=fields
        )


# --- authorfields ---------------------------------------------------------------------

# eFiction's field_type values (admin/authorfields.php in 3.5 and its display code):
# 1 a URL shown as a link; 2 a select list, its choices in field_options joined by "|#|";
# 3 a yes/no select (the value stored as "Yes"/"No"); 4 a link built from an id, the URL
# pattern in field_options with "{info}" where the id goes; 5 PHP code of the admin's own
# (field_code_in/out), which Fanfold never runs, so its values are shown as text;
# 6 plain text. Anything else is treated as text.
URL_FIELD, SELECT_FIELD, YES_NO_FIELD, ID_LINK_FIELD = 1, 2, 3, 4
CHOICE_SEPARATOR = "|#|"


def _id_link_pattern(field_type: int, options: str) -> str:
    """The URL pattern of an id-based link field, or "" when it cannot make a web address."""
    if field_type == ID_LINK_FIELD and "{info}" in options and _is_web_address(options):
        return options
    return ""


def _field_kind(field_type: int, options: str) -> str:
    if field_type == URL_FIELD or _id_link_pattern(field_type, options):
        return ProfileField.Kind.URL
    if field_type == SELECT_FIELD:
        return ProfileField.Kind.CHOICE
    if field_type == YES_NO_FIELD:
        return ProfileField.Kind.YES_NO
    return ProfileField.Kind.TEXT


def _choices(options: str) -> str:
    """A select list's choices one per line; a plain "|" also separates them, as some
    archives typed them by hand."""
    separator = CHOICE_SEPARATOR if CHOICE_SEPARATOR in options else "|"
    return "\n".join(choice.strip() for choice in options.split(separator) if choice.strip())


class AuthorFieldsStep(Step):
    """Custom author fields → ProfileField. Their raw definition (type, options, the PHP
    code of custom fields) is kept as a LegacyRecord, which the authorinfo step reads to
    build id-based links."""

    table = "authorfields"
    order_by = "field_id"
    mapped = frozenset({"field_id", "field_title", "field_on"})

    def import_batch(self, rows):
        existing = {
            field.legacy_field_id: field
            for field in ProfileField.objects.filter(
                legacy_field_id__in=[number(row["field_id"]) for row in rows]
            )
        }
        created, updated = [], []
        for row in rows:
            field_id = number(row["field_id"])
            if field_id <= 0:
                self.skip("author field without an id")
                continue
            definition = self.leftovers(row)
            field_type = number(row.get("field_type"))
            options = definition.get("field_options") or ""
            if field_type not in range(1, 7):
                self.ctx.report.notice(
                    "author field of unknown type",
                    f"field {field_id} has type {field_type}; imported as a text field",
                )
            field = existing.get(field_id) or ProfileField(legacy_field_id=field_id)
            field.name = (
                self.plain(row.get("field_title"))[:FIELD_NAME_LENGTH] or f"Field {field_id}"
            )
            field.kind = _field_kind(field_type, options)
            field.choices = _choices(options) if field.kind == ProfileField.Kind.CHOICE else ""
            field.order = field_id
            field.is_active = flag(row.get("field_on"))
            (updated if field.pk else created).append(field)
            LegacyRecord.objects.update_or_create(
                source_table=self.table, key=str(field_id), defaults={"data": definition}
            )
        ProfileField.objects.bulk_create(created)
        save_changes(updated, ["name", "kind", "choices", "order", "is_active"])
        self.report.created += len(created)
        self.report.updated += len(updated)


# --- authors ----------------------------------------------------------------------------


class _NameClaims:
    """Who holds each pen-name key while one batch of authors is named.

    A key is taken by a member already in the database with another uid (or none: a
    member who joined Fanfold directly), by a lower uid earlier in the batch, or by the
    orphan account. A name already held is never moved to someone else, so a rerun
    renames nobody and no update ever swaps two names.
    """

    def __init__(self, keys: set[str]):
        self._holders: dict[str, int | None] = {}
        self._looked_up: set[str] = set()
        self._look_up(keys)
        orphan = _key(ORPHAN_PEN_NAME)
        self._holders[orphan] = None
        self._looked_up.add(orphan)

    def _look_up(self, keys: set[str]) -> None:
        keys = set(keys) - self._looked_up
        if not keys:
            return
        held = Profile.objects.filter(pen_name_key__in=keys).values_list(
            "pen_name_key", "user__legacy_uid"
        )
        self._holders.update(held)
        self._looked_up |= keys

    def free_for(self, key: str, uid: int) -> bool:
        self._look_up({key})
        return key not in self._holders or self._holders[key] == uid

    def claim(self, key: str, uid: int) -> None:
        self._holders[key] = uid


def _with_suffix(name: str, suffix: str) -> str:
    return name[: PEN_NAME_LENGTH - len(suffix)].rstrip() + suffix


class AuthorsStep(Step):
    """eFiction authors → User + Profile, in uid order so the lower uid keeps a pen name."""

    table = "authors"
    order_by = "uid"
    mapped = frozenset({"uid", "penname", "email", "bio", "date", "password", "website"})

    def import_batch(self, rows):
        rows = self._one_row_per_uid(rows)
        users = {
            user.legacy_uid: user
            for user in User.objects.filter(legacy_uid__in=rows).select_related("profile")
        }
        # Each pen name as eFiction showed it, then as Fanfold can hold it.
        shown = {uid: self.plain(row["penname"]) for uid, row in rows.items()}
        wanted = {uid: self._wanted_pen_name(uid, name) for uid, name in shown.items()}
        claims = _NameClaims(
            {_key(name) for name in wanted.values()}
            | {_key(_with_suffix(name, f" ({uid})")) for uid, name in wanted.items()}
        )
        new_users, new_profiles, changed_users, changed_profiles = [], [], [], []
        for uid, row in rows.items():
            user = users.get(uid)
            profile = getattr(user, "profile", None) if user else None
            if user is None:
                user = User(
                    username=username(uid),
                    legacy_uid=uid,
                    is_active=True,
                    email_confirmed=True,
                    date_joined=timezone.now(),
                )
                new_users.append(user)
            else:
                changed_users.append(user)
            if profile is None:
                profile = Profile(user=user)
                new_profiles.append(profile)
            else:
                changed_profiles.append(profile)
            self._map_user(user, uid, row, shown[uid])
            self._map_profile(profile, row)
            self._settle_pen_name(profile, uid, wanted[uid], claims, own=bool(_key(shown[uid])))
        User.objects.bulk_create(new_users)
        Profile.objects.bulk_create(new_profiles)  # Django takes each new user's pk
        save_changes(changed_users, ["email", "password", "date_joined"])
        save_changes(
            changed_profiles,
            [
                "pen_name",
                "pen_name_key",
                "pen_name_sort",
                "former_name_key",
                "bio",
                "bio_source",
                "bio_format",
                "website",
                "legacy",
            ],
        )
        self.report.created += len(new_users)
        self.report.updated += len(changed_users)

    def _one_row_per_uid(self, rows) -> dict[int, dict]:
        """Rows by uid, in uid order. A dump may repeat a uid (REPLACE statements): the
        last row wins, as in MySQL, and earlier ones count as merged into it."""
        by_uid = {}
        for row in rows:
            uid = number(row["uid"])
            if uid <= 0:
                self.skip("author without a uid")
                continue
            if uid in by_uid:
                self.report.merged += 1
            by_uid[uid] = row
        return dict(sorted(by_uid.items()))

    def _wanted_pen_name(self, uid: int, pen_name: str) -> str:
        """The pen name fitted to Fanfold's length; a placeholder when there is none."""
        if not _key(pen_name):
            self.ctx.report.notice(
                "pen name changed", f"uid {uid} had no pen name and is now “Author {uid}”"
            )
            return f"Author {uid}"
        if len(pen_name) > PEN_NAME_LENGTH:
            shortened = pen_name[:PEN_NAME_LENGTH].rstrip()
            self.ctx.report.notice(
                "pen name changed",
                f"uid {uid}: “{pen_name}” is longer than {PEN_NAME_LENGTH} characters "
                f"and is now “{shortened}”",
            )
            return shortened
        return pen_name

    def _map_user(self, user: User, uid: int, row: dict, pen_name: str) -> None:
        email = self.text(row.get("email")).strip()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        if len(email) > EMAIL_LENGTH:
            email = ""
        if not email:
            self.ctx.report.notice(
                "no usable email",
                f"uid {uid} ({pen_name}): “{self.text(row.get('email'))}”",
            )
        user.email = email
        if user.pk is None or user.password.startswith(
            (f"{EFICTION_MD5}$", UNUSABLE_PASSWORD_PREFIX)
        ):
            # Only a password nobody has used since the last import is replaced: one that
            # was upgraded to Argon2 at sign-in, or reset, is the member's current one.
            user.password = from_efiction(row.get("password"))
        if not user.has_usable_password():
            self.ctx.report.notice(
                "needs a password reset",
                f"uid {uid} ({pen_name}), email {email or 'none'}",
            )
        joined = when(row.get("date"))
        if joined is not None:
            user.date_joined = joined
        else:
            self.ctx.report.notice(
                "join date unknown",
                f"uid {uid}: “{self.text(row.get('date'))}”; the day of the first import is used",
            )

    def _map_profile(self, profile: Profile, row: dict) -> None:
        profile.bio = self.html(row.get("bio"))
        profile.bio_source = profile.bio
        profile.bio_format = Format.HTML
        legacy = self.leftovers(row)
        website = self.text(row.get("website")).strip()
        if _is_web_address(website) and len(website) <= WEBSITE_LENGTH:
            profile.website = website
        else:
            profile.website = ""
            if website:
                legacy["website"] = website
        # The authorprefs step keeps its columns under their own key; the rest is this step's.
        prefs = profile.legacy.get("authorprefs")
        profile.legacy = legacy if prefs is None else {**legacy, "authorprefs": prefs}

    def _settle_pen_name(
        self, profile: Profile, uid: int, wanted: str, claims: _NameClaims, *, own: bool
    ) -> None:
        """The wanted name when it is free, else "Name (uid)"; `own`: the member chose
        the wanted name (it is not a placeholder), so it keeps signing them in."""
        profile.pen_name, profile.former_name_key = wanted, ""
        key = _key(wanted)
        if not claims.free_for(key, uid):
            profile.pen_name = self._renamed(uid, wanted, claims, own=own)
            profile.former_name_key = key if own else ""
        profile.derive_name_fields()
        claims.claim(profile.pen_name_key, uid)

    def _renamed(self, uid: int, wanted: str, claims: _NameClaims, *, own: bool) -> str:
        candidate = _with_suffix(wanted, f" ({uid})")
        attempt = 1
        while not claims.free_for(_key(candidate), uid):
            attempt += 1
            candidate = _with_suffix(wanted, f" ({uid}-{attempt})")
        self.ctx.report.notice(
            "pen name changed",
            f"uid {uid}: “{wanted}” was taken by another member and is now “{candidate}”"
            + ("; the old name still signs in" if own else ""),
        )
        return candidate


# --- authorinfo -------------------------------------------------------------------------


class AuthorInfoStep(Step):
    """Each member's values for the custom fields → ProfileFieldValue."""

    table = "authorinfo"
    order_by = ("uid", "field")
    mapped = frozenset({"uid", "field", "info"})

    def prepare(self):
        self.fields = {field.legacy_field_id: field for field in ProfileField.objects.all()}
        definitions = LegacyRecord.objects.filter(source_table=AuthorFieldsStep.table)
        self.link_patterns = {
            int(record.key): _id_link_pattern(
                number(record.data.get("field_type")), record.data.get("field_options") or ""
            )
            for record in definitions
            if record.key.isdigit()
        }

    def import_batch(self, rows):
        profiles = self.ctx.pks(Profile, "user__legacy_uid", [number(row["uid"]) for row in rows])
        values: dict[tuple[int, int], str] = {}
        for row in rows:
            uid, field_id = number(row["uid"]), number(row["field"])
            field = self.fields.get(field_id)
            if uid not in profiles:
                self.skip("value for a member who is not in the authors table")
            elif field is None:
                self.skip("value of an author field that does not exist")
            else:
                if (profiles[uid], field.pk) in values:
                    self.report.merged += 1  # a repeated row: the later value wins
                values[profiles[uid], field.pk] = self._value(field, row.get("info"))
        existing = {
            (value.profile_id, value.field_id): value
            for value in ProfileFieldValue.objects.filter(
                profile_id__in={profile for profile, _ in values},
                field_id__in={field for _, field in values},
            )
        }
        created, updated = [], []
        for (profile_id, field_id), text in values.items():
            value = existing.get((profile_id, field_id))
            if value is None:
                created.append(
                    ProfileFieldValue(profile_id=profile_id, field_id=field_id, value=text)
                )
            else:
                value.value = text
                updated.append(value)
        ProfileFieldValue.objects.bulk_create(created)
        save_changes(updated, ["value"])
        self.report.created += len(created)
        self.report.updated += len(updated)

    def _value(self, field: ProfileField, info) -> str:
        text = self.plain(info)
        if field.kind == ProfileField.Kind.YES_NO:
            return "yes" if flag(text) else "no"
        pattern = self.link_patterns.get(field.legacy_field_id)
        if pattern and text and not _is_web_address(text):
            text = pattern.replace("{info}", quote(text, safe=""))
        return text[:FIELD_VALUE_LENGTH]


# --- authorprefs ------------------------------------------------------------------------

# eFiction's sortby: 0 lists stories alphabetically, 1 by most recent update.
SORTS = {0: "title", 1: "updated"}
SUPERUSER_LEVEL = 1
LOWEST_ADMIN_LEVEL = 4


class AuthorPrefsStep(Step):
    """Settings and roles → Preferences, Profile.trusted, User.is_staff/is_superuser.

    Each row folds into the member's existing profile, so it counts as merged. The
    admin level and the columns Fanfold has no place for (the categories an admin
    moderates, contact, tinyMCE, skin…) stay in Profile.legacy["authorprefs"].
    """

    table = "authorprefs"
    order_by = "uid"
    mapped = frozenset(
        {
            "uid",
            "validated",
            "ageconsent",
            "storyindex",
            "sortby",
            "newreviews",
            "newrespond",
            "alertson",
        }
    )

    def import_batch(self, rows):
        profiles = {
            profile.user.legacy_uid: profile
            for profile in Profile.objects.select_related("user").filter(
                user__legacy_uid__in=[number(row["uid"]) for row in rows]
            )
        }
        changed = {}
        for row in rows:
            profile = profiles.get(number(row["uid"]))
            if profile is None:
                self.skip("preferences of a member who is not in the authors table")
                continue
            level = number(row.get("level"))
            profile.user.is_superuser = level == SUPERUSER_LEVEL
            profile.user.is_staff = SUPERUSER_LEVEL <= level <= LOWEST_ADMIN_LEVEL
            profile.trusted = flag(row.get("validated"))
            prefs = {
                "age_consent": flag(row.get("ageconsent")),
                "index_first": flag(row.get("storyindex")),
                "notify_review": flag(row.get("newreviews")),
                "notify_review_response": flag(row.get("newrespond")),
                "notify_subscriptions": flag(row.get("alertson")),
            }
            if number(row.get("sortby")) in SORTS:
                prefs["default_sort"] = SORTS[number(row.get("sortby"))]
            profile.preferences = Preferences.from_json({**profile.preferences, **prefs}).to_json()
            profile.legacy = {**profile.legacy, "authorprefs": self.leftovers(row)}
            self.report.merged += 1
            changed[profile.pk] = profile
        save_changes(list(changed.values()), ["trusted", "preferences", "legacy"])
        save_changes([profile.user for profile in changed.values()], ["is_staff", "is_superuser"])


STEPS: list[type[Step]] = [AuthorFieldsStep, AuthorsStep, AuthorInfoStep, AuthorPrefsStep]
