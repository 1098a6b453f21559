from django.urls import re_path

from fanfold.importers.efiction import redirects

app_name = "efiction"

# eFiction's scripts, also when the old archive lived in a folder (/fanfiction/viewstory.php).
_SCRIPT = "|".join(redirects.SCRIPTS)

urlpatterns = [
    re_path(rf"^(?:[\w.~-]+/)*(?P<script>{_SCRIPT})\.php$", redirects.legacy, name="legacy"),
]
