from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Generated demo archives. Sits below every other app and may import any of them."""

    name = "fanfold.demo"
