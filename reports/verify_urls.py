from django.urls import path

from reports.views import verify

app_name = "verify"
urlpatterns = [
    path("", verify.upload, name="upload"),
    path("<str:token>/", verify.document, name="document"),
]
