"""Communes, their units and people, and the assessments they run against a criteria set."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from criteria.models import Adjustment, CriteriaSet, Criterion, Level


class City(models.Model):
    """A province-level city (Hải Phòng) that appraises its communes. Since 1 July 2025 there is
    no district level: the city appraises every commune itself."""

    class DacKhuBlock(models.TextChoices):
        XA = "xa", _("Xếp cùng khối xã")
        PHUONG = "phuong", _("Xếp cùng khối phường")
        OWN = "dac_khu", _("Xếp thành khối riêng")

    name = models.CharField(_("tên"), max_length=200, unique=True, help_text=_("Ví dụ: Hải Phòng"))
    is_province = models.BooleanField(
        _("là tỉnh"), default=False, help_text=_("Bỏ chọn cho thành phố trực thuộc trung ương.")
    )
    department = models.CharField(
        _("cơ quan thẩm định"),
        max_length=200,
        default="Sở Nội vụ",
        help_text=_("Cơ quan chủ trì thẩm định, ví dụ: Sở Nội vụ."),
    )
    place_name = models.CharField(
        _("địa danh"),
        max_length=200,
        blank=True,
        help_text=_("Dùng ở dòng “…, ngày … tháng … năm …” của văn bản; mặc định là tên."),
    )
    #: Hải Phòng ranks phường among phường and xã together with đặc khu; a setting, not code
    dac_khu_block = models.CharField(
        _("khối xếp hạng của đặc khu"),
        max_length=10,
        choices=DacKhuBlock.choices,
        default=DacKhuBlock.XA,
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("tỉnh, thành phố")
        verbose_name_plural = _("tỉnh, thành phố")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_name(self) -> str:
        return "tỉnh" if self.is_province else "thành phố"

    @property
    def committee_name(self) -> str:
        """'Ủy ban nhân dân thành phố Hải Phòng'."""
        return f"Ủy ban nhân dân {self.kind_name} {self.name}"

    @property
    def document_place(self) -> str:
        return self.place_name or self.name

    def block_of(self, kind: str) -> str:
        """The ranking block of a commune of `kind` (a `Commune.Kind`)."""
        if kind == Commune.Kind.DAC_KHU:
            return self.dac_khu_block
        return kind

    def blocks(self) -> list[tuple[str, str]]:
        """The ranking blocks, as (key, name): phường first, then xã (with đặc khu unless set
        otherwise)."""
        names = {"phuong": "Khối phường", "xa": "Khối xã"}
        if self.dac_khu_block == self.DacKhuBlock.XA:
            names["xa"] = "Khối xã, đặc khu"
        elif self.dac_khu_block == self.DacKhuBlock.PHUONG:
            names["phuong"] = "Khối phường, đặc khu"
        else:
            names["dac_khu"] = "Khối đặc khu"
        return list(names.items())


class CityMembership(models.Model):
    """A person of the city's side: appraisers of the Sở Nội vụ, the appraisal council and the
    city's administrators. A person belongs to a commune or to a city, never both."""

    class Role(models.TextChoices):
        APPRAISER = "appraiser", _("Chuyên viên thẩm định")
        COUNCIL_MEMBER = "council_member", _("Thành viên Hội đồng thẩm định")
        COUNCIL_CHAIR = "council_chair", _("Chủ tịch Hội đồng thẩm định")
        CITY_ADMIN = "city_admin", _("Quản trị của thành phố")
        LEADER = "city_leader", _("Lãnh đạo ký văn bản của thành phố")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="city_membership",
    )
    city = models.ForeignKey(
        City, verbose_name=_("tỉnh, thành phố"), on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    title = models.CharField(
        _("chức danh"),
        max_length=200,
        blank=True,
        help_text=_("Ví dụ: Phó Giám đốc Sở Nội vụ"),
    )

    class Meta:
        verbose_name = _("thành viên của thành phố")
        verbose_name_plural = _("thành viên của thành phố")
        ordering = ["city", "role", "user__last_name"]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name} – {self.title or self.get_role_display()}"

    def clean(self) -> None:
        if self.user_id is not None and Membership.objects.filter(user_id=self.user_id).exists():
            raise ValidationError(
                {
                    "user": _(
                        "Tài khoản này thuộc một xã, phường: không thể đồng thời thuộc thành phố."
                    )
                }
            )


class Commune(models.Model):
    class Kind(models.TextChoices):
        XA = "xa", _("Xã")
        PHUONG = "phuong", _("Phường")
        DAC_KHU = "dac_khu", _("Đặc khu")

    kind = models.CharField(
        _("loại đơn vị hành chính"), max_length=10, choices=Kind.choices, default=Kind.XA
    )
    name = models.CharField(_("tên"), max_length=200, help_text=_("Ví dụ: Nghi Dương"))
    city = models.ForeignKey(
        City, verbose_name=_("tỉnh, thành phố"), on_delete=models.PROTECT, related_name="communes"
    )
    address = models.CharField(_("địa chỉ trụ sở"), max_length=500, blank=True)
    place_name = models.CharField(
        _("địa danh"),
        max_length=200,
        blank=True,
        help_text=_("Dùng ở dòng “…, ngày … tháng … năm …” của văn bản; mặc định là tên xã."),
    )
    report_recipients = models.TextField(
        _("nơi nhận mặc định của báo cáo"),
        blank=True,
        help_text=_(
            "Mỗi dòng một nơi nhận; dòng cuối là “Lưu: VT, …”. Để trống: danh sách mặc định "
            "theo loại đơn vị hành chính."
        ),
    )
    #: who signs the commune's reports by default, set by the commune's administrator (a new
    #: draft takes it; the secretary may still change the draft's signer)
    report_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký báo cáo mặc định"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    report_authority = models.CharField(
        _("thẩm quyền ký mặc định"),
        max_length=10,
        blank=True,
        choices=[
            ("chairman", _("TM. Ủy ban nhân dân – Chủ tịch")),
            ("deputy", _("TM. Ủy ban nhân dân – KT. Chủ tịch – Phó Chủ tịch")),
            ("acting", _("TM. Ủy ban nhân dân – Q. Chủ tịch")),
        ],
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("xã, phường")
        verbose_name_plural = _("xã, phường")
        ordering = ["city_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "kind", "name"], name="commune_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @property
    def committee_name(self) -> str:
        """'Ủy ban nhân dân xã Nghi Dương'."""
        return f"Ủy ban nhân dân {self.get_kind_display().lower()} {self.name}"

    @property
    def document_place(self) -> str:
        return self.place_name or self.name

    @property
    def block(self) -> str:
        """The ranking block the city puts this commune in (`City.block_of`)."""
        return self.city.block_of(self.kind)


class Unit(models.Model):
    """A phòng or đơn vị of the commune that leads or supports sub-criteria."""

    commune = models.ForeignKey(
        Commune, verbose_name=_("xã"), on_delete=models.CASCADE, related_name="units"
    )
    name = models.CharField(_("tên đơn vị"), max_length=300)
    short_name = models.CharField(
        _("tên viết tắt"), max_length=30, blank=True, help_text=_("Ví dụ: VHXH, TTPVHCC")
    )
    is_collective = models.BooleanField(
        _("đại diện cho tất cả các đơn vị"),
        default=False,
        help_text=_("Dùng cho tiêu chí do “Các cơ quan, đơn vị” cùng chủ trì."),
    )
    order = models.PositiveIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["commune", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "name"], name="unit_name_unique_in_commune"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Which commune, unit and role a user has. Administrators are superusers instead."""

    class Role(models.TextChoices):
        STAFF = "staff", _("Cán bộ, công chức")
        LEADER = "leader", _("Lãnh đạo UBND")
        SECRETARY = "secretary", _("Văn thư")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    commune = models.ForeignKey(
        Commune, verbose_name=_("xã"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    title = models.CharField(
        _("chức danh"), max_length=200, blank=True, help_text=_("Ví dụ: Phó Chủ tịch UBND xã")
    )
    #: manages the commune's units, people, roles and report settings in the portal (the
    #: Chủ tịch, or whom an administrator names); a commune needs at least one
    is_commune_admin = models.BooleanField(_("quản trị của xã"), default=False)

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        ordering = ["commune", "role", "user__last_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="staff") | Q(unit__isnull=False),
                name="staff_membership_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} – {self.title or self.get_role_display()}"

    def clean(self) -> None:
        # Any form (the Django admin's too) refuses a unit of another commune.
        unit = self.unit
        if unit is not None and self.commune_id is not None and unit.commune_id != self.commune_id:
            raise ValidationError({"unit": _("Đơn vị này không thuộc xã đã chọn.")})
        if (
            self.user_id is not None
            and CityMembership.objects.filter(user_id=self.user_id).exists()
        ):
            raise ValidationError(
                {"user": _("Tài khoản này thuộc tỉnh, thành phố: không thể đồng thời thuộc xã.")}
            )

    @property
    def is_leader(self) -> bool:
        return self.role == self.Role.LEADER

    @property
    def is_secretary(self) -> bool:
        return self.role == self.Role.SECRETARY


class Assessment(models.Model):
    """One commune × one criteria set × one year × one period."""

    class Period(models.TextChoices):
        FIRST_HALF = "h1", _("6 tháng đầu năm")
        FULL_YEAR = "year", _("Cả năm")

    class Status(models.TextChoices):
        OPEN = "open", _("Đang tự đánh giá")
        LOCKED = "locked", _("Đã khóa")
        #: a report was issued: scores and evidence are read-only for everyone until a leader
        #: reopens the assessment with a reason (reports.services.issuing)
        FROZEN = "frozen", _("Đã ban hành báo cáo")

    commune = models.ForeignKey(
        Commune, verbose_name=_("xã"), on_delete=models.PROTECT, related_name="assessments"
    )
    criteria_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    year = models.PositiveIntegerField(_("năm"))
    period = models.CharField(
        _("kỳ"),
        max_length=10,
        choices=Period.choices,
        help_text=_(
            "Thành phố nhận hai báo cáo mỗi năm: báo cáo 6 tháng đầu năm (sơ kết, gửi trước "
            "giữa năm) và báo cáo cả năm (tổng kết, lần thứ hai, thay cho báo cáo 6 tháng cuối "
            "năm), kèm phụ lục tự chấm điểm; thành phố thẩm định theo báo cáo cả năm."
        ),
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    target_level = models.ForeignKey(
        Level,
        verbose_name=_("mức đăng ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registration_number = models.CharField(
        _("số văn bản đăng ký"), max_length=100, blank=True, help_text=_("Ví dụ: 343/UBND-VHXXH")
    )
    registration_date = models.DateField(_("ngày văn bản đăng ký"), null=True, blank=True)
    registration_recipient = models.CharField(
        _("nơi nhận văn bản đăng ký"), max_length=300, blank=True, default="Sở Nội vụ thành phố"
    )
    scoring_deadline = models.DateField(
        _("hạn tự chấm điểm"),
        null=True,
        blank=True,
        help_text=_("Sau ngày này, cán bộ không sửa được điểm và minh chứng."),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("kỳ trước"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_periods",
        help_text=_("Kỳ đánh giá mà kỳ này được tạo tiếp theo (để so sánh và dùng lại)."),
    )
    plan_number = models.CharField(
        _("số kế hoạch triển khai"), max_length=100, blank=True, help_text=_("Ví dụ: 62/KH-UBND")
    )
    plan_date = models.DateField(_("ngày kế hoạch"), null=True, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")
        ordering = ["-year", "-period", "commune"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "year", "period"], name="one_assessment_per_period"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="assessment_year_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune} – {self.get_period_display()} {self.year}"

    def clean(self) -> None:
        # The registered level is one of the assessment's own criteria set.
        level = self.target_level
        if (
            level is not None
            and self.criteria_set_id
            and level.criteria_set_id != self.criteria_set_id
        ):
            raise ValidationError(
                {"target_level": _("Mức đăng ký không thuộc bộ tiêu chí của kỳ đánh giá.")}
            )

    @property
    def registration_reference(self) -> str:
        """'Công văn số 343/UBND-VHXXH ngày 10/02/2026'."""
        if not self.registration_number:
            return ""
        text = f"Công văn số {self.registration_number}"
        if self.registration_date:
            text += f" ngày {self.registration_date:%d/%m/%Y}"
        return text


class UnitDeadline(models.Model):
    """A unit's own self-scoring deadline in one assessment: an extension of (or, rarely, an
    earlier date than) the assessment's `scoring_deadline`, set by a leader with a reason."""

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("kỳ đánh giá"),
        on_delete=models.CASCADE,
        related_name="unit_deadlines",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="deadlines"
    )
    deadline = models.DateField(_("hạn tự chấm điểm của đơn vị"))
    reason = models.TextField(_("lý do"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gia hạn"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(_("gia hạn lúc"), auto_now=True)

    class Meta:
        verbose_name = _("hạn riêng của đơn vị")
        verbose_name_plural = _("hạn riêng của đơn vị")
        ordering = ["assessment", "unit__order", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "unit"], name="one_deadline_per_unit_and_assessment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} – {self.deadline:%d/%m/%Y}"


def _unit_id(unit: "Unit | int | None") -> int | None:
    return unit.pk if isinstance(unit, Unit) else unit


def _led_by(unit_id: int | None) -> Q:
    # "Các cơ quan, đơn vị" leads a sub-criterion together: it belongs to every unit.
    return Q(lead_unit_id=unit_id) | Q(lead_unit__is_collective=True)


class AssignmentQuerySet(models.QuerySet):
    """The sub-criteria a unit leads, supports, or either (`Assignment.is_led_by` & co.)."""

    def led_by(self, unit: "Unit | int") -> "AssignmentQuerySet":
        return self.filter(_led_by(_unit_id(unit)))

    def supported_by(self, unit: "Unit | int") -> "AssignmentQuerySet":
        return self.filter(supporting_units=_unit_id(unit))

    def concerning(self, unit: "Unit | int") -> "AssignmentQuerySet":
        unit_id = _unit_id(unit)
        matching = Assignment.objects.filter(_led_by(unit_id) | Q(supporting_units=unit_id))
        return self.filter(pk__in=matching.values("pk"))


class Assignment(models.Model):
    """Who leads (and who supports) one leaf sub-criterion in one assessment."""

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("kỳ đánh giá"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="+"
    )
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị chủ trì"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_assignments",
    )
    supporting_units = models.ManyToManyField(
        Unit, verbose_name=_("đơn vị phối hợp"), blank=True, related_name="supported_assignments"
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cập nhật"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("phân công")
        verbose_name_plural = _("phân công")
        ordering = ["assessment", "criterion__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="one_assignment_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code} → {self.lead_unit or 'chưa phân công'}"

    def clean(self) -> None:
        # The lead unit is one of the assessment's commune (the supporting units, a
        # many-to-many, are checked by the forms and assessments.services.assignment_update).
        lead = self.lead_unit
        if (
            lead is not None
            and self.assessment_id
            and lead.commune_id != self.assessment.commune_id
        ):
            raise ValidationError(
                {"lead_unit": _("Đơn vị chủ trì không thuộc xã của kỳ đánh giá.")}
            )

    def is_led_by(self, unit: Unit | int | None) -> bool:
        """The unit leads it, or "Các cơ quan, đơn vị" (every unit) does."""
        unit_id = _unit_id(unit)
        if unit_id is None or self.lead_unit_id is None:
            return False
        return self.lead_unit_id == unit_id or (
            self.lead_unit is not None and self.lead_unit.is_collective
        )

    def is_supported_by(self, unit: Unit | int | None) -> bool:
        """Uses `supporting_units.all()`, so a prefetch makes it free."""
        unit_id = _unit_id(unit)
        return unit_id is not None and any(u.pk == unit_id for u in self.supporting_units.all())

    def concerns(self, unit: Unit | int | None) -> bool:
        """The unit leads or supports it (a collective lead concerns every unit)."""
        return self.is_led_by(unit) or self.is_supported_by(unit)


class AssessmentEvent(models.Model):
    """Locks, reopenings and other decisions on the assessment as a whole."""

    class Action(models.TextChoices):
        LOCK = "lock", _("Khóa kỳ đánh giá")
        REOPEN = "reopen", _("Mở lại kỳ đánh giá")
        ADJUSTMENT = "adjustment", _("Cập nhật điều chỉnh tổng điểm")
        #: issuing a report froze the assessment; a leader's reopening unfroze it (back to
        #: the status of the last LOCK / REOPEN event, which freezing does not change)
        FREEZE = "freeze", _("Ban hành báo cáo, đóng băng kỳ đánh giá")
        UNFREEZE = "unfreeze", _("Mở lại kỳ đánh giá đã ban hành báo cáo")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("thao tác"), max_length=20, choices=Action.choices)
    reason = models.TextField(_("lý do"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("nhật ký kỳ đánh giá")
        verbose_name_plural = _("nhật ký kỳ đánh giá")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} – {self.assessment}"


class Score(models.Model):
    """The score of one leaf sub-criterion: the unit's proposal, the leaders' decision and,
    later, the city's appraisal, each with who, when and why."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Chưa chấm")
        DRAFT = "draft", _("Đang soạn")
        SUBMITTED = "submitted", _("Đã gửi")
        RETURNED = "returned", _("Trả lại")
        RESUBMITTED = "resubmitted", _("Đã gửi lại")
        APPROVED = "approved", _("Đã duyệt")

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("kỳ đánh giá"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí thành phần"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    # The unit's proposal
    not_arising = models.BooleanField(_("không phát sinh"), default=False)
    numerator = models.DecimalField(
        _("tử số"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    denominator = models.DecimalField(
        _("mẫu số"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    proposed_points = models.DecimalField(
        _("điểm tự chấm"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    result_text = models.TextField(_("kết quả thực hiện"), blank=True)
    shortfall_reason = models.TextField(_("lý do chưa thực hiện"), blank=True)
    next_tasks = models.TextField(
        _("nhiệm vụ thời gian tới"),
        blank=True,
        help_text=_("Mỗi dòng một nhiệm vụ; đưa vào mục “Nhiệm vụ” của báo cáo."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    # The leaders' decision
    leader_points = models.DecimalField(
        _("điểm lãnh đạo duyệt"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    leader_reason = models.TextField(_("lý do điều chỉnh"), blank=True)
    return_comment = models.TextField(_("ý kiến trả lại"), blank=True)
    leader_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_at = models.DateTimeField(null=True, blank=True)
    # The city's appraisal (thẩm định), for later
    appraised_points = models.DecimalField(
        _("điểm thẩm định"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    appraised_reason = models.TextField(_("lý do thẩm định"), blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appraised_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking: a save names the version it read; a newer one refuses it.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("điểm tiêu chí")
        verbose_name_plural = _("điểm tiêu chí")
        ordering = ["assessment", "criterion__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="one_score_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(proposed_points__gte=0) | Q(proposed_points__isnull=True),
                name="proposed_points_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(leader_points__gte=0) | Q(leader_points__isnull=True),
                name="leader_points_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.get_status_display()}"

    @property
    def ratio_percent(self) -> Decimal | None:
        """numerator / denominator in per cent, for ratio (tiers) rules."""
        if not self.denominator or self.numerator is None:
            return None
        return (self.numerator * 100 / self.denominator).quantize(Decimal("0.01"))

    # "The points that count", defined here once and read by the selectors, the dashboards,
    # the report, its appendix and every export.

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def excluded(self) -> bool:
        """Not arising under the "exclude" policy: left out of the total, which is rebased to
        the scale (the "full" and "zero" policies give points and count as usual)."""
        return self.not_arising and self.proposed_points is None

    @property
    def approved_points(self) -> Decimal | None:
        """The leaders' points once approved; None before (or when excluded)."""
        return self.leader_points if self.is_approved else None

    @property
    def points(self) -> Decimal | None:
        """The points that count now: the leaders' once approved, else the unit's proposal
        (None: not scored yet, or excluded)."""
        return self.approved_points if self.is_approved else self.proposed_points


class ScoreEvent(models.Model):
    """Every change of a score, kept whole: the complete history shown to everyone."""

    class Action(models.TextChoices):
        SAVE = "save", _("Lưu nháp")
        SUBMIT = "submit", _("Gửi")
        RESUBMIT = "resubmit", _("Gửi lại")
        RETURN = "return", _("Trả lại")
        APPROVE = "approve", _("Duyệt")
        ADJUST = "adjust", _("Điều chỉnh điểm")
        REOPEN = "reopen", _("Mở lại để sửa")
        COMMENT = "comment", _("Góp ý")
        # The city's appraisal of a sent dossier (appraisal.appraise_services): its points
        # and reason; seen by those who may see the dossier at the city.
        APPRAISE = "appraise", _("Thành phố thẩm định")
        REAPPRAISE = "reappraise", _("Thành phố chấm lại sau giải trình")

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("thao tác"), max_length=10, choices=Action.choices)
    status = models.CharField(_("trạng thái sau"), max_length=20, choices=Score.Status.choices)
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("nội dung"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("lịch sử chấm điểm")
        verbose_name_plural = _("lịch sử chấm điểm")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.score}"


#: The city's entries in a score's history (shown only to who may see the city's scores).
CITY_SCORE_ACTIONS = (ScoreEvent.Action.APPRAISE, ScoreEvent.Action.REAPPRAISE)


class AdjustmentEntry(models.Model):
    """What happened against a set-wide rule: cases for a deduction, yes/no for a disqualifier."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="adjustment_entries"
    )
    adjustment = models.ForeignKey(Adjustment, on_delete=models.PROTECT, related_name="+")
    cases = models.PositiveIntegerField(_("số trường hợp"), default=0)
    note = models.TextField(_("ghi chú"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("điều chỉnh của kỳ đánh giá")
        verbose_name_plural = _("điều chỉnh của kỳ đánh giá")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "adjustment"], name="one_entry_per_adjustment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.adjustment}: {self.cases}"
