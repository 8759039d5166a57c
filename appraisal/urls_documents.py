from django.urls import path

from appraisal.views import documents

app_name = "city_documents"

urlpatterns = [
    path("<int:round_pk>/<slug:kind>/xem-truoc/", documents.preview, name="preview"),
    path("<int:round_pk>/<slug:kind>/tai-ve.pdf", documents.pdf, name="pdf"),
]
