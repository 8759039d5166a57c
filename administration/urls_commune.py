"""The commune administrator's pages, under /quan-tri-xa/ (the commune in the URL: a system
administrator reaches every commune, a commune's administrator their own)."""

from django.urls import path

from administration.views import commune as views

app_name = "commune_admin"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:commune_pk>/", views.home, name="home"),
    path("<int:commune_pk>/don-vi/", views.units, name="units"),
    path("<int:commune_pk>/don-vi/them/", views.unit_edit, name="unit_add"),
    path("<int:commune_pk>/don-vi/<int:unit_pk>/", views.unit_edit, name="unit_edit"),
    path("<int:commune_pk>/don-vi/<int:unit_pk>/xoa/", views.unit_remove, name="unit_delete"),
    path("<int:commune_pk>/nguoi-dung/", views.users, name="users"),
    path("<int:commune_pk>/nguoi-dung/them/", views.user_add, name="user_add"),
    path("<int:commune_pk>/nguoi-dung/<int:user_pk>/", views.user_edit, name="user_edit"),
    path(
        "<int:commune_pk>/nguoi-dung/<int:user_pk>/mat-khau/",
        views.user_password,
        name="user_password",
    ),
    path(
        "<int:commune_pk>/nguoi-dung/<int:user_pk>/trang-thai/",
        views.user_active,
        name="user_active",
    ),
    path(
        "<int:commune_pk>/nguoi-dung/<int:user_pk>/xac-thuc-hai-lop/",
        views.user_two_factor,
        name="user_two_factor",
    ),
    path(
        "<int:commune_pk>/nguoi-dung/<int:user_pk>/mo-khoa-dang-nhap/",
        views.user_unlock,
        name="user_unlock",
    ),
    path("<int:commune_pk>/bao-cao/", views.report_settings, name="report_settings"),
    path("<int:commune_pk>/ky-danh-gia/", views.assessment_new, name="assessment_create"),
]
