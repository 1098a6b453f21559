"""What people type in reviews, replies, responses and names shows as typed and never runs."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fanfold.community.forms import ReplyForm, ReviewForm
from fanfold.community.models import Review
from fanfold.core.models import ArchiveSettings
from fanfold.lib.markup import html_to_text
from tests.factories import make_series, make_story, make_user
from tests.hostile import HOSTILE, executable_parts


class _ReviewTexts(HTMLParser):
    """The visible text of each review on a page, as a browser shows it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += tag != "br"
            if tag in ("p", "br"):
                self.texts[-1] += "\n"
        elif tag == "div" and ("class", "review-text") in attrs:
            self._depth = 1
            self.texts.append("")

    def handle_endtag(self, tag):
        if self._depth and tag != "br":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.texts[-1] += data


def review_texts(page: str) -> list[str]:
    parser = _ReviewTexts()
    parser.feed(page)
    return [re.sub(r"\n+", "\n", text).strip() for text in parser.texts]


TYPED = [
    "Part Six: The Crossing",
    "“You’re late,” said Zoë. 'Again.'",
    "He shrugged… ’til dawn—or later—we wait.",
    "<em>Not again,</em> she thought. Søren, Björn and 美咲 laughed.",
    "5 < 6 && 7 > 3; &amp; is not &",
    *HOSTILE,
]


@pytest.mark.django_db
class TestOnThePage:
    @pytest.fixture
    def setup(self, client):
        author = make_user("Author")
        story = make_story("The Road", authors=[author], chapters=1)
        return author, story, story.chapters.get()

    @pytest.mark.parametrize("typed", TYPED)
    def test_review_reply_and_response_show_as_typed(self, client, setup, typed):
        author, story, chapter = setup
        client.force_login(make_user("Reader"))
        client.post(f"/reviews/new/chapter/{chapter.pk}/", {"text": typed})
        review = Review.objects.get()
        client.post(f"/reviews/{review.pk}/reply/", {"text": typed})
        client.force_login(author)
        client.post(f"/reviews/{review.pk}/respond/", {"text": typed})
        for url in (chapter.get_absolute_url(), f"/stories/{story.pk}/reviews/"):
            page = client.get(url).content.decode()
            assert executable_parts(page) == []
            assert review_texts(page) == [typed, typed]
        review.refresh_from_db()
        assert html_to_text(review.response) == typed
        # The forms that show it again (edit, respond) escape it too.
        for url in (f"/reviews/{review.pk}/respond/", f"/reviews/{review.pk}/reply/"):
            assert executable_parts(client.get(url).content.decode()) == []

    @pytest.mark.parametrize("name", HOSTILE)
    def test_anonymous_names_are_escaped_everywhere(self, client, setup, name):
        author, story, chapter = setup
        ArchiveSettings(pk=1, anonymous_reviews=True, moderate_anonymous_reviews=False).save()
        series = make_series(author, "The Saga", stories=[story])
        client.post(f"/reviews/new/chapter/{chapter.pk}/", {"name": name[:100], "text": "Hi"})
        client.post(f"/reviews/new/series/{series.pk}/", {"name": name[:100], "text": "Hi"})
        assert Review.objects.filter(reviewer_name=name[:100].strip()).count() == 2
        client.force_login(author)
        review = Review.objects.filter(chapter=chapter).get()
        for url in (
            chapter.get_absolute_url(),
            f"/stories/{story.pk}/reviews/",
            f"/series/{series.pk}/",
            f"/series/{series.pk}/reviews/",
            f"/reviews/{review.pk}/respond/",
        ):
            page = client.get(url).content.decode()
            assert executable_parts(page) == [], url

    @pytest.mark.parametrize("typed", HOSTILE[:3])
    def test_a_form_with_errors_shows_the_typed_text_escaped(self, client, setup, typed):
        _, _, chapter = setup
        ArchiveSettings(pk=1, anonymous_reviews=True).save()
        response = client.post(f"/reviews/new/chapter/{chapter.pk}/", {"name": "", "text": typed})
        assert response.status_code == 200
        assert executable_parts(response.content.decode()) == []


# Words without whitespace or control characters: blank lines separate paragraphs, single
# newlines break lines, and what a reader sees is exactly what was typed.
_word = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
)
_line = st.lists(_word, min_size=1, max_size=6).map(" ".join)
_paragraph = st.lists(_line, min_size=1, max_size=3).map("\n".join)
_typed = st.lists(_paragraph, min_size=1, max_size=3).map("\n\n".join)


@given(_typed)
def test_any_typed_text_reads_back_as_typed(typed):
    for form_class in (ReviewForm, ReplyForm):
        form = form_class({"text": typed})
        assert form.is_valid(), form.errors
        assert html_to_text(form.html()) == typed
        # And what the edit box shows is the same text again.
        assert form_class.initial_text(form.html()) == typed
