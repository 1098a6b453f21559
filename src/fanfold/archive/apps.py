from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "fanfold.archive"

    def ready(self) -> None:
        from fanfold.archive import account_closing, signals  # noqa: F401
