"""Edit profile: pen name, bio, website and the custom fields admins define."""

import pytest
from django.test import Client

from fanfold.accounts.models import Profile, ProfileField, ProfileFieldValue
from tests.factories import make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = make_user("Quill Feather")
    make_story("A Tale", authors=[user])
    client.force_login(user)
    return user


@pytest.fixture
def fields():
    return {
        "fandoms": ProfileField.objects.create(name="Favourite fandoms", order=1),
        "tumblr": ProfileField.objects.create(name="Tumblr", kind="url", order=2),
        "beta": ProfileField.objects.create(name="Beta reader", kind="yesno", order=3),
        "pronouns": ProfileField.objects.create(
            name="Pronouns", kind="choice", choices="she/her\nhe/him\nthey/them", order=4
        ),
        "hidden": ProfileField.objects.create(name="Old field", is_active=False),
    }


def edit(client, **changes):
    data = {"pen_name": "Quill Feather", "bio": "", "bio_format": "plain", "website": ""}
    return client.post("/accounts/profile/", {**data, **changes})


def test_the_form_names_its_fields(client, member, fields):
    page = client.get("/accounts/profile/").content.decode()
    assert "<h1>Edit profile</h1>" in page
    for label in ["Pen name", "Bio", "Bio format", "Website", "Favourite fandoms", "Tumblr",
                  "Beta reader", "Pronouns"]:  # fmt: skip
        assert f">{label}:</label>" in page
    assert "Old field" not in page


def test_bio_and_website_show_on_the_author_page(client, member):
    response = edit(
        client,
        bio="I write *long* things.\n\nMostly at night.",
        bio_format="markdown",
        website="https://quill.example/",
    )
    assert response["Location"] == "/accounts/profile/"
    assert "Your profile is saved." in client.get("/accounts/profile/").content.decode()

    page = Client().get("/authors/Quill%20Feather/").content.decode()
    assert "<p>I write <em>long</em> things.</p>" in page
    assert '<a href="https://quill.example/" rel="nofollow ugc">' in page


def test_plain_bio_keeps_its_text_and_source(client, member):
    edit(client, bio="Line one\nline two <b>not bold</b>", bio_format="plain")
    profile = Profile.objects.get(user=member)
    assert profile.bio == "<p>Line one<br>\nline two &lt;b&gt;not bold&lt;/b&gt;</p>"
    page = client.get("/accounts/profile/").content.decode()
    assert "Line one\nline two &lt;b&gt;not bold&lt;/b&gt;</textarea>" in page


@pytest.mark.parametrize(
    "website", ["javascript:alert(1)", "ftp://files.example/", "data:text/html,x", "not a url"]
)
def test_website_must_be_http_or_https(client, member, website):
    response = edit(client, website=website)
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode()
    assert Profile.objects.get(user=member).website == ""


def test_website_without_a_scheme_becomes_https(client, member):
    edit(client, website="quill.example")
    assert Profile.objects.get(user=member).website == "https://quill.example"


class TestPenNameChange:
    def test_renames_and_the_author_page_moves(self, client, member):
        edit(client, pen_name="Quill  Sharp")
        assert Profile.objects.get(user=member).pen_name == "Quill Sharp"
        assert Client().get("/authors/Quill%20Sharp/").status_code == 200
        assert Client().get("/authors/Quill%20Feather/").status_code == 404

    def test_changing_only_the_case_of_ones_own_name_is_fine(self, client, member):
        edit(client, pen_name="QUILL FEATHER")
        assert Profile.objects.get(user=member).pen_name == "QUILL FEATHER"

    def test_a_look_alike_of_another_members_name_is_refused(self, client, member):
        make_user("Spike")
        response = edit(client, pen_name="Ѕpike", bio="kept")  # Cyrillic Ѕ
        page = response.content.decode()
        assert "looks the same as one that is" in page
        assert 'value="Ѕpike"' in page and ">\nkept</textarea>" in page
        assert Profile.objects.get(user=member).pen_name == "Quill Feather"

    @pytest.mark.parametrize("blank", ["   ", "\u200b\u200d", "\u00ad"])
    def test_a_blank_or_invisible_name_is_refused(self, client, member, blank):
        page = edit(client, pen_name=blank).content.decode()
        assert "This field is required." in page or "Choose a pen name." in page
        assert Profile.objects.get(user=member).pen_name == "Quill Feather"


class TestCustomFields:
    def test_values_are_saved_and_shown_in_field_order(self, client, member, fields):
        edit(
            client,
            **{
                f"field_{fields['fandoms'].pk}": "Buffy, Firefly",
                f"field_{fields['tumblr'].pk}": "https://quill.tumblr.example/",
                f"field_{fields['beta'].pk}": "on",
                f"field_{fields['pronouns'].pk}": "they/them",
            },
        )
        page = Client().get("/authors/Quill%20Feather/").content.decode()
        assert "<dt>Favourite fandoms</dt><dd>Buffy, Firefly</dd>" in page
        assert '<a href="https://quill.tumblr.example/" rel="nofollow ugc">' in page
        assert "<dt>Beta reader</dt><dd>Yes</dd>" in page
        assert "<dt>Pronouns</dt><dd>they/them</dd>" in page
        assert page.index("Favourite fandoms") < page.index("Pronouns")
        form = client.get("/accounts/profile/").content.decode()
        assert 'value="Buffy, Firefly"' in form
        assert f'name="field_{fields["beta"].pk}" id="id_field_{fields["beta"].pk}" checked' in form

    def test_clearing_a_value_removes_it(self, client, member, fields):
        edit(client, **{f"field_{fields['fandoms'].pk}": "Buffy"})
        edit(client, **{f"field_{fields['fandoms'].pk}": ""})
        assert not ProfileFieldValue.objects.filter(field=fields["fandoms"]).exists()

    def test_a_choice_outside_the_list_is_refused(self, client, member, fields):
        response = edit(client, **{f"field_{fields['pronouns'].pk}": "xe/xem"})
        assert "Select a valid choice." in response.content.decode()

    def test_a_url_field_takes_only_web_addresses(self, client, member, fields):
        response = edit(client, **{f"field_{fields['tumblr'].pk}": "javascript:alert(1)"})
        assert "Enter a valid URL." in response.content.decode()
        assert not ProfileFieldValue.objects.exists()

    def test_inactive_fields_are_not_shown(self, client, member, fields):
        ProfileFieldValue.objects.create(
            profile=member.profile, field=fields["hidden"], value="secret"
        )
        assert "secret" not in Client().get("/authors/Quill%20Feather/").content.decode()


def test_a_cached_author_page_shows_the_change(client, member, fields):
    visitor = Client()
    visitor.get("/authors/Quill%20Feather/")
    assert visitor.get("/authors/Quill%20Feather/")["X-Page-Cache"] == "hit"

    edit(client, bio="Brand new bio", **{f"field_{fields['fandoms'].pk}": "Angel"})

    page = visitor.get("/authors/Quill%20Feather/").content.decode()
    assert "Brand new bio" in page and "<dd>Angel</dd>" in page


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_input_never_runs(client, member, fields, hostile):
    for bio_format in ["html", "markdown", "plain"]:
        edit(
            client,
            bio=hostile,
            bio_format=bio_format,
            website=hostile,
            **{f"field_{fields['fandoms'].pk}": hostile, f"field_{fields['tumblr'].pk}": hostile},
        )
        assert executable_parts(Client().get("/authors/Quill%20Feather/").content.decode()) == []
        assert executable_parts(client.get("/accounts/profile/").content.decode()) == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_pen_names_are_escaped_everywhere(client, member, hostile):
    response = edit(client, pen_name=hostile)
    assert executable_parts(response.content.decode()) == []
    profile = Profile.objects.get(user=member)
    if profile.pen_name != "Quill Feather":
        page = Client().get(profile.get_absolute_url())
        assert executable_parts(page.content.decode()) == []
        assert executable_parts(Client().get("/authors/").content.decode()) == []
    assert executable_parts(client.get("/accounts/profile/").content.decode()) == []
    assert executable_parts(client.get("/accounts/").content.decode()) == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_imported_values_are_escaped(client, member, fields, hostile):
    Profile.objects.filter(user=member).update(website=hostile, bio="")
    for field in fields.values():
        ProfileFieldValue.objects.create(profile=member.profile, field=field, value=hostile)
    page = Client().get("/authors/Quill%20Feather/").content.decode()
    assert executable_parts(page) == []
    assert executable_parts(client.get("/accounts/profile/").content.decode()) == []


def test_the_form_costs_the_same_queries_whatever_the_number_of_fields(
    client, member, django_assert_max_num_queries
):
    for n in range(12):
        field = ProfileField.objects.create(name=f"Field {n}", kind="choice", choices="a\nb")
        ProfileFieldValue.objects.create(profile=member.profile, field=field, value="a")
    # session, user, profile, fields, values
    with django_assert_max_num_queries(6):
        assert client.get("/accounts/profile/").status_code == 200


def test_admins_define_fields_in_the_admin(client, fields):
    admin = make_user("Boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert "Favourite fandoms" in client.get("/admin/accounts/profilefield/").content.decode()
    response = client.post(
        "/admin/accounts/profilefield/add/",
        {"name": "Twitter", "kind": "url", "choices": "", "help_text": "", "order": 5,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ProfileField.objects.filter(name="Twitter", kind="url").exists()
    assert client.get(f"/admin/accounts/profile/{admin.profile.pk}/change/").status_code == 200
