from django.urls import path

from criteria import views

app_name = "criteria"
urlpatterns = [
    path("", views.criteria_set_list, name="set_list"),
    path("<int:pk>/", views.criteria_set_detail, name="set_detail"),
]
