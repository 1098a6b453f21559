"""Reviews (with author responses) and favorites.

A rerun removes the reviews and favorites eFiction has deleted since an earlier run, but
never what members wrote in Fanfold: a review with replies stays (listed in the report),
and so does every favorite of a member who has signed in to Fanfold, where the member
may have added it (eFiction's favorites carry no id to tell them apart).
"""

from datetime import datetime
from typing import Any, NamedTuple

from django.utils import timezone

from fanfold.accounts.models import User
from fanfold.archive.models import Chapter, Series, Story
from fanfold.community.models import Favorite, Review
from fanfold.importers.efiction.steps import Step
from fanfold.importers.efiction.text import html_from_stored, number, split_response, when
from fanfold.lib.markup import html_to_text


class _ReviewKeys(NamedTuple):
    """A review row's ids and type, read once."""

    reviewid: int
    kind: str
    item: int
    chapid: int
    uid: int


# What eFiction stores as the text of a review that only gives a rating.
_RATING_ONLY = "No Review"


def review_rating(stored: int, ratings_setting: str) -> int | None:
    """eFiction's stored review rating as Review.rating, read by the archive's `ratings`
    setting: "1" stars 1–10, "2" like (1) or dislike (0); -1 is "not rated" in both."""
    if ratings_setting == "1":
        return stored if 1 <= stored <= 10 else None
    if ratings_setting == "2":
        # eFiction shows "liked" for anything from 0.5 up: stars left from before the
        # archive switched to likes count as likes.
        if stored >= 1:
            return 1
        return 0 if stored == 0 else None
    return None


class ReviewsStep(Step):
    """`reviews`: reviews of chapters, whole stories ("ST") and series ("SE")."""

    table = "reviews"
    order_by = "reviewid"
    batch_size = 1000
    mapped = frozenset({
        "reviewid", "item", "chapid", "reviewer", "uid", "review", "date", "rating", "respond",
        "type",
    })  # fmt: skip
    # Everything a rerun refreshes; `status` stays as Fanfold's moderators left it.
    updated_fields = (
        "story", "chapter", "series", "reviewer", "reviewer_name", "text", "rating",
        "response", "created_at",
    )  # fmt: skip

    def prepare(self) -> None:
        self.ratings_setting = self.ctx.settings.get("ratings", "0").strip()
        self.unrated = 0
        self.former_members = 0
        self.undated = 0

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        self.ctx.report.source_totals["reviews"] += len(rows)
        keys = [self.keys(row) for row in rows]
        self.ctx.present_in(self.table).update(k.reviewid for k in keys if k.reviewid > 0)
        stories = self.ctx.pks(Story, "legacy_sid", [k.item for k in keys if k.kind == "ST"])
        series = self.ctx.pks(Series, "legacy_seriesid", [k.item for k in keys if k.kind == "SE"])
        chapters = {
            chapid: (pk, story_pk)
            for chapid, pk, story_pk in Chapter.objects.filter(
                legacy_chapid__in=[k.chapid for k in keys if k.chapid > 0]
            ).values_list("legacy_chapid", "pk", "story_id")
        }
        users = self.ctx.pks(User, "legacy_uid", [k.uid for k in keys])
        existing = Review.objects.in_bulk([k.reviewid for k in keys], field_name="legacy_reviewid")
        reviews = []
        for row, k in zip(rows, keys, strict=True):
            if k.reviewid <= 0:  # no id to key a rerun on (and it would clash in the batch)
                self.skip("review without an id")
                self.ctx.report.skipped_totals["reviews"] += 1
                continue
            review = existing.get(k.reviewid) or Review(legacy_reviewid=k.reviewid)
            if self.fill_target(review, k, stories, series, chapters):
                self.fill_review(review, row, users.get(k.uid), k.uid)
                reviews.append(review)
            else:
                self.ctx.report.skipped_totals["reviews"] += 1
        self.fill_missing_dates(reviews)
        created = [review for review in reviews if review.pk is None]
        updated = [review for review in reviews if review.pk is not None]
        Review.objects.bulk_create(created)
        Review.objects.bulk_update(updated, self.updated_fields)
        self.report.created += len(created)
        self.report.updated += len(updated)

    def keys(self, row: dict[str, Any]) -> _ReviewKeys:
        return _ReviewKeys(
            reviewid=number(row["reviewid"]),
            kind=self.text(row.get("type", "ST")).strip().upper(),
            item=number(row["item"]),
            chapid=number(row.get("chapid")),
            uid=number(row["uid"]),
        )

    def fill_target(self, review: Review, k: _ReviewKeys, stories, series, chapters) -> bool:
        """Point the review at its story, chapter or series; False (and the row skipped)
        when that was not imported."""
        if k.kind == "SE":
            if k.item not in series:
                self.skip("review of a series that was not imported")
                return False
            review.story_id, review.chapter_id, review.series_id = None, None, series[k.item]
            return True
        if k.kind != "ST":
            self.skip(f"review of something other than a story or series (type {k.kind!r})")
            return False
        if k.item not in stories:
            self.skip("review of a story that was not imported")
            return False
        review.story_id, review.chapter_id, review.series_id = stories[k.item], None, None
        if k.chapid > 0:
            chapter_pk, story_pk = chapters.get(k.chapid, (None, None))
            if story_pk == stories[k.item]:
                review.chapter_id = chapter_pk
            else:
                # eFiction still listed it among the story's reviews: keep it there.
                self.ctx.report.notice(
                    "review kept as a review of its story",
                    f"Review {k.reviewid}: chapter {k.chapid} is not a chapter of story "
                    f"{k.item}" + (" (it was not imported)" if chapter_pk is None else ""),
                )
        return True

    def fill_review(self, review: Review, row: dict[str, Any], user_pk: int | None, uid: int):
        review.reviewer_id = user_pk
        if review.reviewer_id is None:
            # A visitor (uid 0) or a member who was not imported: the name they gave.
            review.reviewer_name = self.plain(row["reviewer"])[:100] or "Anonymous"
            if uid > 0:
                self.former_members += 1
        else:
            review.reviewer_name = ""
        # The response is appended to the review as HTML: split before sanitizing.
        stored = self.text(row["review"])
        text, response = split_response(stored)
        review.text = "" if text.strip() == _RATING_ONLY else html_from_stored(text)
        review.response = html_from_stored(response) if response else ""
        stored_rating = number(row.get("rating", -1))
        review.rating = review_rating(stored_rating, self.ratings_setting)
        if review.rating is None and stored_rating > 0:
            self.unrated += 1
        review.created_at = when(row["date"])

    def fill_missing_dates(self, reviews: list[Review]) -> None:
        """Reviews without a readable date (or one in the future) take their story's or
        series' date."""
        now = timezone.now()
        undated = [r for r in reviews if r.created_at is None or r.created_at > now]
        if not undated:
            return
        self.undated += len(undated)
        story_dates = dict(
            Story.objects.filter(pk__in={r.story_id for r in undated}).values_list(
                "pk", "created_at"
            )
        )
        series_dates = dict(
            Series.objects.filter(pk__in={r.series_id for r in undated}).values_list(
                "pk", "created_at"
            )
        )
        for review in undated:
            date: datetime | None = story_dates.get(review.story_id) or series_dates.get(
                review.series_id
            )
            review.created_at = date or now

    def finish(self) -> None:
        self._converge()
        notice = self.ctx.report.notice
        if self.former_members:
            notice(
                "reviews by members who were not imported",
                f"{self.former_members:,} reviews by members missing from the authors table "
                "are shown under the name they signed with.",
            )
        if self.unrated:
            notice(
                "review ratings not imported",
                f"{self.unrated:,} review ratings were left out: the archive's `ratings` "
                f"setting ({self.ratings_setting or 'missing'}) gives them no meaning.",
            )
        if self.undated:
            notice(
                "reviews without a date",
                f"{self.undated:,} reviews had no readable date and take their story's.",
            )

    def _converge(self) -> None:
        """Reviews deleted in eFiction since an earlier run go; one that members replied
        to in Fanfold stays (deleting it would delete the replies) and is listed."""
        kept = self.remove_gone(Review, "legacy_reviewid", (Review.objects.all(), "parent"))
        self.ctx.report.kept_totals["reviews"] += len(kept)
        kept_ids = Review.objects.filter(pk__in=kept).values_list("legacy_reviewid", flat=True)
        for reviewid in kept_ids:
            self.ctx.report.notice(
                "deleted in eFiction, kept in Fanfold",
                f"review {reviewid}: members replied to it in Fanfold; kept with the replies",
            )


class FavoritesStep(Step):
    """`favorites`: members' favorite stories ("ST"), authors ("AU") and series ("SE").

    eFiction's favorites have no id: a favorite is keyed by member and target, so a rerun
    updates it and a repeated row (dumps keep every row) is merged into the first.
    """

    table = "favorites"
    order_by = ("uid", "type", "item")
    batch_size = 1000
    mapped = frozenset({"uid", "item", "type", "comments"})
    kinds = {"ST": "story", "AU": "author", "SE": "series"}
    names = {"ST": "a story", "AU": "an author", "SE": "a series"}

    def prepare(self) -> None:
        # (user pk, target field, target pk) written by this run: a second row for one of
        # them in a later batch is a duplicate, not an earlier run's favorite.
        self.seen: set[tuple[int, str, int]] = set()

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        typed = [(row, self.text(row["type"]).strip().upper()) for row in rows]
        items: dict[str, list[int]] = {kind: [] for kind in self.kinds}
        for row, kind in typed:
            items.get(kind, []).append(number(row["item"]))
        users = self.ctx.pks(User, "legacy_uid", [number(row["uid"]) for row in rows] + items["AU"])
        targets = {
            "ST": self.ctx.pks(Story, "legacy_sid", items["ST"]),
            "AU": users,
            "SE": self.ctx.pks(Series, "legacy_seriesid", items["SE"]),
        }
        existing = self.existing(users.values())
        batch: dict[tuple[int, str, int], Favorite] = {}
        for row, kind in typed:
            key = self.key(row, kind, users, targets)
            if key is None:
                continue
            comment = self.comment(row.get("comments"))
            favorite = batch.get(key) or existing.get(key)
            if key in batch or key in self.seen:
                self.report.merged += 1
                if comment and comment not in favorite.comment:
                    favorite.comment = "\n\n".join(filter(None, [favorite.comment, comment]))
            elif favorite is not None:
                self.report.updated += 1
                favorite.comment = comment
            else:
                self.report.created += 1
                user_pk, field, target_pk = key
                favorite = Favorite(user_id=user_pk, comment=comment, **{f"{field}_id": target_pk})
            batch[key] = favorite
        Favorite.objects.bulk_create([f for f in batch.values() if f.pk is None])
        Favorite.objects.bulk_update([f for f in batch.values() if f.pk is not None], ["comment"])
        self.seen |= batch.keys()

    def finish(self) -> None:
        """Favorites eFiction no longer has go, for members who have never signed in to
        Fanfold (all theirs came from eFiction); the others' stay, since a member may have
        added them in Fanfold, and are counted in the report."""
        imported_members = Favorite.objects.filter(user__legacy_uid__isnull=False).values_list(
            "pk", "user_id", "story_id", "author_id", "series_id", "user__last_login"
        )
        stale, kept = [], 0
        for pk, user, story, author, series, last_login in imported_members.iterator(
            chunk_size=5000
        ):
            field, target = next(
                (field, target)
                for field, target in zip(self.kinds.values(), (story, author, series), strict=True)
                if target is not None
            )
            if (user, field, target) in self.seen:
                continue
            if last_login is None:
                stale.append(pk)
            else:
                kept += 1
        self.remove(Favorite, stale)
        if kept:
            self.ctx.report.notice(
                "favorites not in eFiction, kept",
                f"{kept:,} favorites of imported members are not (or no longer) in eFiction; "
                "kept, because these members have signed in to Fanfold and may have added them",
            )

    def key(self, row, kind, users, targets) -> tuple[int, str, int] | None:
        """(user pk, target field, target pk), or None with the row skipped."""
        if kind not in self.kinds:
            self.skip(f"favorite of something other than a story, author or series ({kind!r})")
            return None
        user_pk = users.get(number(row["uid"]))
        if user_pk is None:
            self.skip("favorite of a member who was not imported")
            return None
        target_pk = targets[kind].get(number(row["item"]))
        if target_pk is None:
            self.skip(f"favorite of {self.names[kind]} that was not imported")
            return None
        return user_pk, self.kinds[kind], target_pk

    def existing(self, user_pks) -> dict[tuple[int, str, int], Favorite]:
        """These members' favorites already in Fanfold, by key."""
        found = {}
        for favorite in Favorite.objects.filter(user__in=list(user_pks)):
            for field in self.kinds.values():
                target_pk = getattr(favorite, f"{field}_id")
                if target_pk is not None:
                    found[favorite.user_id, field, target_pk] = favorite
        return found

    def comment(self, value) -> str:
        """The comment as plain text with its line breaks (Fanfold escapes it on output)."""
        return html_to_text(self.html(value))


STEPS: list[type[Step]] = [ReviewsStep, FavoritesStep]
