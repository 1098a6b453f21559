"""A covering index for the filters of listings and search on PostgreSQL.

Facet counts and the count of a result start from the ids of the stories that pass the
filters (archive.views.browse._facet_rows). The stories' heap is wide (titles, summaries,
imported fields: 86 MB at 100,000 stories), so that pass was a sequential scan of all of
it (45 ms); with every filtered column in one narrow index it can be an index-only scan
(12 ms). SQLite has no INCLUDE and reads its b-trees differently: nothing to do there.
Built CONCURRENTLY (outside a transaction), so a live archive keeps taking writes.
"""

from django.db import migrations

from fanfold.lib.migrations import on_postgresql

CREATE = """
CREATE INDEX CONCURRENTLY IF NOT EXISTS archive_story_listing_cover ON archive_story (status)
INCLUDE (id, chapter_count, rating_id, completed, language, word_count, updated_at,
         published_at)
"""
DROP = "DROP INDEX CONCURRENTLY IF EXISTS archive_story_listing_cover"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("archive", "0005_story_like_count")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
