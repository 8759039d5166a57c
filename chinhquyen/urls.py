from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from assessments.views import pages as assessment_pages
from chinhquyen.health import health

admin.site.site_header = "Quản trị Chính quyền thân thiện"
admin.site.site_title = "Quản trị"
admin.site.index_title = "Bộ tiêu chí, xã, đơn vị và tài khoản"

urlpatterns = [
    path("", assessment_pages.home, name="home"),
    path("dang-nhap/", account_views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "doi-mat-khau/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "doi-mat-khau/xong/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("tai-khoan/", include("accounts.urls")),
    path("ky-danh-gia/", include("assessments.urls")),
    path("ky-danh-gia/<int:pk>/minh-chung/", include("evidence.urls")),
    path("ky-danh-gia/<int:pk>/", include("reports.urls")),
    path("bo-tieu-chi/", include("assessments.urls_criteria")),
    path("xac-minh/", include("reports.verify_urls")),
    path("nhat-ky/", include("reports.urls_trail")),
    path("thong-bao/", include("notifications.urls")),
    path("tac-vu/", include("jobs.urls")),
    path("quan-tri-xa/", include("administration.urls_commune")),
    path("quan-tri-he-thong/", include("administration.urls_system")),
    path("thanh-pho/", include("appraisal.urls")),
    path("thanh-pho/tham-dinh/", include("appraisal.urls_appraise")),
    path("thanh-pho/<int:city>/van-ban/", include("appraisal.urls_documents")),
    path("thanh-pho/hoi-dong/", include("appraisal.urls_council")),
    path("ky-danh-gia/<int:pk>/gui-thanh-pho/", include("appraisal.urls_commune")),
    path("admin/", admin.site.urls),
    # For the load balancer (chinhquyen/health.py).
    path("suc-khoe/", health, name="health"),
]
