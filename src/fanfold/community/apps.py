from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "fanfold.community"

    def ready(self) -> None:
        from fanfold.community import signals  # noqa: F401
