"""Authoring forms: stories.py (stories and chapters), series.py (series and co-authors)."""
