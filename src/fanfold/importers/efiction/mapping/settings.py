"""The archive's settings row and its messages (rules, terms).

eFiction keeps its switches in one `settings` row and its site texts in `messages`. The
few Fanfold has a place for become `ArchiveSettings` fields; the rest stay in
`ArchiveSettings.legacy` (messages under "messages"), so nothing is lost. Both steps save
through the model, so the cached settings and every cached page are refreshed at once.
"""

from fanfold.core.models import ArchiveSettings
from fanfold.importers.efiction.steps import Step
from fanfold.importers.efiction.text import flag

# eFiction's own SMTP password: a credential Fanfold does not need (mail is set by
# EMAIL_URL), so it is not copied into the database where admins can read it.
_SECRET_COLUMNS = frozenset({"smtp_password"})


def _archive_settings() -> tuple[ArchiveSettings, bool]:
    """The settings row from the database (never the cached copy), and whether it is new."""
    found = ArchiveSettings.objects.filter(pk=1).first()
    return (found, False) if found else (ArchiveSettings(pk=1), True)


def _fit(text: str, field: str) -> str:
    return text[: ArchiveSettings._meta.get_field(field).max_length]


class SettingsStep(Step):
    """The one `settings` row; also gives later steps the values they read (`store`…)."""

    table = "settings"
    mapped = frozenset(
        {"sitename", "slogan", "autovalidate", "coauthallowed", "anonreviews", *_SECRET_COLUMNS}
    )

    def import_batch(self, rows):
        if self.report.imported == 0:
            self._import(rows[0])
            rows = rows[1:]
        if rows:
            # eFiction can serve several sites from one database, one settings row each.
            self.skip("another site's settings row (only the first is imported)", len(rows))

    def _import(self, row):
        self.ctx.settings = {column: self.text(value) for column, value in row.items()}
        archive, created = _archive_settings()
        archive.site_name = _fit(self.plain(row.get("sitename")), "site_name")
        archive.slogan = _fit(self.plain(row.get("slogan")), "slogan")
        archive.validate_submissions = not flag(row.get("autovalidate"))
        archive.allow_coauthors = flag(row.get("coauthallowed"))
        archive.anonymous_reviews = flag(row.get("anonreviews"))
        archive.legacy = {**self.leftovers(row), "messages": archive.legacy.get("messages", {})}
        archive.save()
        if created:
            self.report.created += 1
        else:
            self.report.updated += 1
        if any(row.get(column) for column in _SECRET_COLUMNS):
            self.ctx.report.notice(
                "settings not kept",
                "eFiction's SMTP password was not copied: Fanfold sends mail as EMAIL_URL says.",
            )


# eFiction message name → the ArchiveSettings field that shows it.
_PAGE_MESSAGES = {"rules": "rules", "tos": "terms"}


class MessagesStep(Step):
    """Site texts: rules and terms are shown by Fanfold; welcome, copyright, the
    submission mails and the rest are kept under `legacy["messages"]` by name."""

    table = "messages"
    order_by = "message_id"

    def prepare(self):
        self.names_seen: set[str] = set()

    def import_batch(self, rows):
        archive, _ = _archive_settings()
        messages = dict(archive.legacy.get("messages", {}))
        for row in rows:
            name = self.text(row.get("message_name")).strip()
            message_id = row.get("message_id")
            # eFiction shows the first message of a name; later ones are kept apart.
            key = f"{name} #{message_id}" if name in self.names_seen else name
            self.names_seen.add(name)
            kept = {"message_id": message_id, "title": self.text(row.get("message_title"))}
            field = _PAGE_MESSAGES.get(key)
            if field:
                setattr(archive, field, self.html(row.get("message_text")))
                kept["shown_as"] = field
            else:
                kept["text"] = self.text(row.get("message_text"))
            if key in messages:
                self.report.updated += 1
            else:
                self.report.created += 1
            messages[key] = kept
        archive.legacy = {**archive.legacy, "messages": messages}
        archive.save()


STEPS: list[type[Step]] = [SettingsStep, MessagesStep]
