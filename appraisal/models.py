"""The city's side: a round of appraisal, each commune's submission to it, the appraisal per
sub-criterion (stored on `Score.appraised_*`), requests to explain, the council's votes.

Stages of a submission (`Submission.Stage`) and who moves them are decided in
`appraisal.stages`; the rule book (`assessments.access`) decides who is city staff."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment, City, Commune
from criteria.models import Adjustment, CriteriaSet, Criterion, Level
from evidence.models import Evidence
from guards.storage import get_document_storage
from reports.models import Report

POINTS = {"max_digits": 6, "decimal_places": 2}


class Round(models.Model):
    """One appraisal of the city: a criteria set × year × period, with its dates. Every commune
    of the city with an assessment for that year and period takes part."""

    city = models.ForeignKey(
        City, verbose_name=_("tỉnh, thành phố"), on_delete=models.PROTECT, related_name="rounds"
    )
    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("bộ tiêu chí"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField(_("năm"))
    period = models.CharField(
        _("kỳ"),
        max_length=10,
        choices=Assessment.Period.choices,
        default=Assessment.Period.FULL_YEAR,
    )
    submission_deadline = models.DateField(_("hạn gửi hồ sơ"))
    appraisal_deadline = models.DateField(_("hạn thẩm định"), null=True, blank=True)
    council_date = models.DateField(_("ngày họp Hội đồng"), null=True, blank=True)
    #: a share (0–100) of each top-level criterion's maximum a commune must reach to be
    #: recognised, whatever its total (None: no such condition); data, not code
    min_criterion_share = models.DecimalField(
        _("tỷ lệ điểm tối thiểu của mỗi tiêu chí (%)"),
        null=True,
        blank=True,
        help_text=_(
            "Ví dụ 50: mỗi tiêu chí phải đạt ít nhất 50% điểm tối đa. Để trống: không áp dụng."
        ),
        **POINTS,
    )
    condition_provenance = models.CharField(_("căn cứ của điều kiện"), max_length=500, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("đợt trước (để so sánh)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đợt thẩm định")
        verbose_name_plural = _("đợt thẩm định")
        ordering = ["city", "-year", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "year", "period"], name="round_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(min_criterion_share__isnull=True)
                | Q(min_criterion_share__gte=0, min_criterion_share__lte=100),
                name="round_share_is_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"Thẩm định {self.get_period_display().lower()} {self.year} – {self.city}"


class Submission(models.Model):
    """A commune's dossier sent to the city in the portal, frozen as issued and signed."""

    class Stage(models.TextChoices):
        SUBMITTED = "submitted", _("Đã gửi hồ sơ")
        APPRAISING = "appraising", _("Đang thẩm định")
        EXPLAINING = "explaining", _("Đề nghị giải trình")
        CONCLUDED = "concluded", _("Đã có kết luận")
        RECOGNISED = "recognised", _("Được công nhận")
        NOT_RECOGNISED = "not_recognised", _("Không được công nhận")

    round = models.ForeignKey(
        Round, verbose_name=_("đợt thẩm định"), on_delete=models.PROTECT, related_name="submissions"
    )
    assessment = models.OneToOneField(
        Assessment,
        verbose_name=_("kỳ đánh giá"),
        on_delete=models.PROTECT,
        related_name="submission",
    )
    report = models.ForeignKey(
        Report, verbose_name=_("báo cáo đã ban hành"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("giai đoạn"), max_length=20, choices=Stage.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("gửi lúc"))
    #: what was sent, as sent: per sub-criterion the commune's and the leaders' points, the
    #: issued files and every evidence file with its SHA-256 (appraisal.services.submit)
    snapshot = models.JSONField(_("hồ sơ lúc gửi"), default=dict)
    #: the standing, recomputed in the same transaction as every appraisal change
    #: (appraisal.standing.refresh); None until every sub-criterion is appraised
    appraised_total = models.DecimalField(_("tổng điểm thẩm định"), null=True, blank=True, **POINTS)
    self_total = models.DecimalField(_("tổng điểm tự chấm"), null=True, blank=True, **POINTS)
    level_reached = models.ForeignKey(
        Level,
        verbose_name=_("mức đạt theo điểm thẩm định"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appraised_count = models.PositiveIntegerField(_("số tiêu chí đã thẩm định"), default=0)
    leaf_count = models.PositiveIntegerField(_("số tiêu chí thành phần"), default=0)
    #: [{"criterion": code, "title", "points", "max", "share", "met"}] and disqualifiers
    conditions = models.JSONField(_("điều kiện công nhận"), default=dict, blank=True)
    conditions_met = models.BooleanField(_("đạt các điều kiện"), default=False)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("hồ sơ gửi thẩm định")
        verbose_name_plural = _("hồ sơ gửi thẩm định")
        ordering = ["round", "assessment__commune__name"]

    def __str__(self) -> str:
        return f"Hồ sơ {self.assessment.commune} – {self.round}"

    @property
    def commune(self) -> Commune:
        return self.assessment.commune

    @property
    def fully_appraised(self) -> bool:
        return self.leaf_count > 0 and self.appraised_count == self.leaf_count


class SubmissionEvent(models.Model):
    """Each stage a submission reached, by whom and when (the dates of the city's table)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    stage = models.CharField(_("giai đoạn"), max_length=20, choices=Submission.Stage.choices)
    detail = models.TextField(_("chi tiết"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("diễn biến hồ sơ")
        verbose_name_plural = _("diễn biến hồ sơ")
        ordering = ["submission", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} lúc {self.at:%H:%M %d/%m/%Y}"


class AppraiserAssignment(models.Model):
    """Which appraiser appraises which criterion (top level) of a submission, so that several
    appraisers split one commune."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="appraisers")
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="+"
    )
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chuyên viên thẩm định"),
        on_delete=models.PROTECT,
        related_name="appraisal_assignments",
    )

    class Meta:
        verbose_name = _("phân công thẩm định")
        verbose_name_plural = _("phân công thẩm định")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "criterion"], name="one_appraiser_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.appraiser.get_full_name()}"


class ExplanationRequest(models.Model):
    """The city asks the commune to explain or add evidence on some sub-criteria by a date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Chờ xã giải trình")
        ANSWERED = "answered", _("Xã đã giải trình")
        CLOSED = "closed", _("Đã xem xét")

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="explanation_requests"
    )
    message = models.TextField(_("nội dung đề nghị"))
    deadline = models.DateField(_("hạn giải trình"))
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("đề nghị giải trình")
        verbose_name_plural = _("đề nghị giải trình")
        ordering = ["submission", "-created_at"]

    def __str__(self) -> str:
        return f"Đề nghị giải trình hạn {self.deadline:%d/%m/%Y}"


class ExplanationItem(models.Model):
    """One sub-criterion of a request, with the commune's answer and the evidence it added."""

    request = models.ForeignKey(ExplanationRequest, on_delete=models.CASCADE, related_name="items")
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("nội dung cần giải trình"), blank=True)
    answer = models.TextField(_("giải trình của xã"), blank=True)
    evidence = models.ManyToManyField(
        Evidence, verbose_name=_("minh chứng bổ sung"), blank=True, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("nội dung giải trình")
        verbose_name_plural = _("nội dung giải trình")
        ordering = ["request", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["request", "criterion"], name="explain_item_once"),
        ]

    def __str__(self) -> str:
        return self.criterion.code


class CityAdjustment(models.Model):
    """The city's finding on a deduction or disqualifier of the criteria set for a submission
    (the commune's own declaration is its AdjustmentEntry; the city's finding is what counts
    in the appraised total)."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="city_adjustments"
    )
    adjustment = models.ForeignKey(Adjustment, on_delete=models.PROTECT, related_name="+")
    cases = models.PositiveIntegerField(_("số trường hợp"), default=0)
    note = models.TextField(_("căn cứ"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("điểm trừ, điều kiện loại do thành phố xác định")
        verbose_name_plural = _("điểm trừ, điều kiện loại do thành phố xác định")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "adjustment"], name="city_adjustment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.adjustment.title}: {self.cases}"


class CouncilSession(models.Model):
    """A meeting of the appraisal council that decides on a list of submissions."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang biểu quyết")
        CLOSED = "closed", _("Đã kết thúc")

    round = models.ForeignKey(
        Round, verbose_name=_("đợt thẩm định"), on_delete=models.PROTECT, related_name="sessions"
    )
    title = models.CharField(_("tên phiên họp"), max_length=300)
    held_on = models.DateField(_("ngày họp"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("thành viên dự họp"), related_name="+"
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chủ trì"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phiên họp Hội đồng thẩm định")
        verbose_name_plural = _("phiên họp Hội đồng thẩm định")
        ordering = ["round", "-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d/%m/%Y})"


class CouncilItem(models.Model):
    """One submission on a session's list: the standing shown to the council and its result."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Chưa quyết")
        RECOGNISED = "recognised", _("Đề nghị công nhận")
        NOT_RECOGNISED = "not_recognised", _("Không đề nghị công nhận")

    session = models.ForeignKey(CouncilSession, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="council_items"
    )
    result = models.CharField(
        _("kết quả"), max_length=20, choices=Result.choices, default=Result.PENDING
    )
    #: the level proposed to the council (the level the appraised total reaches)
    level = models.ForeignKey(
        Level,
        verbose_name=_("mức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total = models.DecimalField(_("tổng điểm thẩm định"), null=True, blank=True, **POINTS)
    votes_for = models.PositiveIntegerField(_("số phiếu đồng ý"), default=0)
    votes_against = models.PositiveIntegerField(_("số phiếu không đồng ý"), default=0)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hồ sơ đưa ra Hội đồng")
        verbose_name_plural = _("hồ sơ đưa ra Hội đồng")
        constraints = [
            models.UniqueConstraint(fields=["session", "submission"], name="council_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.submission.commune}: {self.get_result_display()}"


class CouncilVote(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", _("Đồng ý công nhận")
        AGAINST = "against", _("Không đồng ý")

    item = models.ForeignKey(CouncilItem, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("biểu quyết"), max_length=10, choices=Choice.choices)
    note = models.TextField(_("ý kiến"), blank=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phiếu biểu quyết")
        verbose_name_plural = _("phiếu biểu quyết")
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="one_vote_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member.get_full_name()}: {self.get_choice_display()}"


def city_document_name(instance: CityDocumentFile, filename: str) -> str:
    return f"city-documents/{instance.document_id}/{uuid.uuid4().hex}"


class CityDocument(models.Model):
    """One of the city's documents for a round, issued through the portal: Sở Nội vụ's report
    of the appraisal (báo cáo kết quả thẩm định) or the People's Committee's recognition
    decision (quyết định công nhận). Its number comes from the issuing body's register
    (reports.NumberSequence with `city` and `book`); its files are frozen at issuing and
    each signing step adds one (CityDocumentFile)."""

    class Kind(models.TextChoices):
        SUMMARY = "summary", _("Báo cáo kết quả thẩm định")
        DECISION = "decision", _("Quyết định công nhận")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Đã ban hành, chờ người có thẩm quyền ký")
        SIGNED = "signed", _("Đã ký, chờ ký số của cơ quan")
        SEALED = "sealed", _("Đã ký số đủ")

    class Authority(models.TextChoices):
        HEAD = "head", _("Người đứng đầu ký")
        DEPUTY = "deputy", _("Cấp phó ký thay (KT.)")
        ACTING = "acting", _("Quyền người đứng đầu (Q.)")

    round = models.ForeignKey(
        Round, verbose_name=_("đợt thẩm định"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("loại văn bản"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    registration = models.OneToOneField(
        "reports.RegisteredNumber",
        verbose_name=_("số đã cấp"),
        on_delete=models.PROTECT,
        related_name="city_document",
    )
    number_text = models.CharField(_("số, ký hiệu"), max_length=100)
    issue_date = models.DateField(_("ngày ban hành"))
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_name = models.CharField(_("họ tên người ký"), max_length=200)
    authority = models.CharField(
        _("thẩm quyền ký"), max_length=10, choices=Authority.choices, default=Authority.HEAD
    )
    submissions = models.ManyToManyField(
        Submission,
        verbose_name=_("hồ sơ được quyết định"),
        blank=True,
        related_name="+",
        help_text=_("Quyết định công nhận: các hồ sơ đã có kết luận lúc ban hành."),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ban hành"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("lúc ban hành"), auto_now_add=True)

    class Meta:
        verbose_name = _("văn bản của thành phố")
        verbose_name_plural = _("văn bản của thành phố")
        ordering = ["round", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["round", "kind"], name="one_city_document_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} số {self.number_text} ngày {self.issue_date:%d/%m/%Y}"


class CityDocumentFile(models.Model):
    """A frozen PDF of a city document at one signing stage; none is changed. `meta` keeps
    where the signature space is and, once signed, the certificate that signed it."""

    class Stage(models.TextChoices):
        UNSIGNED = "unsigned", _("Chưa ký")
        PERSON = "person", _("Đã ký (người có thẩm quyền)")
        ORGANISATION = "organisation", _("Đã ký (cơ quan)")

    document = models.ForeignKey(
        CityDocument, verbose_name=_("văn bản"), on_delete=models.PROTECT, related_name="files"
    )
    stage = models.CharField(_("bước ký"), max_length=20, choices=Stage.choices)
    file = models.FileField(
        _("tệp"), storage=get_document_storage, upload_to=city_document_name, max_length=200
    )
    sha256 = models.CharField(_("mã kiểm tra SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    meta = models.JSONField(_("thông tin kèm theo"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lúc tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("tệp văn bản của thành phố")
        verbose_name_plural = _("tệp văn bản của thành phố")
        ordering = ["document", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "stage"], name="one_city_document_file_per_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} – {self.get_stage_display()}"

    def read(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


class RecognitionDecision(models.Model):
    """The city's decision (Quyết định công nhận) that settles the concluded submissions of a
    round: those the council proposed are recognised, the others are not. Made when the
    decision issued through the portal is fully signed (`document`), or recorded from a
    decision signed on paper (number, date and signer typed in)."""

    round = models.ForeignKey(
        Round,
        verbose_name=_("đợt thẩm định"),
        on_delete=models.PROTECT,
        related_name="recognition_decisions",
    )
    document = models.OneToOneField(
        CityDocument,
        verbose_name=_("văn bản ký số"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recognition",
    )
    number = models.CharField(_("số quyết định"), max_length=100, help_text=_("Ví dụ: 125/QĐ-UBND"))
    signed_on = models.DateField(_("ngày ký"))
    signer_name = models.CharField(_("người ký"), max_length=200)
    submissions = models.ManyToManyField(
        Submission,
        verbose_name=_("hồ sơ được quyết định"),
        related_name="recognition_decisions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quyết định công nhận")
        verbose_name_plural = _("quyết định công nhận")
        ordering = ["round", "-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="recognition_number_once"),
        ]

    def __str__(self) -> str:
        return f"Quyết định số {self.number} ngày {self.signed_on:%d/%m/%Y}"
