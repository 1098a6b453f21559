from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "fanfold.search"

    def ready(self) -> None:
        from fanfold.search import index  # noqa: F401 (connects the index upkeep signals)
