from django.urls import path

from fanfold.moderation import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("chapters/<int:pk>/", views.preview, name="preview"),
    path("chapters/<int:pk>/approve/", views.approve, name="approve"),
    path("chapters/<int:pk>/reject/", views.reject, name="reject"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/decisions/", views.review_decisions, name="review_decisions"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
]
