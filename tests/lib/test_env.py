import pytest
from django.core.exceptions import ImproperlyConfigured

from fanfold.lib.env import env_bool, env_int, env_list, mailers_from_url
from fanfold.lib.names import name_key
from fanfold.lib.slugs import story_slug


def test_booleans(monkeypatch):
    for raw, expected in [("true", True), ("1", True), ("off", False), ("", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG") is expected
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false"):
        env_bool("FLAG")


def test_integers(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert env_int("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("N", 1)
    monkeypatch.setenv("N", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("N", 1, minimum=0)


def test_lists(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , ,b.example")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_mailers():
    smtp = mailers_from_url("smtp+tls://me:p%40ss@mail.example:587", "/tmp")["default"]
    assert smtp["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert smtp["OPTIONS"] | {} == {
        "host": "mail.example",
        "port": 587,
        "username": "me",
        "password": "p@ss",
        "use_ssl": False,
        "use_tls": True,
        "timeout": 10,
    }
    assert mailers_from_url("", "/var/mail")["default"]["OPTIONS"] == {"file_path": "/var/mail"}
    with pytest.raises(ImproperlyConfigured, match="scheme"):
        mailers_from_url("carrier-pigeon://coop", "/tmp")


def test_name_key_ignores_case_width_and_spacing():
    assert name_key("  Spike ") == name_key("SPIKE") == name_key("Ｓｐｉｋｅ")
    assert name_key("Zoë") != name_key("Zoe")


def test_story_slug():
    assert story_slug("The Long Road — Home!") == "the-long-road-home"
    assert story_slug("Zoë’s Café") == "zoes-cafe"
    assert story_slug("美咲の物語") == "美咲の物語"
    assert story_slug("!!!") == "story"


def test_story_slug_keeps_mostly_non_latin_titles_readable():
    assert story_slug("美咲’s Road") == "美咲s-road"
