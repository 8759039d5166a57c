from django.urls import path

from appraisal.views import city

app_name = "appraisal"

urlpatterns = [
    path("", city.home, name="home"),
    path("<int:city>/", city.dashboard, name="dashboard"),
    path("<int:city>/xa-phuong/", city.communes, name="communes"),
    path("<int:city>/xep-hang/", city.ranking, name="ranking"),
    path("<int:city>/xep-hang.xlsx", city.ranking_xlsx, name="ranking_xlsx"),
    path("<int:city>/ket-qua-tham-dinh.xlsx", city.results_xlsx, name="results_xlsx"),
]
