from django.urls import path

from assessments.views import deadlines, discipline, pages, periods, queue, scores

app_name = "assessments"
urlpatterns = [
    path("", periods.period_list, name="periods"),
    path("<int:pk>/chon/", periods.period_choose, name="choose"),
    path("<int:pk>/ky-tiep-theo/", periods.period_create, name="period_create"),
    path("<int:pk>/so-sanh/", periods.compare, name="compare"),
    path("<int:pk>/", pages.assessment_detail, name="detail"),
    path("<int:pk>/tieu-chi/<int:criterion_pk>/", pages.criterion_detail, name="criterion"),
    path("<int:pk>/tieu-chi/<int:criterion_pk>/cham-diem/", scores.propose, name="score_propose"),
    path("<int:pk>/tieu-chi/<int:criterion_pk>/duyet/", scores.review, name="score_review"),
    path("<int:pk>/tieu-chi/<int:criterion_pk>/gop-y/", scores.comment, name="score_comment"),
    path("<int:pk>/cho-duyet/", queue.queue, name="queue"),
    path("<int:pk>/cho-duyet/duyet-nhieu/", queue.queue_approve, name="queue_approve"),
    path("<int:pk>/gui-tat-ca/", scores.submit_unit, name="submit_unit"),
    path("<int:pk>/gui-tat-ca/xac-nhan/", discipline.send_all, name="submit_unit_confirm"),
    path("<int:pk>/thieu-minh-chung/", discipline.missing_evidence, name="missing_evidence"),
    path("<int:pk>/khoa/", scores.lock, name="lock"),
    path("<int:pk>/dieu-chinh/<int:adjustment_pk>/", scores.adjustment, name="adjustment"),
    path("<int:pk>/mo-lai/", scores.reopen, name="reopen"),
    path(
        "<int:pk>/phan-cong/<int:criterion_pk>/",
        pages.assignment_edit,
        name="assignment_edit",
    ),
    path("<int:pk>/han-tu-cham/", deadlines.deadlines, name="deadlines"),
    path(
        "<int:pk>/han-tu-cham/don-vi/<int:unit_pk>/",
        deadlines.unit_deadline,
        name="unit_deadline",
    ),
    path(
        "<int:pk>/han-tu-cham/don-vi/<int:unit_pk>/bo/",
        deadlines.unit_deadline_remove_view,
        name="unit_deadline_remove",
    ),
]
