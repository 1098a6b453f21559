"""Managing series: my series, new, edit (details, add, remove, reorder) and delete."""

import re

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from fanfold.archive.models import Series, SeriesItem, Status, Story, StoryAuthor
from tests.factories import make_series, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return make_user("Series Keeper")


@pytest.fixture
def stranger():
    return make_user("Passer By")


@pytest.fixture
def moderator():
    return make_user("Moderator", is_staff=True)


@pytest.fixture
def stories(owner):
    return [make_story(title, authors=[owner]) for title in ("Alpha", "Beta", "Gamma", "Delta")]


@pytest.fixture
def series(owner, stories):
    return make_series(owner, "The Long Road", stories=stories[:3])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def order_of(series: Series) -> list[str]:
    return [item.story.title for item in series.items.select_related("story").order_by("position")]


def positions(series: Series) -> list[int]:
    return list(series.items.order_by("position").values_list("position", flat=True))


# Who may do what ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(series):
    for url in (
        "/my/series/",
        "/my/series/new/",
        f"/my/series/{series.pk}/edit/",
        f"/my/series/{series.pk}/delete/",
    ):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"
    response = Client().post(f"/my/series/{series.pk}/delete/")
    assert response["Location"].startswith("/accounts/login/")
    assert Series.objects.filter(pk=series.pk).exists()


def test_another_member_may_not_change_a_closed_series(series, stranger):
    client = signed_in(stranger)
    assert client.get(f"/my/series/{series.pk}/edit/").status_code == 403
    assert client.get(f"/my/series/{series.pk}/delete/").status_code == 403
    assert client.post(f"/my/series/{series.pk}/delete/").status_code == 403
    post = {"action": "details", "title": "Mine now", "summary": ""}
    assert client.post(f"/my/series/{series.pk}/edit/", post).status_code == 403
    assert client.get("/my/series/999999/edit/").status_code == 404
    series.refresh_from_db()
    assert series.title == "The Long Road"


def test_my_series_lists_only_the_members_own(series, stranger):
    make_series(stranger, "Someone Else's Saga")
    page = signed_in(series.owner).get("/my/series/").content.decode()
    assert "The Long Road" in page and "Someone Else" not in page
    assert f'href="/my/series/{series.pk}/edit/"' in page
    assert f'href="/my/series/{series.pk}/delete/"' in page
    assert "3 stories" in page
    assert 'href="/my/series/new/"' in page


def test_my_series_costs_the_same_queries_for_many_series(owner, django_assert_max_num_queries):
    client = signed_in(owner)
    make_series(owner, "One")
    # Session, user, the header's pen name, the series.
    with django_assert_max_num_queries(5) as few:
        client.get("/my/series/")
    for n in range(15):
        make_series(owner, f"Series {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/my/series/").content.decode()
    assert "Series 14" in page


def test_the_owner_edits_everything(series):
    page = signed_in(series.owner).get(f"/my/series/{series.pk}/edit/").content.decode()
    assert '<label for="id_title">Title:</label>' in page
    assert "Open to other authors" in page
    assert "Save order" in page
    assert page.count(">Remove</button>") == 3
    assert "Delta" in page  # the one story not in it yet, offered to add


def test_a_moderator_may_edit_and_delete_any_series(series, moderator):
    client = signed_in(moderator)
    post = {"action": "details", "title": "Renamed by a moderator", "summary": "Tidied."}
    response = client.post(f"/my/series/{series.pk}/edit/", post)
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.title == "Renamed by a moderator"
    assert series.owner.profile.pen_name == "Series Keeper"  # still the owner's series
    # The owner's remaining story is offered to the moderator, too.
    assertContains(client.get(f"/my/series/{series.pk}/edit/"), "Delta")
    assert client.post(f"/my/series/{series.pk}/delete/").status_code == 302
    assert not Series.objects.filter(pk=series.pk).exists()


# Creating and editing details ----------------------------------------------------------------


def test_new_series(owner):
    client = signed_in(owner)
    assertContains(client.get("/my/series/new/"), "Open to other authors")
    response = client.post(
        "/my/series/new/",
        {
            "title": "  Tales   of Dust ",
            "summary": "First part.\n\nSecond *part*.",
            "is_open": "on",
        },
    )
    series = Series.objects.get()
    assert response["Location"] == f"/my/series/{series.pk}/edit/"
    assert (series.owner, series.title, series.is_open) == (owner, "Tales of Dust", True)
    assert series.summary == "<p>First part.</p>\n<p>Second *part*.</p>"
    assertContains(client.get(response["Location"]), "Series created.")


def test_new_series_posted_twice_creates_one_series(owner):
    client = signed_in(owner)
    page = client.get("/my/series/new/").content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f-]+)"', page).group(1)
    data = {"title": "Only Once", "summary": "", "submission_key": key}

    first = client.post("/my/series/new/", data)
    second = client.post("/my/series/new/", data)

    series = Series.objects.get()
    assert first["Location"] == second["Location"] == f"/my/series/{series.pk}/edit/"
    assert series.submission_key is not None
    assert "Submission key" not in page


def test_a_series_details_form_carries_no_submission_key(owner, series):
    page = signed_in(owner).get(f"/my/series/{series.pk}/edit/").content.decode()
    assert "submission_key" not in page


def test_errors_keep_everything_typed(owner):
    response = signed_in(owner).post(
        "/my/series/new/", {"title": "   ", "summary": "Kept “as typed”…", "is_open": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page
    assert "Kept “as typed”…</textarea>" in page
    assert re.search(r'<input type="checkbox" name="is_open"[^>]* checked>', page)
    assert not Series.objects.exists()


def test_an_unchanged_summary_keeps_its_formatting(series):
    Series.objects.filter(pk=series.pk).update(summary="<p>An <em>imported</em> summary.</p>")
    client = signed_in(series.owner)
    page = client.get(f"/my/series/{series.pk}/edit/").content.decode()
    assert "An imported summary.</textarea>" in page
    client.post(
        f"/my/series/{series.pk}/edit/",
        {"action": "details", "title": "The Long Road", "summary": "An imported summary."},
    )
    series.refresh_from_db()
    assert series.summary == "<p>An <em>imported</em> summary.</p>"
    client.post(
        f"/my/series/{series.pk}/edit/",
        {"action": "details", "title": "The Long Road", "summary": "Rewritten."},
    )
    series.refresh_from_db()
    assert series.summary == "<p>Rewritten.</p>"


def test_hostile_titles_and_summaries_never_run(owner, stories):
    client = signed_in(owner)
    for text in HOSTILE:
        client.post("/my/series/new/", {"title": text[:200], "summary": text})
        series = Series.objects.latest("pk")
        assert series.title == " ".join(text[:200].split())
        client.post(f"/my/series/{series.pk}/edit/", {"action": "add", "story": stories[0].pk})
        for url in (
            f"/series/{series.pk}/",
            f"/my/series/{series.pk}/edit/",
            "/my/series/",
            f"/my/series/{series.pk}/delete/",
        ):
            page = client.get(url).content.decode()
            assert executable_parts(page) == [], (text, url)
            assert executable_parts(Client().get(f"/series/{series.pk}/").content.decode()) == []
    assert Series.objects.count() == len(HOSTILE)


# The stories in a series ------------------------------------------------------------------------


def test_adding_one_of_your_stories_puts_it_last_and_counts_it(series, stories):
    draft = make_story("Unfinished", authors=[series.owner], status=Status.DRAFT)
    client = signed_in(series.owner)
    assert Client().get(f"/series/{series.pk}/").status_code == 200  # cached now

    response = client.post(
        f"/my/series/{series.pk}/edit/", {"action": "add", "story": stories[3].pk}
    )
    assert response.status_code == 302
    client.post(f"/my/series/{series.pk}/edit/", {"action": "add", "story": draft.pk})

    assert order_of(series) == ["Alpha", "Beta", "Gamma", "Delta", "Unfinished"]
    assert positions(series) == [1, 2, 3, 4, 5]
    series.refresh_from_db()
    assert series.story_count == 4  # the draft is not listed, so not counted
    public = Client().get(f"/series/{series.pk}/")
    assertContains(public, "Delta")
    assertNotContains(public, "Unfinished")


def test_only_your_own_stories_may_be_added(series, stranger):
    theirs = make_story("Not Yours", authors=[stranger])
    client = signed_in(series.owner)
    assertNotContains(client.get(f"/my/series/{series.pk}/edit/"), "Not Yours")
    response = client.post(f"/my/series/{series.pk}/edit/", {"action": "add", "story": theirs.pk})
    assert response.status_code == 200
    assertContains(response, "Select a valid choice.")
    assert not SeriesItem.objects.filter(story=theirs).exists()


def test_a_coauthor_may_add_a_shared_story_to_their_series(owner, stranger):
    shared = make_story("Written Together", authors=[stranger, owner])  # owner co-authors
    mine = make_series(owner, "My Collection")
    client = signed_in(owner)
    client.post(f"/my/series/{mine.pk}/edit/", {"action": "add", "story": shared.pk})
    assert order_of(mine) == ["Written Together"]


def test_open_series_take_stories_from_any_member(series, stranger):
    Series.objects.filter(pk=series.pk).update(is_open=True)
    theirs = make_story("A Guest Story", authors=[stranger])
    client = signed_in(stranger)

    page = client.get(f"/my/series/{series.pk}/edit/").content.decode()
    assert "Add to series: The Long Road" in page
    assert 'name="title"' not in page and "Save order" not in page and "Remove</button>" not in page
    client.post(f"/my/series/{series.pk}/edit/", {"action": "add", "story": theirs.pk})
    assert order_of(series)[-1] == "A Guest Story"

    # They may take out their own story, but nothing else, and not rename or reorder.
    guest_item = SeriesItem.objects.get(story=theirs)
    alpha_item = SeriesItem.objects.get(series=series, position=1)
    assert (
        client.post(
            f"/my/series/{series.pk}/edit/", {"action": "remove", "item": alpha_item.pk}
        ).status_code
        == 403
    )
    for action in ("details", "order"):
        post = {"action": action, "title": "Taken", f"position-{guest_item.pk}": "1"}
        assert client.post(f"/my/series/{series.pk}/edit/", post).status_code == 403
    assert (
        client.post(
            f"/my/series/{series.pk}/edit/", {"action": "remove", "item": guest_item.pk}
        ).status_code
        == 302
    )
    assert order_of(series) == ["Alpha", "Beta", "Gamma"]
    assert client.get(f"/my/series/{series.pk}/delete/").status_code == 403


def test_removing_an_item_renumbers_and_recounts(series, stories):
    beta = SeriesItem.objects.get(story=stories[1])
    client = signed_in(series.owner)
    response = client.post(f"/my/series/{series.pk}/edit/", {"action": "remove", "item": beta.pk})
    assert response.status_code == 302
    assert order_of(series) == ["Alpha", "Gamma"]
    assert positions(series) == [1, 2]
    series.refresh_from_db()
    assert series.story_count == 2
    assert Story.objects.filter(pk=stories[1].pk).exists()
    assertNotContains(Client().get(f"/series/{series.pk}/"), "Beta")
    assert client.post(f"/my/series/{series.pk}/edit/", {"action": "explode"}).status_code == 400
    for bad in ("", "abc", "999999"):
        post = {"action": "remove", "item": bad}
        assert client.post(f"/my/series/{series.pk}/edit/", post).status_code == 404


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        ({"Gamma": 1}, ["Gamma", "Alpha", "Beta", "Delta"]),
        ({"Alpha": 3}, ["Beta", "Gamma", "Alpha", "Delta"]),
        ({"Beta": 99}, ["Alpha", "Gamma", "Delta", "Beta"]),
        ({"Delta": 0}, ["Delta", "Alpha", "Beta", "Gamma"]),
        ({"Alpha": 4, "Delta": 1}, ["Delta", "Beta", "Gamma", "Alpha"]),
        ({"Alpha": "x"}, ["Alpha", "Beta", "Gamma", "Delta"]),
    ],
)
def test_reordering(owner, stories, moves, expected):
    series = make_series(owner, "Four", stories=stories)
    ids = {item.story.title: item.pk for item in series.items.select_related("story")}
    # The form sends every position; untouched ones keep their numbers.
    post = {"action": "order"}
    post |= {f"position-{pk}": str(n) for n, pk in enumerate(ids.values(), start=1)}
    post |= {f"position-{ids[title]}": str(number) for title, number in moves.items()}
    response = signed_in(owner).post(f"/my/series/{series.pk}/edit/", post)
    assert response.status_code == 302
    assert order_of(series) == expected
    assert positions(series) == [1, 2, 3, 4]
    page = Client().get(f"/series/{series.pk}/").content.decode()
    assert [t for t in sorted(expected, key=page.index)] == expected


def test_edit_page_shows_sub_series_and_story_states(series, owner):
    child = make_series(owner, "Side Stories")
    SeriesItem.objects.create(series=series, subseries=child, position=4)
    draft = make_story("Drafty", authors=[owner], status=Status.DRAFT)
    SeriesItem.objects.create(series=series, story=draft, position=5)
    page = signed_in(owner).get(f"/my/series/{series.pk}/edit/").content.decode()
    assert f'Series: <a href="/series/{child.pk}/">Side Stories</a>' in page
    assert 'Drafty</a> <span class="meta">(draft)</span>' in page
    assert '<label for="position-' in page
    assert ">Delta</option>" in page  # still offered beside a sub-series


# Deleting ----------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes_the_series_but_not_its_stories(series, stories, owner):
    parent = make_series(owner, "Everything")
    SeriesItem.objects.create(series=parent, story=stories[3], position=1)
    SeriesItem.objects.create(series=parent, subseries=series, position=2)
    SeriesItem.objects.create(series=parent, story=make_story("Last", authors=[owner]), position=3)
    client = signed_in(owner)

    confirm = client.get(f"/my/series/{series.pk}/delete/")
    assertContains(confirm, "the stories in it stay in the archive")
    assert Series.objects.filter(pk=series.pk).exists()

    response = client.post(f"/my/series/{series.pk}/delete/", follow=True)
    assertContains(response, "Series “The Long Road” deleted.")
    assert not Series.objects.filter(pk=series.pk).exists()
    assert Story.objects.count() == 5
    assert positions(parent) == [1, 2]
    assert Client().get(f"/series/{series.pk}/").status_code == 404


def test_deleting_a_member_story_updates_the_count(series, stories):
    """Counts stay right when the story side changes too (refresh through counts.py)."""
    StoryAuthor.objects.filter(story=stories[0]).delete()
    stories[0].delete()
    from fanfold.archive import counts

    counts.refresh_series([series.pk])
    series.refresh_from_db()
    assert series.story_count == 2


# Sub-series ------------------------------------------------------------------------------


def test_a_series_goes_inside_another_but_never_inside_itself(owner, stranger):
    saga = make_series(owner, "Saga")
    part = make_series(owner, "Part One")
    scene = make_series(owner, "Scene")
    make_series(stranger, "Not Mine")
    client = signed_in(owner)

    assert (
        client.post(
            f"/my/series/{saga.pk}/edit/", {"action": "add_series", "subseries": part.pk}
        ).status_code
        == 302
    )
    client.post(f"/my/series/{part.pk}/edit/", {"action": "add_series", "subseries": scene.pk})
    assert [i.subseries for i in saga.items.all()] == [part]
    assertContains(Client().get(f"/series/{saga.pk}/"), "Part One")

    # Scene is inside Part One, inside Saga: neither may go inside Scene, nor Scene itself.
    page = client.get(f"/my/series/{scene.pk}/edit/").content.decode()
    assert "None of your other series can go inside this one." in page
    for loop in (saga, part, scene):
        post = {"action": "add_series", "subseries": loop.pk}
        response = client.post(f"/my/series/{scene.pk}/edit/", post)
        assertContains(response, "Select a valid choice.")
    assert not scene.items.exists()
    # Someone else's series is not offered either.
    assertNotContains(client.get(f"/my/series/{saga.pk}/edit/"), "Not Mine")


def test_only_managers_add_series(series, stranger):
    Series.objects.filter(pk=series.pk).update(is_open=True)
    theirs = make_series(stranger, "Guest Series")
    client = signed_in(stranger)
    assertNotContains(client.get(f"/my/series/{series.pk}/edit/"), "Add a series")
    post = {"action": "add_series", "subseries": theirs.pk}
    assert client.post(f"/my/series/{series.pk}/edit/", post).status_code == 403
