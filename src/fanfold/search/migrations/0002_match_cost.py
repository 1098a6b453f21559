"""Make PostgreSQL's planner use the GIN index for `tsvector @@ tsquery`.

The tsvectors live in TOAST, and a sequential scan that evaluates @@ on every row
detoasts every story's vector; the planner does not count that (ts_match_vq costs 1,
like an integer comparison), so for common words it preferred the scan: 47 ms against
6 ms through the index over 5,000 stories, and it grows with the archive. A higher cost
of the match function fixes the estimate. It needs a superuser (the function belongs to
pg_catalog), so a migration run by another role skips it with a warning; `fanfold
reindex` tries again (backends.PostgreSQLBackend.optimize). See bench/SEARCH.md.
"""

from django.db import migrations

from fanfold.lib.migrations import on_postgresql

RAISE = """
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1000;
  ELSE
    RAISE WARNING 'Fanfold search: not a superuser, so text search may not use its index; '
      'run as a superuser: ALTER FUNCTION ts_match_vq(tsvector, tsquery) COST 1000';
  END IF;
END $$
"""
LOWER = """
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1;
  END IF;
END $$
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(on_postgresql(RAISE), on_postgresql(LOWER))]
