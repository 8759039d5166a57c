from django.urls import path

from evidence.views import files, overview

app_name = "evidence"
urlpatterns = [
    # The whole assessment
    path("", overview.overview, name="overview"),
    path("tim/", overview.search, name="search"),
    path("tai-ve.zip", overview.archive, name="archive"),
    path("lich-su/", overview.history, name="history"),
    # One sub-criterion
    path("tieu-chi/<int:criterion_pk>/", files.panel, name="panel"),
    path("tieu-chi/<int:criterion_pk>/tai-len/", files.upload, name="upload"),
    path("tieu-chi/<int:criterion_pk>/lien-ket/", files.link, name="link"),
    path("tieu-chi/<int:criterion_pk>/dung-lai/", files.reuse, name="reuse"),
    path(
        "tieu-chi/<int:criterion_pk>/bo-lien-ket/<int:evidence_pk>/",
        files.unlink,
        name="unlink",
    ),
    # One evidence
    path("<int:evidence_pk>/", files.detail, name="detail"),
    path("<int:evidence_pk>/thay-tep/", files.replace, name="replace"),
    path("<int:evidence_pk>/xoa/", files.delete, name="delete"),
    path("<int:evidence_pk>/khoi-phuc/", files.restore, name="restore"),
    # Files
    path("tep/<int:file_pk>/", files.download, name="download"),
    path("tep/<int:file_pk>/anh-nho/", files.thumbnail, name="thumbnail"),
]
