"""The audit trail's page, under /nhat-ky/ (URL names keep the `audit:` namespace)."""

from django.urls import path

from reports.views import trail as views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("tai-ve.xlsx", views.entry_export, name="export"),
]
