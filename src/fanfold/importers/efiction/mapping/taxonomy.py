"""Ratings, categories, characters, classification types and classes.

Names become plain text (`self.plain`), descriptions and warnings sanitized HTML. These
models have no `legacy` column, so the columns Fanfold has no place for (a category's
image, a character's bio…) are kept as LegacyRecords of the same table and id.
"""

from django.db import models, transaction

from fanfold.archive.models import Category, Character, Classification, ClassificationType, Rating
from fanfold.importers.efiction.mapping.legacy import every_column, keep_records
from fanfold.importers.efiction.steps import Step
from fanfold.importers.efiction.text import flag, number

# eFiction's `ratingwarning` bits.
WARNING_PAGE, AGE_CONSENT, MEMBERS_ONLY = 1, 2, 4

# Parent ids eFiction uses for top-level categories. A character's catid -1 means "in
# every category" (0, the column's default, is taken the same way).
TOP_LEVEL = {-1, 0}


class TaxonomyStep(Step):
    """Upserts one model keyed by its legacy id; subclasses turn a row into field values."""

    model: type[models.Model]
    legacy_field: str
    id_column: str

    def values(self, row) -> dict | None:
        """Field values for the row, or None when it was skipped."""
        raise NotImplementedError

    def import_batch(self, rows):
        wanted, kept = {}, {}
        for row in rows:
            legacy_id = row.get(self.id_column)
            if not isinstance(legacy_id, int) or legacy_id <= 0:
                self.skip(f"its {self.id_column} is not a positive number")
                continue
            values = self.values(row)
            if values is None:
                continue
            if legacy_id in wanted:
                self.report.merged += 1  # the same id twice in a dump: the later row wins
            wanted[legacy_id] = values
            kept[str(legacy_id)] = self.leftovers(row)
        existing = self.model.objects.in_bulk(wanted, field_name=self.legacy_field)
        fields = sorted({name for values in wanted.values() for name in values})
        new = []
        for legacy_id, values in wanted.items():
            obj = existing.get(legacy_id) or self.model(**{self.legacy_field: legacy_id})
            for name, value in values.items():
                setattr(obj, name, value)
            if obj.pk is None:
                new.append(obj)
        self.model.objects.bulk_create(new)
        if existing and fields:
            self.model.objects.bulk_update(existing.values(), fields)
        self.report.created += len(new)
        self.report.updated += len(existing)
        keep_records(self.table, {key: data for key, data in kept.items() if data})

    def name(self, value, fallback: str) -> str:
        """A plain-text name that fits the model's name field; never empty."""
        name = self.plain(value) or fallback
        return name[: self.model._meta.get_field("name").max_length]


class RatingsStep(TaxonomyStep):
    table = "ratings"
    order_by = "rid"
    model = Rating
    legacy_field = "legacy_rid"
    id_column = "rid"
    mapped = frozenset({"rid", "rating", "ratingwarning", "warningtext"})

    def values(self, row):
        bits = number(row.get("ratingwarning"))
        return {
            "name": self.name(row.get("rating"), f"Rating {row['rid']}"),
            "order": max(row["rid"], 0),
            "shows_warning": bool(bits & WARNING_PAGE),
            "needs_consent": bool(bits & AGE_CONSENT),
            "members_only": bool(bits & MEMBERS_ONLY),
            "warning_text": self.html(row.get("warningtext")),
        }


class CategoriesStep(TaxonomyStep):
    """The category tree. Parents are set in `finish`, when every category exists, since
    eFiction lists children before their parents whenever a parent was added later."""

    table = "categories"
    order_by = "catid"
    model = Category
    legacy_field = "legacy_catid"
    id_column = "catid"
    mapped = frozenset(
        {"catid", "parentcatid", "category", "description", "locked", "displayorder"}
    )

    def prepare(self):
        self.parents: dict[int, int] = {}

    def values(self, row):
        self.parents[row["catid"]] = number(row.get("parentcatid"))
        return {
            "name": self.name(row.get("category"), f"Category {row['catid']}"),
            "description": self.html(row.get("description")),
            "order": max(number(row.get("displayorder")), 0),
            "locked": flag(row.get("locked")),
        }

    def finish(self):
        parents = self._valid_parents()
        pks = self.ctx.pks(Category, "legacy_catid", self.parents)
        categories = Category.objects.in_bulk(pks.values())
        for catid, pk in pks.items():
            categories[pk].parent_id = pks.get(parents.get(catid))
        with transaction.atomic():
            Category.objects.bulk_update(categories.values(), ["parent"], batch_size=500)

    def _valid_parents(self) -> dict[int, int]:
        """{catid: parent catid} for the categories that have a real parent; those whose
        parent is missing, or whose ancestry loops back to them, become top level."""
        parents = {}
        for catid, parent in self.parents.items():
            if parent in TOP_LEVEL:
                continue
            if parent not in self.parents:
                self.ctx.report.notice(
                    "category without its parent",
                    f"category {catid}: its parent category {parent} does not exist; "
                    "it is now a top-level category",
                )
                continue
            parents[catid] = parent
        for catid in list(parents):
            ancestor, seen = parents.get(catid), {catid}
            while ancestor is not None and ancestor not in seen:
                seen.add(ancestor)
                ancestor = parents.get(ancestor)
            if ancestor == catid:
                self.ctx.report.notice(
                    "category without its parent",
                    f"category {catid}: its parent category {parents[catid]} is also its "
                    "descendant; it is now a top-level category",
                )
                del parents[catid]
        return parents


class CharactersStep(TaxonomyStep):
    """Characters belong to one eFiction category, or to all (then to none in Fanfold,
    which lists a character without categories under every one)."""

    table = "characters"
    order_by = "charid"
    model = Character
    legacy_field = "legacy_charid"
    id_column = "charid"
    mapped = frozenset({"charid", "charname", "catid"})

    def values(self, row):
        return {"name": self.name(row.get("charname"), f"Character {row['charid']}")}

    def import_batch(self, rows):
        super().import_batch(rows)
        catids = {row["charid"]: number(row.get("catid")) for row in rows}
        categories = self.ctx.pks(Category, "legacy_catid", catids.values())
        characters = self.ctx.pks(Character, "legacy_charid", catids)
        links = []
        for charid, catid in catids.items():
            if catid in categories:
                links.append((characters[charid], categories[catid]))
            elif catid > 0:
                self.ctx.report.notice(
                    "character in a missing category",
                    f"character {charid}: its category {catid} does not exist; "
                    "it is now listed under every category",
                )
        through = Character.categories.through
        through.objects.filter(character_id__in=characters.values()).delete()
        through.objects.bulk_create(
            through(character_id=character, category_id=category) for character, category in links
        )


class ClassTypesStep(TaxonomyStep):
    """Genres, warnings, pairings…: the title is what readers saw; the internal name is kept."""

    table = "classtypes"
    order_by = "classtype_id"
    model = ClassificationType
    legacy_field = "legacy_classtype_id"
    id_column = "classtype_id"
    mapped = frozenset({"classtype_id", "classtype_title"})

    def values(self, row):
        fallback = self.plain(row.get("classtype_name")) or f"Type {row['classtype_id']}"
        return {
            "name": self.name(row.get("classtype_title"), fallback),
            "order": max(row["classtype_id"], 0),
        }


class ClassesStep(TaxonomyStep):
    table = "classes"
    order_by = "class_id"
    model = Classification
    legacy_field = "legacy_class_id"
    id_column = "class_id"
    mapped = frozenset({"class_id", "class_type", "class_name"})

    def prepare(self):
        self.types = dict(
            ClassificationType.objects.filter(legacy_classtype_id__isnull=False).values_list(
                "legacy_classtype_id", "pk"
            )
        )

    def values(self, row):
        type_id = self.types.get(number(row.get("class_type")))
        if type_id is None:
            # Kept whole, so a type restored later can bring it back.
            keep_records(self.table, {str(row["class_id"]): every_column(self, row)})
            self.skip("its classification type does not exist (kept as a legacy record)")
            return None
        return {
            "type_id": type_id,
            "name": self.name(row.get("class_name"), f"Class {row['class_id']}"),
        }


STEPS: list[type[Step]] = [RatingsStep, CategoriesStep, CharactersStep, ClassTypesStep, ClassesStep]
