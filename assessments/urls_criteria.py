"""The criteria sets' pages under /bo-tieu-chi/ (URL names keep the `criteria:` namespace)."""

from django.urls import path

from assessments.views import criteria_sets as views

app_name = "criteria"
urlpatterns = [
    path("", views.criteria_set_list, name="set_list"),
    path("<int:pk>/", views.criteria_set_detail, name="set_detail"),
]
