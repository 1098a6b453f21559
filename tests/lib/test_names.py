"""Pen-name keys: names that look the same to a reader are the same name."""

import pytest

from fanfold.lib.names import fold, name_key, skeleton, sort_key


@pytest.mark.parametrize(
    ("name", "look_alike"),
    [
        ("Spike", "Ѕpike"),  # Cyrillic capital DZE
        ("Spike", "ѕpike"),  # its small form
        ("Spike", "  SPIKE "),  # case and spacing
        ("Spike", "Ｓｐｉｋｅ"),  # full width
        ("Spike", "𝐒𝐩𝐢𝐤𝐞"),  # mathematical bold
        ("paypal", "pаypаl"),  # Cyrillic а
        ("Bob", "B0b"),  # digit zero for O, folded again after the skeleton
        ("Omega", "Οmega"),  # Greek capital omicron
        ("Marty", "rnarty"),  # rn looks like m
        ("Willow Rosenberg", "Willow  Rosenberg"),
        ("Spike", "Spi\u200bke"),  # zero-width space
        ("Spike", "\u202eSpike"),  # right-to-left override
    ],
)
def test_look_alikes_share_a_key(name, look_alike):
    assert name_key(name) == name_key(look_alike)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Zoë", "Zoe"), ("Spike", "Spikes"), ("Ёлка", "Елка"), ("Anna", "Anne"), ("美咲", "美唉")],
)
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_keys_are_stable():
    for name in ["Spike", "Ѕpike", "Zoë Lindqvist", "美咲", "B0b"]:
        assert name_key(name_key(name)) == name_key(name)


def test_skeleton_maps_to_prototypes_only():
    assert skeleton("Ѕ") == "S"
    assert skeleton("S") == "S"
    assert skeleton("abc") == "abc"


def test_fold_is_the_case_and_width_fold_alone():
    assert fold("  Ｓｐｉｋｅ  Two ") == "spike two"
    assert fold("Ѕpike") != fold("Spike")


def test_sort_key_files_accented_and_wide_names_under_their_letter():
    assert sort_key("Émile")[0] == "e"
    assert sort_key("Ａlice")[0] == "a"
