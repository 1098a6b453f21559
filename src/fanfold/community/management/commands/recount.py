"""`fanfold recount`: rebuild every denormalized count from the rows.

Counts are only ever written by fanfold.archive.counts and fanfold.community.counts; this
command runs all of them over the whole archive, so it also verifies them: running it
changes nothing when the counts were right. Hits are not recounted: they are never derived
from rows, only added to.
"""

import itertools

from django.core.management.base import BaseCommand
from django.db import transaction

from fanfold.archive import counts as archive_counts
from fanfold.archive.models import Category, Character, Classification, Rating, Series, Story
from fanfold.community import counts as community_counts
from fanfold.lib.progress import progress_bar

STORIES_PER_BATCH = 1000


class Command(BaseCommand):
    help = "Recompute every denormalized count (words, chapters, reviews, favorites, likes…)."

    def handle(self, *args, **options) -> None:
        story_ids = list(Story.objects.order_by("pk").values_list("pk", flat=True))
        with progress_bar(
            self.stderr, total=len(story_ids), desc="recount", unit="story"
        ) as progress:
            for batch in itertools.batched(story_ids, STORIES_PER_BATCH):
                with transaction.atomic():
                    archive_counts.refresh_stories(batch)
                    community_counts.refresh_stories(batch)
                progress.update(len(batch))
        with transaction.atomic():
            archive_counts.refresh_taxonomy()
            community_counts.refresh_series()
        self.stdout.write(
            f"Recounted words, chapters, reviews and favorites of {len(story_ids):,} stories; "
            f"story counts of {Category.objects.count():,} categories, "
            f"{Character.objects.count():,} characters, "
            f"{Classification.objects.count():,} classifications, "
            f"{Rating.objects.count():,} ratings and the authors; "
            f"story, review and favorite counts of {Series.objects.count():,} series. "
            "Hits are left as they are."
        )
