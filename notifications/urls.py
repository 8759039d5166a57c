from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_pk>/", views.notification_open, name="open"),
    path("doc-het/", views.notification_read_all, name="read_all"),
    path("cai-dat/", views.notification_settings, name="settings"),
]
