"""Stories, co-authors, chapters, series and their members.

Every step keys its rows by eFiction's ids (`legacy_sid`, `legacy_chapid`,
`legacy_seriesid`; series items by their series and story or sub-series), so a rerun
updates what the first run made. References to rows that do not exist (deleted authors,
dead category ids, chapters of a missing story) never stop the import: they map to the
orphan account, are dropped and counted, or the row is skipped with a reason.

A rerun converges on eFiction: what an earlier run imported and eFiction has deleted since
(stories, chapters, series, series items, links to categories, characters and classes) is
deleted here too, unless members wrote something of their own onto it in Fanfold (a
chapter, a review, a story added to a series): such a story is kept hidden, such a series
kept, and the report lists both. Rows born in Fanfold are never touched.
"""

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import IntegerField, Max, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from fanfold.accounts.models import User
from fanfold.archive.account_closing import orphan_account
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    Rating,
    Series,
    SeriesItem,
    Status,
    Story,
    StoryAuthor,
)
from fanfold.community.models import Review
from fanfold.importers.efiction.mapping.legacy import every_column, keep_records
from fanfold.importers.efiction.steps import Step, chunks
from fanfold.importers.efiction.text import flag, html_from_stored, id_list, number, when
from fanfold.lib.markup import html_to_text, word_count

NOT_RATED = "Not rated"


class _OwnedStep(Step):
    """A step whose rows name an owner by uid; a deleted one's rows go to the orphan account."""

    _orphan_pk: int | None = None

    def owner_pk(self, users: dict[int, int], uid: int, what: str) -> int:
        if uid in users:
            return users[uid]
        self.ctx.report.notice(
            "deleted author",
            f"{what}: author uid {uid} does not exist; given to the orphan account",
        )
        if self._orphan_pk is None:
            self._orphan_pk = orphan_account().pk
        return self._orphan_pk


def _status(value) -> Status:
    return Status.PUBLISHED if flag(value) else Status.PENDING


class Stories(_OwnedStep):
    table = "stories"
    order_by = "sid"
    # rr (round robin), wordcount, rating (eFiction's average review rating), reviews
    # (its review count) and columns of other versions or modules go to `legacy`.
    mapped = frozenset(
        {
            "sid", "title", "summary", "storynotes", "catid", "classes", "charid", "rid",
            "date", "updated", "uid", "coauthors", "featured", "validated", "completed",
            "count",
        }
    )  # fmt: skip
    # (column, label model, its legacy id field, the story relation, the name in reports)
    LABELS = (
        ("catid", Category, "legacy_catid", "categories", "category"),
        ("charid", Character, "legacy_charid", "characters", "character"),
        ("classes", Classification, "legacy_class_id", "classifications", "class"),
    )
    FIELDS = [
        "title", "slug", "title_key", "title_letter", "summary", "notes", "rating", "status",
        "completed", "featured", "created_at", "published_at", "updated_at", "hits", "legacy",
    ]  # fmt: skip

    def prepare(self) -> None:
        self.ratings = dict(
            Rating.objects.filter(legacy_rid__isnull=False).values_list("legacy_rid", "pk")
        )
        self.rating_names: dict[str, int] = {}
        for name, pk in Rating.objects.order_by("pk").values_list("name", "pk"):
            self.rating_names.setdefault(name.casefold(), pk)
        self.not_rated_pk: int | None = None
        # Dead ids by kind ("category", "co-author"…): how often each was referenced.
        self.dead: dict[str, Counter] = defaultdict(Counter)
        # eFiction 3.5 keeps co-authors in their own table and `stories.coauthors` is a
        # flag; older 3.x versions keep a comma list of uids there. A lone "1" is the flag
        # when the table exists, uid 1 otherwise.
        self.coauthors_column_is_flag = "coauthors" in self.ctx.source.tables()

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        rows = self.first_rows(rows, "sid", what="story", total="stories")
        self.ctx.report.source_totals["stories"] += len(rows)
        sids = [number(row["sid"]) for row in rows]
        existing = {story.legacy_sid: story for story in Story.objects.filter(legacy_sid__in=sids)}
        coauthor_uids = {number(row["sid"]): self._coauthor_uids(row) for row in rows}
        users = self.ctx.pks(
            User,
            "legacy_uid",
            {number(row["uid"]) for row in rows}.union(*coauthor_uids.values()),
        )
        labels = {
            column: self.ctx.pks(
                model, field, {i for row in rows for i in id_list(row.get(column))}
            )
            for column, model, field, _, _ in self.LABELS
        }
        new, changed = [], []
        owners, coauthors, links = {}, {}, {}
        for row in rows:
            sid = number(row["sid"])
            story = existing.get(sid) or Story(legacy_sid=sid)
            (changed if story.pk else new).append(story)
            self._map(story, row)
            owners[sid] = self.owner_pk(users, number(row["uid"]), f"story {sid}")
            coauthors[sid] = [users[uid] for uid in coauthor_uids[sid] if uid in users]
            dead = {"co-author": [uid for uid in coauthor_uids[sid] if uid not in users]}
            links[sid] = {}
            for column, _, _, relation, kind in self.LABELS:
                ids = id_list(row.get(column))
                links[sid][relation] = {labels[column][i] for i in ids if i in labels[column]}
                dead[kind] = [i for i in ids if i not in labels[column]]
            dead = {kind: ids for kind, ids in dead.items() if ids}
            for kind, ids in dead.items():
                self.dead[kind].update(ids)
            if dead:
                # Nothing dropped: the ids stay with the story.
                story.legacy["dead_ids"] = dead
        Story.objects.bulk_create(new)
        Story.objects.bulk_update(changed, self.FIELDS)
        self.report.created += len(new)
        self.report.updated += len(changed)
        pks = self.ctx.pks(Story, "legacy_sid", sids)
        _set_owners({pks[sid]: owner for sid, owner in owners.items()})
        add_coauthors([(pks[sid], user) for sid, users_ in coauthors.items() for user in users_])
        for _, _, legacy_field, relation, _ in self.LABELS:
            _set_links(
                relation,
                legacy_field,
                {pks[sid]: wanted[relation] for sid, wanted in links.items()},
            )

    def finish(self) -> None:
        for kind, ids in self.dead.items():
            listed = ", ".join(str(i) for i in sorted(ids)[:20]) + (", …" if len(ids) > 20 else "")
            self.ctx.report.notice(
                "dead references",
                f"stories: {ids.total():,} links to {len(ids):,} {kind} ids that do not exist "
                f"({listed}); dropped, kept in the story's legacy data",
            )
        self._converge()

    def _converge(self) -> None:
        """Stories deleted in eFiction since an earlier run go, with their chapters,
        reviews, favorites and links. One that members added a chapter or a review to in
        Fanfold is hidden instead, so nothing they wrote is lost; a moderator decides."""
        kept = self.remove_gone(
            Story,
            "legacy_sid",
            (Chapter.objects.filter(legacy_chapid__isnull=True), "story"),
            (Review.objects.filter(legacy_reviewid__isnull=True), "story"),
        )
        if kept:
            Story.objects.filter(pk__in=kept).update(status=Status.HIDDEN)
            self._count_kept(kept)

    def _count_kept(self, kept: set[int]) -> None:
        """The kept stories stay in Fanfold's totals: the report sets them apart."""
        report = self.ctx.report
        imported_chapters = Chapter.objects.filter(story__in=kept, legacy_chapid__isnull=False)
        words = imported_chapters.aggregate(
            words=Sum(Cast(KT("legacy__wordcount"), IntegerField()))
        )["words"]
        report.kept_totals["stories"] += len(kept)
        report.kept_totals["chapters"] += imported_chapters.count()
        report.kept_totals["words"] += words or 0
        for sid, title in Story.objects.filter(pk__in=kept).values_list("legacy_sid", "title"):
            report.notice(
                "deleted in eFiction, kept in Fanfold",
                f"story {sid} ({title}): members added chapters or reviews to it in Fanfold; "
                "hidden, for a moderator to delete or publish",
            )

    def _map(self, story: Story, row: dict[str, Any]) -> None:
        """The story's own fields from the row."""
        sid = story.legacy_sid
        story.title = self.plain(row.get("title"))[:200] or "Untitled"
        story.summary = self.html(row.get("summary"))
        story.notes = self.html(row.get("storynotes"))
        story.rating_id = self._rating(row.get("rid"), f"story {sid} ({story.title})")
        story.status = _status(row.get("validated"))
        story.completed = flag(row.get("completed"))
        # 1 = featured now, 2 = featured in the past (kept in legacy).
        featured = number(row.get("featured"))
        story.featured = featured == 1
        self._dates(story, row)
        story.hits = max(number(row.get("count")), 0)
        story.legacy = {**self.leftovers(row), "featured": featured}
        story.derive_title_fields()

    def _dates(self, story: Story, row: dict[str, Any]) -> None:
        """A missing or zero date takes the other one; with neither, the import's time."""
        created, updated = when(row.get("date")), when(row.get("updated"))
        if created is None and updated is None:
            missing = "no dates; the import's time used"
        elif created is None or updated is None:
            missing = f"no {'date' if created is None else 'updated date'}; the other date used"
        else:
            missing = ""
        if missing:
            self.ctx.report.notice("missing date", f"story {story.legacy_sid}: {missing}")
        fallback = story.created_at if story.pk else timezone.now()
        story.created_at = created or updated or fallback
        story.updated_at = updated or created or fallback
        published = story.status == Status.PUBLISHED
        story.published_at = story.created_at if published else None

    def _rating(self, value, what: str) -> int:
        """eFiction's `rid`: a rating id, a rating's name (old archives), or junk."""
        text = self.plain(value).strip()
        if text.isdigit() and int(text) in self.ratings:
            return self.ratings[int(text)]
        if not text.isdigit() and text.casefold() in self.rating_names:
            return self.rating_names[text.casefold()]
        self.ctx.report.notice(
            "story without a rating",
            f"{what}: rating “{text}” does not exist; filed under “{NOT_RATED}”"
            if text and text != "0"
            else f"{what}: no rating; filed under “{NOT_RATED}”",
        )
        if self.not_rated_pk is None:
            placeholder = Rating.objects.filter(name=NOT_RATED, legacy_rid__isnull=True).first()
            if placeholder is None:
                last = Rating.objects.aggregate(n=Max("order"))["n"] or 0
                placeholder = Rating.objects.create(name=NOT_RATED, order=last + 1)
            self.not_rated_pk = placeholder.pk
        return self.not_rated_pk

    def _coauthor_uids(self, row: dict[str, Any]) -> list[int]:
        """Co-author uids from an older 3.x comma list; none from 3.5's flag."""
        text = self.text(row.get("coauthors")).strip()
        if self.coauthors_column_is_flag and text in {"", "0", "1"}:
            return []
        owner = number(row.get("uid"))
        return [uid for uid in id_list(text) if uid != owner]


def _set_owners(owner_of: dict[int, int]) -> None:
    """Each story's owner at the head of its byline; an earlier run's other owner goes
    (a story first given to the orphan account returns to its author once imported)."""
    stale, promote, present = [], [], set()
    rows = StoryAuthor.objects.filter(story_id__in=owner_of).values_list(
        "pk", "story_id", "user_id", "is_owner", "position"
    )
    for pk, story, user, is_owner, position in rows:
        if user == owner_of[story]:
            present.add(story)
            if not is_owner or position != 0:
                promote.append(pk)
        elif is_owner:
            stale.append(pk)
    StoryAuthor.objects.filter(pk__in=stale).delete()
    StoryAuthor.objects.filter(pk__in=promote).update(is_owner=True, position=0)
    StoryAuthor.objects.bulk_create(
        StoryAuthor(story_id=story, user_id=user, is_owner=True, position=0)
        for story, user in owner_of.items()
        if story not in present
    )


def add_coauthors(pairs: list[tuple[int, int]]) -> list[str]:
    """Add (story pk, user pk) co-authors after each byline's last author.

    Returns, per pair, "created", "owner" (the user owns the story) or "author" (already
    a co-author).
    """
    authors: dict[int, dict[int, bool]] = defaultdict(dict)
    last: dict[int, int] = defaultdict(int)
    rows = StoryAuthor.objects.filter(story_id__in={story for story, _ in pairs}).values_list(
        "story_id", "user_id", "is_owner", "position"
    )
    for story, user, is_owner, position in rows:
        authors[story][user] = is_owner
        last[story] = max(last[story], position)
    new, outcomes = [], []
    for story, user in pairs:
        if user in authors[story]:
            outcomes.append("owner" if authors[story][user] else "author")
            continue
        authors[story][user] = False
        last[story] += 1
        new.append(StoryAuthor(story_id=story, user_id=user, is_owner=False, position=last[story]))
        outcomes.append("created")
    StoryAuthor.objects.bulk_create(new)
    return outcomes


def _set_links(relation: str, legacy_field: str, wanted: dict[int, set[int]]) -> None:
    """Make a story M2M hold exactly `wanted` (story pk → label pks) of the imported labels
    (those with `legacy_field` set); a label made in Fanfold and added there stays."""
    field = Story._meta.get_field(relation)
    through = field.remote_field.through
    label = field.m2m_reverse_field_name()
    present, stale = set(), []
    imported = through.objects.filter(
        story_id__in=wanted, **{f"{label}__{legacy_field}__isnull": False}
    )
    for pk, story, label_pk in imported.values_list("pk", "story_id", f"{label}_id"):
        if label_pk in wanted[story]:
            present.add((story, label_pk))
        else:
            stale.append(pk)
    through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(
        (
            through(story_id=story, **{f"{label}_id": label_pk})
            for story, labels in wanted.items()
            for label_pk in labels
            if (story, label_pk) not in present
        ),
        ignore_conflicts=True,
    )


class Coauthors(Step):
    """eFiction 3.5's co-author table: (sid, uid) pairs, added after the owner."""

    table = "coauthors"
    order_by = ("sid", "uid")
    mapped = frozenset({"sid", "uid"})

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        stories = self.ctx.pks(Story, "legacy_sid", {number(row["sid"]) for row in rows})
        users = self.ctx.pks(User, "legacy_uid", {number(row["uid"]) for row in rows})
        pairs = []
        for row in rows:
            sid, uid = number(row["sid"]), number(row["uid"])
            if sid not in stories:
                self.skip("story not found")
            elif uid not in users:
                self.skip("co-author's account not found")
            else:
                pairs.append((stories[sid], users[uid]))
        outcomes = Counter(add_coauthors(pairs))
        self.report.created += outcomes["created"]
        # Already a co-author: this link again (a rerun, or also in the story's own column).
        self.report.updated += outcomes["author"]
        # The story's owner listed again as its co-author.
        self.report.merged += outcomes["owner"]


class Chapters(Step):
    table = "chapters"
    order_by = ("sid", "inorder", "chapid")
    batch_size = 200  # chapters carry their whole text
    # rating and reviews (eFiction's review average and count) go to `legacy`.
    mapped = frozenset(
        {
            "chapid", "title", "inorder", "notes", "storytext", "endnotes", "validated",
            "wordcount", "sid", "uid", "count",
        }
    )  # fmt: skip
    FIELDS = [
        "story", "position", "title", "notes", "end_notes", "body", "body_text", "word_count",
        "status", "created_at", "published_at", "updated_at", "legacy",
    ]  # fmt: skip

    def prepare(self) -> None:
        settings = self.ctx.settings
        self.store_is_files = settings.get("store", "").strip().lower() == "files"
        # Told where the files are, the import checks every chapter against its file.
        self.always_read_files = self.ctx.options.stories_dir is not None
        folder = self.ctx.options.stories_dir or settings.get("storiespath", "").strip()
        self.folder = Path(folder) if folder else None
        # Positions run 1..n per story in (inorder, chapid) order, across batches.
        self.numbering = (0, 0)

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        report = self.ctx.report
        rows = self.first_rows(rows, "chapid", what="chapter", total="chapters")
        for row in rows:
            report.source_totals["chapters"] += 1
            report.source_totals["words"] += number(row.get("wordcount"))
        chapids = [number(row["chapid"]) for row in rows]
        existing = {c.legacy_chapid: c for c in Chapter.objects.filter(legacy_chapid__in=chapids)}
        stories = {
            sid: (pk, created, published, updated)
            for sid, pk, created, published, updated in Story.objects.filter(
                legacy_sid__in={number(row["sid"]) for row in rows}
            ).values_list("legacy_sid", "pk", "created_at", "published_at", "updated_at")
        }
        new, changed = [], []
        for row in rows:
            sid = number(row["sid"])
            if sid not in stories:
                self.skip("story not found")
                report.skipped_totals["chapters"] += 1
                report.skipped_totals["words"] += number(row.get("wordcount"))
                continue
            chapid = number(row["chapid"])
            chapter = existing.get(chapid) or Chapter(legacy_chapid=chapid)
            (changed if chapter.pk else new).append(chapter)
            self._map(chapter, row, stories[sid])
        Chapter.objects.bulk_create(new)
        Chapter.objects.bulk_update(changed, self.FIELDS)
        self.report.created += len(new)
        self.report.updated += len(changed)

    def finish(self) -> None:
        """Chapters deleted in eFiction since an earlier run go, from the stories eFiction
        still has (a kept story keeps its chapters). Their reviews stay, as reviews of the
        story: the importer places a review of a missing chapter there too."""
        stories = self.ctx.present_in(Stories.table)
        present = self.ctx.present_in(self.table)
        imported = Chapter.objects.filter(legacy_chapid__isnull=False).values_list(
            "pk", "legacy_chapid", "story__legacy_sid"
        )
        stale = [
            pk
            for pk, chapid, sid in imported.iterator(chunk_size=5000)
            if chapid not in present and sid in stories
        ]
        with transaction.atomic():
            for chunk in chunks(stale):
                Review.objects.filter(chapter__in=chunk).update(chapter=None)
            self.remove(Chapter, stale)

    def _map(self, chapter: Chapter, row: dict[str, Any], story: tuple) -> None:
        story_pk, created, published, updated = story
        sid, chapid, uid = number(row["sid"]), chapter.legacy_chapid, number(row.get("uid"))
        last_sid, last_position = self.numbering
        position = last_position + 1 if sid == last_sid else 1
        self.numbering = (sid, position)
        chapter.story_id = story_pk
        chapter.position = position
        chapter.title = self.plain(row.get("title"))[:200]
        chapter.notes = self.html(row.get("notes"))
        chapter.end_notes = self.html(row.get("endnotes"))
        chapter.body = html_from_stored(self._text(row, sid, chapid, uid))
        chapter.body_text = html_to_text(chapter.body)
        chapter.word_count = word_count(chapter.body_text)
        chapter.status = _status(row.get("validated"))
        # eFiction chapters have no dates of their own.
        chapter.created_at, chapter.updated_at = created, updated
        is_published = chapter.status == Status.PUBLISHED
        chapter.published_at = (published or created) if is_published else None
        chapter.legacy = {
            **self.leftovers(row),
            # eFiction's chapter number (old `&chapter=` links, see redirects.py), its own
            # word count (the import's totals), hits and the uid that posted the chapter.
            "inorder": number(row.get("inorder")),
            "wordcount": number(row.get("wordcount")),
            "hits": number(row.get("count")),
            "uid": uid,
        }

    def _text(self, row: dict[str, Any], sid: int, chapid: int, uid: int) -> str:
        """The chapter's text from the database or its file, whichever holds it."""
        stored = self.text(row.get("storytext"))
        if not (self.store_is_files or self.always_read_files or not stored.strip()):
            return stored
        what = f"chapter {chapid} of story {sid}"
        if self.folder is None:
            if not stored.strip():
                self.ctx.report.notice(
                    "missing chapter file",
                    f"{what}: no text, and no stories folder to look in (--stories-dir)",
                )
            return stored
        # Both parts are integers: no text from the archive ever reaches the path.
        path = self.folder / str(uid) / f"{chapid}.txt"
        try:
            in_file = self.text(path.read_bytes())
        except OSError as exc:
            if not stored.strip():
                reason = "not found" if isinstance(exc, FileNotFoundError) else exc.strerror
                self.ctx.report.notice(
                    "missing chapter file", f"{what}: {path} {reason}; imported without text"
                )
            return stored
        if not in_file.strip():
            return stored
        if not stored.strip():
            return in_file
        if _same_text(stored, in_file):
            return stored
        kept = "file" if self.store_is_files else "database"
        self.ctx.report.notice(
            "chapter text in database and file",
            f"{what}: the database and {path} differ; kept the {kept}'s text",
        )
        return in_file if self.store_is_files else stored


def _same_text(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


class SeriesStep(_OwnedStep):
    table = "series"
    order_by = "seriesid"
    # catid, rating, classes, characters, reviews, numstories, challenges… go to `legacy`.
    mapped = frozenset({"seriesid", "title", "summary", "uid", "isopen"})

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        rows = self.first_rows(rows, "seriesid", what="series")
        ids = [number(row["seriesid"]) for row in rows]
        existing = {s.legacy_seriesid: s for s in Series.objects.filter(legacy_seriesid__in=ids)}
        users = self.ctx.pks(User, "legacy_uid", {number(row["uid"]) for row in rows})
        new, changed = [], []
        for row in rows:
            seriesid = number(row["seriesid"])
            series = existing.get(seriesid) or Series(legacy_seriesid=seriesid)
            (changed if series.pk else new).append(series)
            series.title = self.plain(row.get("title"))[:200] or "Untitled"
            series.summary = self.html(row.get("summary"))
            series.owner_id = self.owner_pk(users, number(row["uid"]), f"series {seriesid}")
            isopen = number(row.get("isopen"))
            series.is_open = isopen > 0
            series.legacy = {**self.leftovers(row), "isopen": isopen}
        Series.objects.bulk_create(new)
        Series.objects.bulk_update(changed, ["title", "summary", "owner", "is_open", "legacy"])
        self.report.created += len(new)
        self.report.updated += len(changed)

    def finish(self) -> None:
        """Series deleted in eFiction since an earlier run go, unless they hold a review
        or a story from Fanfold: those are kept and listed."""
        fanfold_item = Q(story__legacy_sid__isnull=True, story__isnull=False) | Q(
            subseries__legacy_seriesid__isnull=True, subseries__isnull=False
        )
        kept = self.remove_gone(
            Series,
            "legacy_seriesid",
            (Review.objects.filter(legacy_reviewid__isnull=True), "series"),
            (SeriesItem.objects.filter(fanfold_item), "series"),
        )
        for seriesid, title in Series.objects.filter(pk__in=kept).values_list(
            "legacy_seriesid", "title"
        ):
            self.ctx.report.notice(
                "deleted in eFiction, kept in Fanfold",
                f"series {seriesid} ({title}): it holds reviews or stories from Fanfold; kept",
            )


AWAITING_CONFIRMATION = "awaiting the series owner's confirmation (kept as a legacy record)"


class SeriesItems(Step):
    """eFiction's `inseries`: the stories and sub-series of each series, in order.

    Unconfirmed items (`confirmed` = 0: a story another author put in an open series,
    which the series owner has not accepted) were invisible in eFiction. Importing them
    would show readers something the owner never approved, so they are skipped and kept
    as LegacyRecords ("inseries", "seriesid-sid-subseriesid") for a later confirmation
    feature or the owner to act on.
    """

    table = "inseries"
    order_by = ("seriesid", "inorder", "sid", "subseriesid")
    mapped = frozenset({"seriesid", "sid", "subseriesid", "confirmed", "inorder"})

    def prepare(self) -> None:
        # Sub-series links (series pk → child pks), to refuse loops.
        self.children: dict[int, set[int]] = defaultdict(set)
        for parent, child in SeriesItem.objects.filter(subseries__isnull=False).values_list(
            "series_id", "subseries_id"
        ):
            self.children[parent].add(child)
        self.numbering = (0, 0)
        self.seen: set[tuple[int, str, int]] = set()

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        series = self.ctx.pks(
            Series,
            "legacy_seriesid",
            {number(row[column]) for row in rows for column in ("seriesid", "subseriesid")},
        )
        stories = self.ctx.pks(Story, "legacy_sid", {number(row["sid"]) for row in rows})
        existing = {
            (
                item.series_id,
                "story" if item.story_id else "series",
                item.story_id or item.subseries_id,
            ): item
            for item in SeriesItem.objects.filter(series_id__in=set(series.values()))
        }
        new, changed, unconfirmed = [], [], []
        for row in rows:
            key = self._key(row, series, stories)
            if key is None:
                continue
            if number(row.get("confirmed")) == 0:
                self.skip(AWAITING_CONFIRMATION)
                unconfirmed.append(row)
                continue
            if key in self.seen:
                self.report.merged += 1
                continue
            self.seen.add(key)
            parent, kind, target = key
            if kind == "series":
                self.children[parent].add(target)
            last_parent, last_position = self.numbering
            position = last_position + 1 if parent == last_parent else 1
            self.numbering = (parent, position)
            item = existing.get(key)
            if item is None:
                target_field = "story_id" if kind == "story" else "subseries_id"
                new.append(
                    SeriesItem(series_id=parent, position=position, **{target_field: target})
                )
            else:
                item.position = position
                changed.append(item)
        SeriesItem.objects.bulk_create(new)
        SeriesItem.objects.bulk_update(changed, ["position"])
        self.report.created += len(new)
        self.report.updated += len(changed)
        keep_records(
            self.table,
            {
                "-".join(str(number(row[c])) for c in ("seriesid", "sid", "subseriesid")): (
                    every_column(self, row)
                )
                for row in unconfirmed
            },
        )

    def finish(self) -> None:
        """Items eFiction no longer has go from the series it still has (unconfirmed
        ones too: eFiction hides them); a story or sub-series added in Fanfold stays."""
        present = self.ctx.present_in(SeriesStep.table)
        imported_target = Q(story__legacy_sid__isnull=False) | Q(
            subseries__legacy_seriesid__isnull=False
        )
        items = SeriesItem.objects.filter(
            imported_target, series__legacy_seriesid__isnull=False
        ).values_list("pk", "series__legacy_seriesid", "series_id", "story_id", "subseries_id")
        stale = [
            pk
            for pk, seriesid, parent, story, subseries in items.iterator(chunk_size=5000)
            if seriesid in present
            and (parent, "story" if story else "series", story or subseries) not in self.seen
        ]
        self.remove(SeriesItem, stale)

    def _key(self, row, series: dict[int, int], stories: dict[int, int]):
        """(series pk, "story" or "series", its pk), or None with the row skipped."""
        seriesid, sid, subid = (number(row.get(c)) for c in ("seriesid", "sid", "subseriesid"))
        if seriesid not in series:
            self.skip("series not found")
            return None
        parent = series[seriesid]
        if sid > 0:
            if sid not in stories:
                self.skip("story not found")
                return None
            return (parent, "story", stories[sid])
        if subid <= 0:
            self.skip("neither a story nor a sub-series")
            return None
        if subid not in series:
            self.skip("sub-series not found")
            return None
        child = series[subid]
        if child == parent:
            self.skip("a series inside itself")
            return None
        if self._contains(child, parent):
            self.skip("a sub-series that contains its parent (a loop)")
            return None
        return (parent, "series", child)

    def _contains(self, outer: int, inner: int) -> bool:
        """Whether `inner` is somewhere inside `outer`, however deep."""
        frontier, visited = [outer], {outer}
        while frontier:
            for child in self.children[frontier.pop()]:
                if child == inner:
                    return True
                if child not in visited:
                    visited.add(child)
                    frontier.append(child)
        return False


STEPS: list[type[Step]] = [Stories, Coauthors, Chapters, SeriesStep, SeriesItems]
