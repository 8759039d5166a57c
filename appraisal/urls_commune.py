from django.urls import path

from appraisal.views import commune

app_name = "submission"

# Under /ky-danh-gia/<int:pk>/gui-thanh-pho/ (pk: the assessment).
urlpatterns = [
    path("", commune.detail, name="detail"),
    path("gui/", commune.send, name="send"),
    path("giai-trinh/<int:request_pk>/", commune.request_detail, name="request"),
    path("giai-trinh/<int:request_pk>/gui/", commune.request_send, name="request_send"),
    path(
        "giai-trinh/<int:request_pk>/noi-dung/<int:item_pk>/",
        commune.item_answer,
        name="item_answer",
    ),
    path(
        "giai-trinh/<int:request_pk>/noi-dung/<int:item_pk>/minh-chung/",
        commune.item_upload,
        name="item_upload",
    ),
]
