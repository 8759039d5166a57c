from django.urls import path

from appraisal.views import city

app_name = "appraisal"

urlpatterns = [
    path("", city.home, name="home"),
    path("<int:city>/", city.dashboard, name="dashboard"),
]
