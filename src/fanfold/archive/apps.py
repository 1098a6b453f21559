from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "fanfold.archive"

    def ready(self) -> None:
        from fanfold.archive import signals  # noqa: F401
