from django.urls import path

from reports.views import verify

app_name = "verify"
urlpatterns = [
    path("", verify.upload, name="upload"),
    # Tokens are secrets.token_urlsafe(): letters, digits, "-" and "_", a slug.
    path("<slug:token>/", verify.document, name="document"),
]
