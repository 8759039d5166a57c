from typing import Any

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import AdminLoginForm
from accounts.models import TwoFactorRule
from accounts.services import login_unlock, two_factor_reset
from assessments.admin import UserAdmin
from guards.http import AuthenticatedRequest

User = get_user_model()


@admin.register(TwoFactorRule)
class TwoFactorRuleAdmin(admin.ModelAdmin):
    list_display = ("role_key", "role_name", "required")
    list_display_links = ("role_key",)
    list_editable = ("required",)

    @admin.display(description="Vai trò")
    def role_name(self, obj: TwoFactorRule) -> str:
        return obj.role_name


# The devices' own admin pages are English-only and show what the user's phone holds;
# administrators see whether an account has the app and reset it from the account instead.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

admin.site.unregister(User)
admin.site.unregister(AccessAttempt)
admin.site.login_form = AdminLoginForm


@admin.register(AccessAttempt)
class AccessAttemptAdmin(BaseAccessAttemptAdmin):
    """Deleting a row unlocks its account and address. (Axes' own clean-up action expects a
    login request and fails in the admin; this one does not.)"""

    actions = ["unlock", "delete_expired"]

    @admin.action(description="Mở khóa: xóa các dòng đã chọn")
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        count, _ = queryset.delete()
        self.message_user(request, f"Đã xóa {count} dòng; đăng nhập được mở lại.", messages.SUCCESS)

    @admin.action(description="Xóa các bản ghi đã hết hạn")
    def delete_expired(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        count, _ = AccessAttempt.objects.filter(attempt_time__lt=since).delete()
        self.message_user(request, f"Đã xóa {count} bản ghi đã hết hạn.", messages.SUCCESS)


@admin.register(User)
class AccountAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "two_factor", "locked"]
    actions = ["unlock_login", "reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        failures = (
            AccessAttempt.objects.filter(username=OuterRef("username"), attempt_time__gte=since)
            .values("username")
            .annotate(total=Sum("failures_since_start"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
                recent_failures=Coalesce(Subquery(failures, output_field=IntegerField()), 0),
            )
        )

    @admin.display(description="Xác thực hai lớp", boolean=True, ordering="has_app")
    def two_factor(self, obj: Any) -> bool:  # annotated by get_queryset
        return obj.has_app

    @admin.display(description="Bị khóa đăng nhập", boolean=True)
    def locked(self, obj: Any) -> bool:  # annotated by get_queryset
        return obj.recent_failures >= settings.AXES_FAILURE_LIMIT

    @admin.action(description="Mở khóa đăng nhập")
    def unlock_login(self, request: AuthenticatedRequest, queryset: QuerySet[Any]) -> None:
        cleared = sum(
            login_unlock(username=user.get_username(), by=request.user) for user in queryset
        )
        self.message_user(
            request,
            f"Đã mở khóa đăng nhập cho {queryset.count()} tài khoản ({cleared} bản ghi đăng "
            "nhập sai được xóa). Nếu một địa chỉ IP vẫn bị khóa, hãy xóa dòng của địa chỉ đó "
            "trong “Lần đăng nhập sai”.",
            messages.SUCCESS,
        )

    @admin.action(description="Đặt lại xác thực hai lớp (đăng xuất mọi nơi)")
    def reset_two_factor(self, request: AuthenticatedRequest, queryset: QuerySet[Any]) -> None:
        ended = sum(two_factor_reset(user=user, by=request.user) for user in queryset)
        self.message_user(
            request,
            f"Đã gỡ ứng dụng xác thực và mã khôi phục của {queryset.count()} tài khoản, "
            f"kết thúc {ended} phiên đăng nhập. Lần đăng nhập tới, người dùng cài đặt lại.",
            messages.SUCCESS,
        )
