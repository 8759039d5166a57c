from django.urls import path

from appraisal.views import appraise

app_name = "appraise"

urlpatterns = [
    path("", appraise.submission_list, name="list"),
    path("<int:submission_pk>/", appraise.submission, name="submission"),
    path("<int:submission_pk>/phan-cong/", appraise.assign, name="assign"),
    path("<int:submission_pk>/tieu-chi/<int:criterion_pk>/", appraise.score, name="score"),
    path(
        "<int:submission_pk>/diem-tru/<int:adjustment_pk>/",
        appraise.adjustment,
        name="adjustment",
    ),
    path("<int:submission_pk>/de-nghi-giai-trinh/", appraise.request_explanation, name="request"),
    path(
        "<int:submission_pk>/minh-chung/<int:file_pk>/",
        appraise.evidence_file,
        name="evidence_file",
    ),
]
