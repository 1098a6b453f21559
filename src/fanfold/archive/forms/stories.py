"""The forms authors fill in: a story's details, a chapter, the order of chapters.

Text fields hold what the author typed in the format they chose; `clean()` converts it
through fanfold.lib.markup (the only way author HTML reaches a page) and keeps what the
sanitizer removed so the author can be told.
"""

import uuid

from django import forms
from django.conf import settings
from django.db.models import F, Q

from fanfold.archive import coauthors
from fanfold.archive.actions import ChapterText
from fanfold.archive.models import (
    Category,
    Character,
    Classification,
    ClassificationType,
    Rating,
    Series,
    Story,
)
from fanfold.archive.permissions import can_add_to_series, can_manage_authors
from fanfold.core.models import ArchiveSettings
from fanfold.core.permissions import is_moderator
from fanfold.lib.markup import Converted, Format, convert
from fanfold.lib.uploads import UploadError, read_upload

SUMMARY_MAX_CHARS = 10_000
NOTES_MAX_CHARS = 50_000
TOO_MANY_POSTS = (
    "You have posted a lot in the last hour. Please wait a while and post again; "
    "everything you typed is still here."
)


def _text_area(format_field: str, rows: int = 6) -> forms.Textarea:
    """A textarea the rich-text editor (static/fanfold/editor.js) may take over."""
    return forms.Textarea(
        attrs={"rows": rows, "data-rich-text": "", "data-format-field": f"id_{format_field}"}
    )


def _format_field(label: str, initial: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=Format.CHOICES, initial=initial)


def _languages(current: str) -> list[tuple[str, str]]:
    """Django's languages by name; an imported story's own code stays choosable."""
    choices = sorted(settings.LANGUAGES, key=lambda choice: choice[1])
    if current not in dict(choices):
        choices.insert(0, (current, current))
    return choices


def _too_long(label: str, text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"{label} is {len(text):,} characters long; the limit is {limit:,}."
    return None


class AuthoringForm(forms.Form):
    """Shared by the story and chapter forms: labels without colons, text conversion."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.converted: dict[str, Converted] = {}

    def _convert(self, name: str, label: str, limit: int) -> None:
        """Convert field `name` with its `<name>_format` choice into self.converted."""
        source = self.cleaned_data.get(name, "")
        fmt = self.cleaned_data.get(f"{name}_format", Format.PLAIN)
        if error := _too_long(label, source, limit):
            self.add_error(name, error)
            return
        self.converted[name] = convert(source, fmt)

    def html(self, name: str) -> str:
        return self.converted[name].html if name in self.converted else ""

    def removed(self) -> dict[str, list[str]]:
        """Field label → what the sanitizer took out of it, for fields where it did."""
        return {
            self.fields[name].label: found.removed
            for name, found in self.converted.items()
            if found.removed
        }


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, category):
        name = f"{category.parent.name} › {category.name}" if category.parent else category.name
        return f"{name} (locked)" if category.locked else name


class CharacterSelect(forms.SelectMultiple):
    """Each option says which categories the character belongs to, for authoring.js."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        character = getattr(value, "instance", None)
        if character is not None:
            ids = " ".join(str(c.pk) for c in character.categories.all())
            option["attrs"]["data-categories"] = ids
        return option


class StoryForm(AuthoringForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Give your story a title."},
    )
    summary = forms.CharField(
        label="Summary", required=False, widget=_text_area("summary_format", rows=4)
    )
    summary_format = _format_field("Summary format", Format.PLAIN)
    notes = forms.CharField(
        label="Story notes", required=False, widget=_text_area("notes_format", rows=4)
    )
    notes_format = _format_field("Story notes format", Format.PLAIN)
    rating = forms.ModelChoiceField(label="Rating", queryset=Rating.objects.all())
    categories = CategoryChoiceField(
        label="Categories", queryset=Category.objects.none(), required=False
    )
    characters = forms.ModelMultipleChoiceField(
        label="Characters",
        queryset=Character.objects.prefetch_related("categories"),
        required=False,
        widget=CharacterSelect(attrs={"data-character-filter": "id_categories"}),
        help_text="Only characters of the chosen categories (or of none) fit.",
    )
    # One multiple-choice field per classification type is added in __init__, here.
    series = forms.ModelChoiceField(
        label="Series",
        queryset=Series.objects.none(),
        required=False,
        help_text="The story is added at the end of the series.",
    )
    language = forms.ChoiceField(label="Language", initial="en")
    coauthors = forms.CharField(
        label="Co-authors",
        required=False,
        help_text="Pen names, separated by commas. Each is invited and becomes an author "
        "on accepting.",
    )
    completed = forms.BooleanField(label="Completed", required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    LEADING_FIELDS = [
        "title", "summary_format", "summary", "notes_format", "notes", "rating", "categories",
        "characters",
    ]  # fmt: skip

    def __init__(self, data=None, *, user, story: Story | None = None):
        self.user = user
        self.story = story
        super().__init__(data, initial=self._initial(story))
        current = story.categories.all() if story else Category.objects.none()
        categories = Category.objects.select_related("parent")
        if not is_moderator(user):
            # Locked categories take no new stories except from moderators.
            categories = categories.filter(Q(locked=False) | Q(pk__in=current.values("pk")))
        self.fields["categories"].queryset = categories.order_by(
            F("parent__name").asc(nulls_first=True), "order", "name"
        )
        self.fields["language"].choices = _languages(story.language if story else "en")
        self.fields["series"].queryset = Series.objects.filter(
            Q(owner=user) | Q(is_open=True)
        ).order_by("title")
        if story is not None:
            self._describe_series(story)
        self.classification_fields = []
        for kind in ClassificationType.objects.prefetch_related("classifications"):
            name = f"classifications_{kind.pk}"
            self.fields[name] = forms.ModelMultipleChoiceField(
                label=kind.name, queryset=kind.classifications.all(), required=False
            )
            self.fields[name].classification_type = kind
            self.classification_fields.append(name)
        self.order_fields([*self.LEADING_FIELDS, *self.classification_fields])
        if not self._may_invite(story):
            del self.fields["coauthors"]

    def _may_invite(self, story: Story | None) -> bool:
        if not ArchiveSettings.current().allow_coauthors:
            return False
        return story is None or can_manage_authors(self.user, story)

    def _describe_series(self, story: Story) -> None:
        titles = [item.series.title for item in story.series_items.select_related("series")]
        if titles:
            self.fields["series"].label = "Add to series"
            self.fields["series"].help_text = "Already in: " + ", ".join(titles) + "."

    @staticmethod
    def _initial(story: Story | None) -> dict:
        if story is None:
            return {"submission_key": uuid.uuid4()}
        initial = {
            "title": story.title,
            "summary": story.summary,
            "summary_format": Format.RICH,
            "notes": story.notes,
            "notes_format": Format.RICH,
            "rating": story.rating_id,
            "categories": list(story.categories.values_list("pk", flat=True)),
            "characters": list(story.characters.values_list("pk", flat=True)),
            "language": story.language,
            "completed": story.completed,
        }
        for pk, type_id in story.classifications.values_list("pk", "type_id"):
            initial.setdefault(f"classifications_{type_id}", []).append(pk)
        return initial

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give your story a title.")
        return title

    def clean_characters(self):
        characters = self.cleaned_data["characters"]
        chosen = {c.pk for c in self.cleaned_data.get("categories", [])}
        misfits = [
            c.name
            for c in characters
            if c.categories.all() and not chosen & {cat.pk for cat in c.categories.all()}
        ]
        if misfits:
            raise forms.ValidationError(
                "Not in any of the chosen categories: " + ", ".join(misfits) + "."
            )
        return characters

    def clean_series(self):
        series = self.cleaned_data["series"]
        if series is not None and not can_add_to_series(self.user, series):
            raise forms.ValidationError("That series does not take stories from other authors.")
        return series

    def clean_coauthors(self) -> list:
        users, unknown = coauthors.parse_pen_names(self.cleaned_data["coauthors"])
        if unknown:
            raise forms.ValidationError(
                "No member has the pen name " + ", ".join(f"“{n}”" for n in unknown) + "."
            )
        authors = set(self.story.authors.values_list("pk", flat=True)) if self.story else set()
        return [u for u in users if u.pk != self.user.pk and u.pk not in authors]

    def clean(self):
        cleaned = super().clean()
        self._convert("summary", "Summary", SUMMARY_MAX_CHARS)
        self._convert("notes", "Story notes", NOTES_MAX_CHARS)
        return cleaned

    def story_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "summary": self.html("summary"),
            "notes": self.html("notes"),
            "rating": data["rating"],
            "language": data["language"],
            "completed": data["completed"],
        }

    def labels(self) -> dict:
        data = self.cleaned_data
        classifications: list[Classification] = []
        for name in self.classification_fields:
            classifications.extend(data.get(name, []))
        return {
            "categories": list(data["categories"]),
            "characters": list(data["characters"]),
            "classifications": classifications,
        }

    def classification_bound_fields(self):
        return [self[name] for name in self.classification_fields]


class ChapterForm(AuthoringForm):
    title = forms.CharField(label="Chapter title", max_length=200, required=False)
    # Each format select comes before its text box: choose how to write, then write.
    notes_format = _format_field("Notes format", Format.PLAIN)
    notes = forms.CharField(label="Notes", required=False, widget=_text_area("notes_format"))
    body_format = _format_field("Chapter text format", Format.PLAIN)
    body = forms.CharField(
        label="Chapter text", required=False, strip=False, widget=_text_area("body_format", 20)
    )
    body_file = forms.FileField(label="Or upload a file (.txt, .html, .docx)", required=False)
    end_notes_format = _format_field("End notes format", Format.PLAIN)
    end_notes = forms.CharField(
        label="End notes", required=False, widget=_text_area("end_notes_format")
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, files=None, *, chapter=None):
        self.chapter = chapter
        if chapter is None:
            initial = {"submission_key": uuid.uuid4()}
        else:
            initial = {
                "title": chapter.title,
                "notes": chapter.notes,
                "notes_format": Format.RICH,
                "body": chapter.body,
                "body_format": Format.RICH,
                "end_notes": chapter.end_notes,
                "end_notes_format": Format.RICH,
                "revision": chapter.revision,
            }
        super().__init__(data, files, initial=initial)
        if chapter is None:
            del self.fields["revision"]
        else:
            del self.fields["submission_key"]
            self.fields["revision"].required = True

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean_body_file(self):
        uploaded = self.cleaned_data.get("body_file")
        if not uploaded:
            return None
        try:
            return read_upload(uploaded)
        except UploadError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("body_file")
        if upload is not None:
            # The file's text takes the text box's place, so a form shown again with
            # another error still holds it.
            self.data = self.data.copy()
            self.data["body"] = cleaned["body"] = upload.text
            self.data["body_format"] = cleaned["body_format"] = upload.fmt
        if "body_file" not in self.errors:
            if not cleaned.get("body", "").strip():
                self.add_error("body", "Write the chapter text or upload a file.")
            else:
                self._convert("body", "The chapter text", settings.CHAPTER_MAX_CHARS)
                if "body" in self.converted and not self.converted["body"].text.strip():
                    self.add_error(
                        "body", "Nothing readable is left once what the archive cannot show "
                        "is removed. Check the format you chose."
                    )  # fmt: skip
        self._convert("notes", "Notes", NOTES_MAX_CHARS)
        self._convert("end_notes", "End notes", NOTES_MAX_CHARS)
        return cleaned

    def chapter_text(self) -> ChapterText:
        body = self.converted["body"]
        return ChapterText(
            title=self.cleaned_data["title"],
            notes=self.html("notes"),
            body=body.html,
            body_text=body.text,
            word_count=body.word_count,
            end_notes=self.html("end_notes"),
        )


class ChapterOrderForm(forms.Form):
    """New positions for a story's chapters, or one chapter moved up or down."""

    move = forms.RegexField(regex=r"^\d+:(up|down)$", required=False)

    def __init__(self, data=None, *, chapters):
        super().__init__(data, label_suffix="")
        self.chapters = list(chapters)
        for chapter in self.chapters:
            self.fields[f"position_{chapter.pk}"] = forms.IntegerField(
                label=f"Position of {chapter.display_title}",
                min_value=1,
                initial=chapter.position,
                required=False,
                widget=forms.NumberInput(attrs={"size": 3}),
            )

    def ordered_ids(self) -> list[int]:
        """Chapter ids in their new order."""
        current = [c.pk for c in sorted(self.chapters, key=lambda c: c.position)]
        if move := self.cleaned_data.get("move"):
            pk, direction = move.split(":")
            if int(pk) in current:
                at = current.index(int(pk))
                to = at - 1 if direction == "up" else at + 1
                if 0 <= to < len(current):
                    current[at], current[to] = current[to], current[at]
            return current
        old = {c.pk: c.position for c in self.chapters}
        wanted = {pk: self.cleaned_data.get(f"position_{pk}") or old[pk] for pk in current}

        def place(pk):
            # On a tie the chapter that moved takes the place it asked for: "5 to 2" goes
            # before the old 2, "2 to 5" after the old 5.
            moved = 0 if wanted[pk] < old[pk] else 2 if wanted[pk] > old[pk] else 1
            return (wanted[pk], moved, current.index(pk))

        return sorted(current, key=place)

    def position_fields(self):
        return [(c, self[f"position_{c.pk}"]) for c in self.chapters]
