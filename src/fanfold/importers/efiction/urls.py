app_name = "efiction"

urlpatterns = []
