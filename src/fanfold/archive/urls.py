from django.urls import path

from fanfold.archive.views import authoring, browse, coauthoring, pending, reading, series_manage

app_name = "archive"

urlpatterns = [
    # Reading (views/reading.py)
    path("", reading.front_page, name="front"),
    path("stories/<int:pk>/", reading.story_redirect, name="story_short"),
    path("stories/<int:pk>-<str:slug>/", reading.story_index, name="story"),
    path("stories/<int:pk>/chapters/", reading.chapter_jump, name="chapter_jump"),
    path("stories/<int:pk>/chapters/<int:number>/", reading.chapter, name="chapter"),
    path("stories/<int:pk>/full/", reading.full_story, name="full"),
    path("stories/<int:pk>/print/", reading.print_story, name="print"),
    path("stories/<int:pk>/consent/", reading.consent, name="consent"),
    # Browsing (views/browse.py)
    path("browse/", browse.index, name="browse"),
    path("browse/categories/", browse.categories, name="categories"),
    path("browse/categories/<int:pk>/", browse.category, name="category"),
    path("browse/characters/", browse.characters, name="characters"),
    path("browse/characters/<int:pk>/", browse.character, name="character"),
    path("browse/types/<int:pk>/", browse.classification_type, name="classification_type"),
    path("browse/classifications/<int:pk>/", browse.classification, name="classification"),
    path("browse/ratings/", browse.ratings, name="ratings"),
    path("browse/ratings/<int:pk>/", browse.rating, name="rating"),
    path("browse/titles/", browse.titles, name="titles"),
    path("browse/recent/", browse.recent, name="recent"),
    path("browse/top/<slug:which>/", browse.top, name="top"),
    path("authors/", browse.authors, name="authors"),
    path("authors/<path:pen_name>/", browse.author, name="author"),
    path("series/", browse.series_list, name="series_list"),
    path("series/<int:pk>/", browse.series, name="series"),
    # Authoring stories and chapters (views/authoring.py)
    path("my/stories/", authoring.my_stories, name="my_stories"),
    path("my/stories/new/", authoring.story_new, name="story_new"),
    path("my/stories/<int:pk>/", authoring.story_chapters, name="story_chapters"),
    path("my/stories/<int:pk>/edit/", authoring.story_edit, name="story_edit"),
    path("my/stories/<int:pk>/preview/", authoring.story_preview, name="story_preview"),
    path("my/stories/<int:pk>/publish/", authoring.story_publish, name="story_publish"),
    path("my/stories/<int:pk>/delete/", authoring.story_delete, name="story_delete"),
    path("my/stories/<int:pk>/order/", authoring.chapter_order, name="chapter_order"),
    path("my/stories/<int:pk>/chapters/new/", authoring.chapter_new, name="chapter_new"),
    path("my/chapters/<int:pk>/edit/", authoring.chapter_edit, name="chapter_edit"),
    path("my/chapters/<int:pk>/preview/", authoring.chapter_preview, name="chapter_preview"),
    path("my/chapters/<int:pk>/publish/", authoring.chapter_publish, name="chapter_publish"),
    path("my/chapters/<int:pk>/delete/", authoring.chapter_delete, name="chapter_delete"),
    # Managing series (views/series_manage.py)
    path("my/series/", series_manage.my_series, name="my_series"),
    path("my/series/new/", series_manage.series_new, name="series_new"),
    path("my/series/<int:pk>/edit/", series_manage.series_edit, name="series_edit"),
    path("my/series/<int:pk>/delete/", series_manage.series_delete, name="series_delete"),
    # Co-author invitations (views/coauthoring.py)
    path("my/invitations/", coauthoring.invitations, name="invitations"),
    path("my/invitations/<int:pk>/<str:answer>/", coauthoring.answer, name="invitation_answer"),
    # Recovering a post made after the session expired (views/pending.py)
    path("my/pending/<str:token>/", pending.pending, name="pending_submission"),
]
