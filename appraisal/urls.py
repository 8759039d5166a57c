from django.urls import path

from appraisal.views import city, people

app_name = "appraisal"

urlpatterns = [
    path("", city.home, name="home"),
    path("<int:city>/", city.dashboard, name="dashboard"),
    path("<int:city>/xa-phuong/", city.communes, name="communes"),
    path("<int:city>/xep-hang/", city.ranking, name="ranking"),
    path("<int:city>/xep-hang.xlsx", city.ranking_xlsx, name="ranking_xlsx"),
    path("<int:city>/ket-qua-tham-dinh.xlsx", city.results_xlsx, name="results_xlsx"),
    # The city's people, managed by the city's administrators
    path("<int:city>/nguoi-dung/", people.people, name="people"),
    path("<int:city>/nguoi-dung/them/", people.person_add, name="person_add"),
    path("<int:city>/nguoi-dung/<int:person_pk>/", people.person_edit, name="person_edit"),
    path(
        "<int:city>/nguoi-dung/<int:person_pk>/trang-thai/",
        people.person_active,
        name="person_active",
    ),
    path(
        "<int:city>/nguoi-dung/<int:person_pk>/mat-khau/",
        people.person_password,
        name="person_password",
    ),
    path(
        "<int:city>/nguoi-dung/<int:person_pk>/xac-thuc-hai-lop/",
        people.person_two_factor,
        name="person_two_factor",
    ),
    path(
        "<int:city>/nguoi-dung/<int:person_pk>/mo-khoa-dang-nhap/",
        people.person_unlock,
        name="person_unlock",
    ),
]
