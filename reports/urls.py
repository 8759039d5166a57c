from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("tong-quan/", views.dashboard, name="dashboard"),
    path("don-vi/", views.units, name="units"),
    path("don-vi.xlsx", views.units_xlsx, name="units_xlsx"),
]
