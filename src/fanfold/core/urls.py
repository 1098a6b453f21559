from django.urls import path

from fanfold.core import views

app_name = "core"

urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("terms/", views.terms, name="terms"),
]
