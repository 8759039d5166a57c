from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("bao-mat/", views.security, name="security"),
    path("xac-thuc-hai-lop/dang-ky/", views.enrol, name="enrol"),
    path("xac-thuc-hai-lop/ma-qr.svg", views.qr, name="qr"),
    path("xac-thuc-hai-lop/nhap-ma/", views.verify, name="verify"),
    path("xac-thuc-hai-lop/ma-khoi-phuc/", views.codes, name="codes"),
    path("xac-thuc-hai-lop/ma-khoi-phuc.txt", views.codes_download, name="codes_download"),
    path("xac-thuc-hai-lop/tao-lai-ma/", views.codes_regenerate, name="codes_regenerate"),
    path("xac-thuc-hai-lop/dat-lai/", views.reset, name="reset"),
]
