"""The system administrator's pages, under /quan-tri-he-thong/. The accounts import of a
commune (xa/<commune_pk>/nhap-tai-khoan/) is also its own administrator's: the commune pages
link to it by these names."""

from django.urls import path

from administration.views import system

app_name = "system_admin"
urlpatterns = [
    path("", system.home, name="home"),
    path("xa/moi/", system.commune_create, name="commune_create"),
    path(
        "xa/<int:commune_pk>/nhap-tai-khoan/",
        system.accounts_import_view,
        name="accounts_import",
    ),
    path(
        "xa/<int:commune_pk>/nhap-tai-khoan/mau.xlsx",
        system.accounts_template,
        name="accounts_template",
    ),
    path(
        "xa/<int:commune_pk>/nhap-tai-khoan/xac-nhan/",
        system.accounts_import_confirm,
        name="accounts_import_confirm",
    ),
]
