from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("fanfold.archive.urls")),
    path("accounts/", include("fanfold.accounts.urls")),
    path("moderation/", include("fanfold.moderation.urls")),
    path("", include("fanfold.community.urls")),
    path("", include("fanfold.core.urls")),
    path("search/", include("fanfold.search.urls")),
    # Old eFiction addresses (viewstory.php?sid=…) answer with permanent redirects.
    path("", include("fanfold.importers.efiction.urls")),
    path("admin/", admin.site.urls),
]
