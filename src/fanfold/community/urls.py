from fanfold.community.views import library, likes, notifications, relations, reviews

app_name = "community"

urlpatterns = [
    *notifications.urlpatterns,
    *reviews.urlpatterns,
    *likes.urlpatterns,
    *library.urlpatterns,
    *relations.urlpatterns,
]
