from django.urls import path

from appraisal.views import documents

app_name = "city_documents"

urlpatterns = [
    path("<int:round_pk>/", documents.round_documents, name="round"),
    path("<int:round_pk>/<slug:kind>/xem-truoc/", documents.preview, name="preview"),
    path("<int:round_pk>/<slug:kind>/tai-ve.pdf", documents.pdf, name="pdf"),
    path("<int:round_pk>/<slug:kind>/ban-hanh/", documents.issue, name="issue"),
    path("<int:round_pk>/<slug:kind>/ky/", documents.sign, name="sign"),
    path("<int:round_pk>/<slug:kind>/ky-co-quan/", documents.seal, name="seal"),
    path("<int:round_pk>/<slug:kind>/da-ban-hanh.pdf", documents.issued_pdf, name="issued_pdf"),
]
