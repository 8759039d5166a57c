from django.urls import path

from assessments import views

app_name = "assessments"
urlpatterns = [
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/tieu-chi/<int:criterion_pk>/", views.criterion_detail, name="criterion"),
    path(
        "<int:pk>/phan-cong/<int:criterion_pk>/",
        views.assignment_edit,
        name="assignment_edit",
    ),
]
