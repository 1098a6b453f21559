"""The search page's GET parameters: every search is a shareable URL.

A malformed value never fails the page: ids that are not numbers are dropped, a bad
number or date is left out (and the form says so next to its field), unknown sorts fall
back to the default. Unknown ids simply match no story.
"""

import datetime

from django import forms

MAX_IDS = 50
MAX_ID = 2**62
MAX_COUNT = 2**31 - 1


class IdsField(forms.Field):
    """Any number of ids (`?category=3&category=7`); what is not a positive id is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        ids = []
        for each in value or []:
            try:
                number = int(str(each).strip())
            except ValueError:
                continue
            if 0 < number <= MAX_ID and number not in ids:
                ids.append(number)
        return ids[:MAX_IDS]

    def validate(self, value) -> None:
        """Nothing to refuse: to_python already dropped what is not an id."""


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=MAX_COUNT)


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        # Far dates would overflow when the day is turned into a time range.
        validators=[_reasonable_date],
    )


def _reasonable_date(value: datetime.date) -> None:
    if not datetime.date(1900, 1, 1) <= value <= datetime.date(2999, 12, 31):
        raise forms.ValidationError("Enter a date between 1900 and 2999.")


class SearchForm(forms.Form):
    q = forms.CharField(label="Search for", required=False)
    category = IdsField(required=False)
    not_category = IdsField(required=False)
    character = IdsField(required=False)
    not_character = IdsField(required=False)
    classification = IdsField(required=False)
    not_classification = IdsField(required=False)
    rating = IdsField(required=False)
    not_rating = IdsField(required=False)
    complete = forms.ChoiceField(
        label="Completion",
        required=False,
        choices=[("", "Any"), ("yes", "Complete only"), ("no", "In progress only")],
    )
    words_min = _count("Words from")
    words_max = _count("Words to")
    chapters_min = _count("Chapters from")
    chapters_max = _count("Chapters to")
    updated_after = _date("Updated on or after")
    updated_before = _date("Updated on or before")
    language = forms.CharField(label="Language", required=False, max_length=20)
    author = forms.CharField(label="Author (pen name)", required=False, max_length=100)

    # Shown as fields under the facets; the other filters are the facets' checkboxes.
    more_filters = (
        "words_min", "words_max", "chapters_min", "chapters_max",
        "updated_after", "updated_before", "author",
    )  # fmt: skip

    def criteria(self) -> dict:
        """The valid parameters; an invalid one is left out as if it was not given."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields}
