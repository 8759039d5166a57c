from django.urls import path

from reports.views import content, dashboard, issuing, remote, report

app_name = "reports"
urlpatterns = [
    path("tong-quan/", dashboard.dashboard, name="dashboard"),
    path("don-vi/", dashboard.units, name="units"),
    path("don-vi.xlsx", dashboard.units_xlsx, name="units_xlsx"),
    path("bao-cao/", report.report_home, name="home"),
    path("bao-cao/<int:report_pk>/", report.report_edit, name="edit"),
    path("bao-cao/<int:report_pk>/muc/<int:section_pk>/", report.section_save, name="section_save"),
    path(
        "bao-cao/<int:report_pk>/muc/<int:section_pk>/lam-moi/",
        report.section_refresh,
        name="section_refresh",
    ),
    path(
        "bao-cao/<int:report_pk>/muc/<int:section_pk>/giu-nguyen/",
        report.section_keep,
        name="section_keep",
    ),
    path(
        "bao-cao/<int:report_pk>/muc/<int:section_pk>/lich-su/",
        report.section_history,
        name="section_history",
    ),
    path("bao-cao/<int:report_pk>/nhiem-vu/", content.task_add, name="task_add"),
    path("bao-cao/<int:report_pk>/nhiem-vu/thu-tu/", content.task_move, name="task_move"),
    path(
        "bao-cao/<int:report_pk>/nhiem-vu/<int:task_pk>/sua/", content.task_edit, name="task_edit"
    ),
    path(
        "bao-cao/<int:report_pk>/nhiem-vu/<int:task_pk>/xoa/",
        content.task_delete,
        name="task_delete",
    ),
    path("van-ban-trien-khai/", content.documents, name="documents"),
    path("van-ban-trien-khai/<int:document_pk>/", content.document_edit, name="document_edit"),
    path(
        "van-ban-trien-khai/<int:document_pk>/xoa/",
        content.document_delete,
        name="document_delete",
    ),
    path("bao-cao/<int:report_pk>/xem-truoc/", report.report_preview, name="preview"),
    path("bao-cao/<int:report_pk>/bao-cao.pdf", report.report_pdf, name="pdf"),
    path("bao-cao/<int:report_pk>/bao-cao.docx", report.report_docx_view, name="docx"),
    path(
        "bao-cao/<int:report_pk>/phu-luc/xem-truoc/",
        report.appendix_preview,
        name="appendix_preview",
    ),
    path("bao-cao/<int:report_pk>/phu-luc.pdf", report.appendix_pdf, name="appendix_pdf"),
    path("bao-cao/<int:report_pk>/phu-luc.xlsx", report.appendix_xlsx_view, name="appendix_xlsx"),
    path("bao-cao/<int:report_pk>/phu-luc.docx", report.appendix_docx_view, name="appendix_docx"),
    path("bao-cao/<int:report_pk>/ban-hanh/", issuing.issue, name="issue"),
    path("bao-cao/<int:report_pk>/da-ban-hanh/", issuing.issued, name="issued"),
    path("bao-cao/<int:report_pk>/ky-so/", issuing.sign, name="sign"),
    path("bao-cao/<int:report_pk>/mo-lai/", issuing.reopen, name="reopen"),
    path("bao-cao/<int:report_pk>/ky-so-tu-xa/", remote.remote_start, name="remote_start"),
    path(
        "bao-cao/<int:report_pk>/ky-so-tu-xa/<int:signing_pk>/",
        remote.remote_signing,
        name="remote_signing",
    ),
    path(
        "bao-cao/<int:report_pk>/ky-so-tu-xa/<int:signing_pk>/trang-thai/",
        remote.remote_status,
        name="remote_status",
    ),
    path("bao-cao/<int:report_pk>/tep/<int:file_pk>/", issuing.issued_file, name="issued_file"),
    path("bao-cao/<int:report_pk>/ban-moi-nhat/<slug:kind>/", issuing.latest, name="latest"),
    path("bao-cao/<int:report_pk>/ho-so/", issuing.dossier, name="dossier"),
    path(
        "bao-cao/<int:report_pk>/ho-so/<int:dossier_pk>/",
        issuing.dossier_download,
        name="dossier_download",
    ),
]
