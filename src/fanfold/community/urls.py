from fanfold.community.views import notifications

app_name = "community"

urlpatterns = [
    *notifications.urlpatterns,
]
