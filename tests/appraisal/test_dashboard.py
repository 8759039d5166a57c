"""The city's dashboard, communes by stage, ranking by block and the two spreadsheets.

Data is made as rows (Submission, SubmissionEvent, Report) in the demo's city, Hải Phòng,
whose demo communes (Nghi Dương, An Lão) have a 2026 first-half assessment and no report."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from appraisal import dashboard as board
from appraisal import stages
from appraisal.bulk_city import block_sizes, city_make
from appraisal.models import Round, Submission, SubmissionEvent
from appraisal.standing import ranking
from assessments.levels import INFERRED
from assessments.models import Assessment, City, Commune, Score
from audit.models import AuditEntry
from jobs.models import Job
from reports.models import Report
from tests.queries import at_most

pytestmark = pytest.mark.django_db

Stage = Submission.Stage
YEAR, PERIOD = 2026, Assessment.Period.FIRST_HALF


@pytest.fixture
def city(demo) -> City:
    return demo.commune.city


@pytest.fixture
def round_(demo, city) -> Round:
    return Round.objects.create(
        city=city,
        criteria_set=demo.assessment.criteria_set,
        year=YEAR,
        period=PERIOD,
        submission_deadline=timezone.localdate() + dt.timedelta(days=3),
    )


def _commune(city: City, name: str, kind: str = Commune.Kind.XA) -> Commune:
    return Commune.objects.create(city=city, name=name, kind=kind)


def _assessment(commune: Commune, round_: Round, *, year: int = YEAR) -> Assessment:
    return Assessment.objects.create(
        commune=commune, criteria_set=round_.criteria_set, year=year, period=round_.period
    )


def _issued(assessment: Assessment, by, at: dt.datetime | None = None) -> Report:
    at = at or timezone.now()
    return Report.objects.create(
        assessment=assessment,
        kind=Report.Kind.SIX_MONTH,
        status=Report.Status.ISSUED,
        summary="Báo cáo thử",
        number=1,
        issue_date=at.date(),
        issued_at=at,
        recipients="Lưu: VT.",
        created_by=by,
    )


def _submit(
    round_: Round,
    commune: Commune,
    by,
    *,
    stage: str = Stage.CONCLUDED,
    total: D | None = None,
    self_total: D | None = None,
    assessment: Assessment | None = None,
) -> Submission:
    """A submission at `stage` with a stored standing (`total`, fully appraised when given)."""
    assessment = assessment or _assessment(commune, round_, year=round_.year)
    submission = Submission.objects.create(
        round=round_,
        assessment=assessment,
        report=_issued(assessment, by),
        stage=stage,
        submitted_by=by,
        submitted_at=timezone.now() - dt.timedelta(days=2),
        appraised_total=total,
        self_total=self_total,
        leaf_count=10,
        appraised_count=10 if total is not None else 0,
        conditions_met=total is not None and total >= 50,
    )
    SubmissionEvent.objects.create(submission=submission, stage=Stage.SUBMITTED, user=by)
    if stage != Stage.SUBMITTED:
        SubmissionEvent.objects.create(submission=submission, stage=stage, user=by)
    return submission


def _names(block) -> list[tuple[int | None, str]]:
    return [(row.rank, row.submission.assessment.commune.name) for row in block.rows]


# -- stages ---------------------------------------------------------------------------------


def test_stages_before_and_after_submission(demo, city, round_, secretary):
    """No assessment -> not started; assessment without issued report (or a reopened one)
    -> self-assessing; issued report not sent -> report issued (dated by the report); a
    submission -> its stage, dated by the event that reached it."""
    _commune(city, "Chưa Làm")
    reopened = _assessment(_commune(city, "Mở Lại"), round_)
    report = _issued(reopened, secretary)
    report.reopened_at = timezone.now()
    report.save()
    issued_at = timezone.now() - dt.timedelta(days=4)
    _issued(_assessment(_commune(city, "Đã Ban Hành"), round_), secretary, issued_at)
    appraising = _submit(round_, _commune(city, "Đang Thẩm"), secretary, stage=Stage.APPRAISING)
    _submit(round_, _commune(city, "Kết Luận"), secretary, total=D(91))
    # Another city's commune and another period's assessment are not this round's.
    _commune(City.objects.create(name="Thành phố Khác"), "Ngoài")
    _assessment(_commune(city, "Kỳ Khác"), round_, year=YEAR - 1)

    rows = {row.commune.name: row for row in board.commune_stages(round_)}
    assert rows["Chưa Làm"].stage == stages.NOT_STARTED
    assert rows["Kỳ Khác"].stage == stages.NOT_STARTED
    assert rows["Mở Lại"].stage == stages.SELF_ASSESSING
    assert rows["Nghi Dương"].stage == stages.SELF_ASSESSING  # the demo's, no report
    assert rows["Đã Ban Hành"].stage == stages.REPORT_ISSUED
    assert rows["Đã Ban Hành"].since == issued_at
    assert rows["Đang Thẩm"].stage == Stage.APPRAISING
    assert rows["Đang Thẩm"].since == appraising.events.get(stage=Stage.APPRAISING).at
    assert "Ngoài" not in rows

    counts = {row.key: row.count for row in board.stage_table(list(rows.values()))}
    assert counts == {
        stages.NOT_STARTED: 2,
        stages.SELF_ASSESSING: 3,  # Nghi Dương, An Lão, Mở Lại
        stages.REPORT_ISSUED: 1,
        Stage.SUBMITTED: 0,
        Stage.APPRAISING: 1,
        Stage.EXPLAINING: 0,
        Stage.CONCLUDED: 1,
        Stage.RECOGNISED: 0,
        Stage.NOT_RECOGNISED: 0,
    }


def test_dashboard_page_links_each_count_to_its_communes(
    client, city, round_, appraiser, secretary
):
    _issued(_assessment(_commune(city, "Đã Ban Hành"), round_), secretary)
    client.force_login(appraiser)
    page = client.get(reverse("appraisal:dashboard", args=[city.pk])).content.decode()
    link = f"{reverse('appraisal:communes', args=[city.pk])}?dot={round_.pk}&amp;giai-doan="
    assert f'{link}report_issued" data-testid="stage-count">1</a>' in page
    assert f'{link}self_assessing" data-testid="stage-count">2</a>' in page

    listed = client.get(
        reverse("appraisal:communes", args=[city.pk]),
        {"dot": round_.pk, "giai-doan": "report_issued"},
    ).content.decode()
    assert "Đã Ban Hành" in listed
    assert "Nghi Dương" not in listed
    assert timezone.localdate().strftime("%d/%m/%Y") in listed


def test_the_communes_come_in_pages_keeping_the_stage(client, city, round_, appraiser):
    """A city has a hundred communes and more: 50 a page; the page links keep the round and
    the stage chosen; the queries do not grow (test_query_count_does_not_grow_with_communes)."""
    Commune.objects.bulk_create(Commune(city=city, name=f"Thử {n:03d}") for n in range(60))
    client.force_login(appraiser)
    url = reverse("appraisal:communes", args=[city.pk])
    query = {"dot": round_.pk, "giai-doan": "not_started"}
    first = client.get(url, query)
    html = first.content.decode()
    assert len(first.context["rows"]) == 50 and html.count('data-stage="not_started"') == 50
    assert ": 60 xã, phường" in html and "Trang 1 / 2" in html
    assert f"?dot={round_.pk}&amp;giai-doan=not_started&amp;trang=2" in html
    second = client.get(url, {**query, "trang": 2})
    assert len(second.context["rows"]) == 10


def test_the_dashboard_shows_the_first_late_communes_and_counts_the_rest(
    client, city, round_, appraiser
):
    Commune.objects.bulk_create(Commune(city=city, name=f"Thử {n:03d}") for n in range(30))
    client.force_login(appraiser)
    html = client.get(reverse("appraisal:dashboard", args=[city.pk])).content.decode()
    late = html.split('data-testid="late"', 1)[1].split("</table>", 1)[0]
    assert late.count("<tr>") == 1 + 20  # the header and the first 20
    assert "Và 12 xã, phường khác chưa gửi" in html  # 30 new, Nghi Dương and An Lão
    assert f"{reverse('appraisal:communes', args=[city.pk])}?dot={round_.pk}" in html


def test_near_deadline_lists_communes_not_submitted(city, round_, secretary):
    _submit(round_, _commune(city, "Đã Gửi"), secretary, stage=Stage.SUBMITTED)
    _commune(city, "Chưa Làm")
    rows = board.commune_stages(round_)
    today = round_.submission_deadline - dt.timedelta(days=3)
    late = board.near_deadline(round_, rows, today)
    assert [(item.row.commune.name, item.days_left) for item in late] == [
        ("Chưa Làm", 3),  # not started comes first
        ("An Lão", 3),
        ("Nghi Dương", 3),
    ]
    past = board.near_deadline(round_, rows, round_.submission_deadline + dt.timedelta(days=2))
    assert all(item.overdue and item.days_left == -2 for item in past)
    assert board.near_deadline(round_, rows, today - dt.timedelta(days=10)) == []


# -- histogram and losses -------------------------------------------------------------------


def test_histogram_bins(round_):
    totals = [D("65"), D("69.99"), D("70"), D("74.99"), D("85"), D("95"), D("100")]
    bins = board.histogram(round_, totals, board.round_levels(round_))
    assert [b.label for b in bins] == [
        "Dưới 70",
        "70–75",
        "75–80",
        "80–85",
        "85–90",
        "90–95",
        "95–100",
    ]
    assert [b.count for b in bins] == [2, 2, 0, 0, 1, 0, 2]
    assert bins[4].level == "mức 2"  # from the criteria set's levels
    assert max(b.height for b in bins) == board.BAR_MAX
    assert [b.height for b in board.histogram(round_, [])] == [0] * 7


def test_dashboard_histogram_is_drawn_with_a_table(client, city, round_, appraiser, secretary):
    _submit(round_, _commune(city, "A"), secretary, total=D("72"))
    _submit(round_, _commune(city, "B"), secretary, total=D("96"))
    _submit(round_, _commune(city, "C"), secretary, stage=Stage.SUBMITTED)
    client.force_login(appraiser)
    page = client.get(reverse("appraisal:dashboard", args=[city.pk])).content.decode()
    assert 'role="img" aria-labelledby="histogram-title histogram-desc"' in page
    assert "70–75 điểm: 1 xã, phường" in page
    assert 'data-testid="appraised-count">2<' in page
    assert page.count('data-testid="bin-count">1<') == 2


def test_losses_count_communes_and_points(demo, city, round_, secretary):
    """Sub-criteria ordered by how many communes lost points there, then by points lost;
    a sub-criterion left out as not arising loses nothing."""
    first = _submit(round_, demo.commune, secretary, assessment=demo.assessment)
    second = _submit(round_, demo.other_commune, secretary, assessment=demo.other_assessment)
    scores = {
        (s.assessment_id, s.criterion.code): s
        for s in Score.objects.filter(assessment__in=[first.assessment, second.assessment])
        .select_related("criterion")
        .filter(criterion__max_points__gte=2)
    }
    codes = sorted({code for _a, code in scores})[:3]
    common, single, excluded = codes

    def appraise(submission, code, points, **extra):
        score = scores[(submission.assessment_id, code)]
        Score.objects.filter(pk=score.pk).update(appraised_points=points, **extra)
        return score.criterion.max_points

    top = appraise(first, common, D(0))
    appraise(second, common, top - 1)
    single_max = appraise(first, single, D(0))
    appraise(first, excluded, D(0), not_arising=True, proposed_points=None)
    appraise(second, excluded, None)  # not appraised yet

    losses = board.losses(round_)
    assert [(loss.code, loss.communes, loss.lost) for loss in losses] == [
        (common, 2, top + 1),
        (single, 1, single_max),
    ]


# -- ranking --------------------------------------------------------------------------------


def test_ranking_ties_share_a_rank_and_blocks(city, round_, secretary):
    """Phường among phường; xã with đặc khu (the default); same total -> same rank, by name;
    a commune not fully appraised has no rank and comes last."""
    for name, total in (("Phường C", 85), ("Phường B", 90), ("Phường A", 90)):
        _submit(round_, _commune(city, name, Commune.Kind.PHUONG), secretary, total=D(total))
    _submit(round_, _commune(city, "Xã X", Commune.Kind.XA), secretary, total=D(80))
    _submit(round_, _commune(city, "Đặc khu D", Commune.Kind.DAC_KHU), secretary, total=D(88))
    _submit(round_, _commune(city, "Xã Y"), secretary, stage=Stage.APPRAISING)

    blocks = {block.key: block for block in board_ranking(round_)}
    assert _names(blocks["phuong"]) == [(1, "Phường A"), (1, "Phường B"), (3, "Phường C")]
    assert _names(blocks["xa"]) == [(1, "Đặc khu D"), (2, "Xã X"), (None, "Xã Y")]
    assert blocks["xa"].name == "Khối xã, đặc khu"

    city.dac_khu_block = City.DacKhuBlock.OWN
    city.save()
    round_.refresh_from_db()
    blocks = {block.key: block for block in board_ranking(round_)}
    assert _names(blocks["dac_khu"]) == [(1, "Đặc khu D")]
    assert _names(blocks["xa"]) == [(1, "Xã X"), (None, "Xã Y")]


def board_ranking(round_):
    return ranking(Round.objects.select_related("city", "previous").get(pk=round_.pk))


def test_ranking_page_change_since_previous_round(client, demo, city, round_, appraiser, secretary):
    previous = Round.objects.create(
        city=city,
        criteria_set=round_.criteria_set,
        year=YEAR - 1,
        period=PERIOD,
        submission_deadline=dt.date(YEAR - 1, 6, 30),
    )
    round_.previous = previous
    round_.save()
    up, down = _commune(city, "Lên Hạng"), _commune(city, "Xuống Hạng")
    _submit(previous, up, secretary, total=D(80))
    _submit(previous, down, secretary, total=D(90))
    _submit(round_, up, secretary, total=D("92.5"), self_total=D(95))
    _submit(round_, down, secretary, total=D(88))

    levels = {level.name: level for level in round_.criteria_set.levels.all()}
    Assessment.objects.filter(commune=down, year=YEAR).update(target_level=levels["mức 2"])
    Submission.objects.filter(round=round_, assessment__commune=down).update(
        level_reached=levels["mức 1"]
    )
    client.force_login(appraiser)
    page = client.get(reverse("appraisal:ranking", args=[city.pk])).content.decode()
    assert page.count("thấp hơn mức đăng ký") == 1
    # The demo set's mức 1 has an inferred threshold: the page says so beside its name.
    assert "mức 1 (ngưỡng suy luận) / mức 2" in page
    assert "▲ 1 hạng" in page
    assert "(+12,5 điểm)" in page
    assert "▼ 1 hạng" in page
    assert "(-2 điểm)" in page
    assert page.index("Lên Hạng") < page.index("Xuống Hạng")


# -- exports --------------------------------------------------------------------------------


def _export(client, capture, name: str, city: City, query: str = ""):
    """POST the export's button: the job runs at the commit (no broker); the person is sent
    to the job's page, whose download gives the file."""
    with capture(execute=True):
        started = client.post(reverse(f"appraisal:{name}", args=[city.pk]) + query)
    job = Job.objects.get(kind=f"appraisal.{name}")
    assert started.status_code == 302
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.DONE, job.error
    response = client.get(reverse("jobs:download", args=[job.pk]))
    return job, response, b"".join(response.streaming_content)


def test_ranking_xlsx(
    client, city, round_, appraiser, secretary, django_capture_on_commit_callbacks
):
    _submit(round_, _commune(city, "Phường A", Commune.Kind.PHUONG), secretary, total=D(90))
    _submit(round_, _commune(city, "Xã X"), secretary, total=D(80), self_total=D(85))
    client.force_login(appraiser)
    job, response, data = _export(
        client, django_capture_on_commit_callbacks, "ranking_xlsx", city, f"?dot={round_.pk}"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="xep-hang-tham-dinh-6-thang-dau-nam-2026-hai-phong.xlsx"'
    )
    assert job.params["back"] == reverse("appraisal:ranking", args=[city.pk]) + (
        f"?dot={round_.pk}"
    )
    # The export is recorded, with the person who asked for it (the worker has no request).
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == appraiser and "xep-hang-tham-dinh" in entry.summary
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Khối phường", "Khối xã, đặc khu"]
    sheet = book["Khối xã, đặc khu"]
    assert "Hải Phòng" in sheet["A2"].value
    headers = [cell.value for cell in sheet[4]]
    assert headers[:4] == [
        "Hạng",
        "Xã, phường, đặc khu",
        "Tổng điểm thẩm định",
        "Tổng điểm tự chấm",
    ]
    assert [cell.value for cell in sheet[5]][:4] == [1, "Xã Xã X", 80, 85]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$4:$4"


def test_results_xlsx(
    client, demo, city, round_, appraiser, secretary, django_capture_on_commit_callbacks
):
    submission = _submit(round_, _commune(city, "Phường A", Commune.Kind.PHUONG), secretary)
    submission.appraised_total = D("88.5")
    submission.appraised_count = submission.leaf_count
    submission.conditions = {
        "criteria": [
            {"code": "1", "points": "20", "max": "24", "share": "83.3", "met": True},
            {"code": "2", "points": "10", "max": "24", "share": "41.7", "met": False},
        ],
        "disqualifiers": [{"title": "Bị kỷ luật", "cases": 1, "note": ""}],
    }
    submission.conditions_met = False
    inferred = round_.criteria_set.levels.filter(provenance__iexact=INFERRED).first()
    assert inferred is not None  # the demo's levels are a reconstruction
    submission.level_reached = inferred
    submission.save()
    client.force_login(appraiser)
    _job, response, data = _export(client, django_capture_on_commit_callbacks, "results_xlsx", city)
    assert response["Content-Disposition"].startswith('attachment; filename="ket-qua-tham-dinh')
    sheet = load_workbook(io.BytesIO(data))["Kết quả thẩm định"]
    headers = [cell.value for cell in sheet[4]]
    assert headers[:4] == ["Stt", "Xã, phường, đặc khu", "Khối", "Tiêu chí 1 (tối đa 24)"]
    assert "Tổng điểm thẩm định" in headers and "Đạt các điều kiện" in headers
    row = dict(zip(headers, [cell.value for cell in sheet[5]], strict=True))
    assert row["Xã, phường, đặc khu"] == "Phường Phường A"
    assert row["Tiêu chí 1 (tối đa 24)"] == 20
    assert row["Tổng điểm thẩm định"] == 88.5
    assert row["Điều kiện tối thiểu mỗi tiêu chí"] == "Không đạt: 2 (41,7%)"
    assert row["Điều kiện loại trừ"] == "Bị kỷ luật"
    # An inferred threshold is named as such, as on the pages.
    assert row["Mức đạt"] == f"{inferred.name} (ngưỡng suy luận)"
    assert sheet.page_setup.orientation == "landscape"


# -- access ---------------------------------------------------------------------------------

PAGES = ["dashboard", "communes", "ranking"]
EXPORTS = ["ranking_xlsx", "results_xlsx"]


@pytest.mark.parametrize("name", PAGES)
def test_access(client, city, round_, name, council_member, other_city_appraiser, leader):
    url = reverse(f"appraisal:{name}", args=[city.pk])
    client.force_login(council_member)
    assert client.get(url).status_code == 200
    client.force_login(other_city_appraiser)
    assert client.get(url).status_code == 404
    client.force_login(leader)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", EXPORTS)
def test_export_access(client, city, round_, name, council_member, other_city_appraiser, leader):
    url = reverse(f"appraisal:{name}", args=[city.pk])
    for person, status in ((other_city_appraiser, 404), (leader, 403)):
        client.force_login(person)
        assert client.post(url).status_code == status
        assert client.get(url).status_code == status
    assert not Job.objects.exists()
    client.force_login(council_member)
    job_page = client.post(url)
    job = Job.objects.get()
    assert job_page["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.user == council_member and job.params["round"] == round_.pk


@pytest.mark.parametrize("name", EXPORTS)
def test_an_export_link_opened_with_get_starts_nothing(client, city, round_, name, appraiser):
    """An old bookmark: GET goes back to the ranking, where the buttons are."""
    client.force_login(appraiser)
    response = client.get(reverse(f"appraisal:{name}", args=[city.pk]), {"dot": round_.pk})
    assert response["Location"] == reverse("appraisal:ranking", args=[city.pk]) + (
        f"?dot={round_.pk}"
    )
    assert not Job.objects.exists()


def test_a_double_click_gives_the_same_export_job(client, city, round_, appraiser):
    client.force_login(appraiser)
    url = reverse("appraisal:ranking_xlsx", args=[city.pk])
    first, again = client.post(url), client.post(url)
    assert first["Location"] == again["Location"] and Job.objects.count() == 1


def test_the_ranking_page_posts_its_exports(client, city, round_, appraiser):
    client.force_login(appraiser)
    page = client.get(reverse("appraisal:ranking", args=[city.pk])).content.decode()
    action = reverse("appraisal:ranking_xlsx", args=[city.pk]) + f"?dot={round_.pk}"
    assert f'<form method="post" action="{action}">' in page
    assert "csrfmiddlewaretoken" in page


@pytest.mark.parametrize("value", ["999999", "abc", "-1"])
def test_unknown_or_other_citys_round_is_404(client, city, round_, appraiser, value):
    client.force_login(appraiser)
    url = reverse("appraisal:dashboard", args=[city.pk])
    assert client.get(url, {"dot": value}).status_code == 404


def test_other_citys_round_is_404(client, city, round_, appraiser, other_city_appraiser):
    other = Round.objects.create(
        city=other_city_appraiser.city_membership.city,
        criteria_set=round_.criteria_set,
        year=YEAR,
        period=PERIOD,
        submission_deadline=timezone.localdate(),
    )
    client.force_login(appraiser)
    url = reverse("appraisal:ranking", args=[city.pk])
    assert client.get(url, {"dot": other.pk}).status_code == 404


def test_city_without_round(client, city, appraiser):
    client.force_login(appraiser)
    page = client.get(reverse("appraisal:dashboard", args=[city.pk])).content.decode()
    assert "chưa mở đợt thẩm định" in page
    xlsx = client.get(reverse("appraisal:ranking_xlsx", args=[city.pk]))
    assert xlsx.status_code == 302


# -- queries --------------------------------------------------------------------------------


def _communes(city, round_, secretary, start: int, count: int) -> None:
    kinds = [Commune.Kind.PHUONG, Commune.Kind.XA, Commune.Kind.DAC_KHU]
    chosen = [Stage.SUBMITTED, Stage.APPRAISING, Stage.CONCLUDED, Stage.RECOGNISED]
    for n in range(start, start + count):
        commune = _commune(city, f"Số {n:03d}", kinds[n % 3])
        if n % 5 == 0:
            continue  # not started
        if n % 5 == 1:
            _issued(_assessment(commune, round_), secretary)
            continue
        stage = chosen[n % 4]
        total = D(70 + n) if stage != Stage.SUBMITTED else None
        _submit(round_, commune, secretary, stage=stage, total=total)


@pytest.mark.parametrize(
    ("name", "ceiling", "why"),
    [
        # session, user, city membership, city, rounds, communes, assessments, reports,
        # submissions, levels, losses (+ savepoints of the test client's transaction)
        ("dashboard", 14, "session, user, membership, city, rounds, 6 reads of the round"),
        ("communes", 12, "session, user, membership, city, rounds, 4 reads of the round"),
        ("ranking", 10, "session, user, membership, city, rounds, this and the previous round"),
    ],
)
def test_query_count_does_not_grow_with_communes(
    client, city, round_, appraiser, secretary, name, ceiling, why
):
    url = reverse(f"appraisal:{name}", args=[city.pk])
    client.force_login(appraiser)
    _communes(city, round_, secretary, 0, 2)
    with at_most(ceiling, why) as few:
        assert client.get(url).status_code == 200
    _communes(city, round_, secretary, 2, 10)
    with at_most(ceiling, why) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("name", "ceiling", "why"),
    [
        # The request: session, user, membership, city, rounds, the job (look-up, insert),
        # and the job read again to send the person on (jobs.views.job_redirect).
        # The job at the commit: load, running, reload, the round, the person's access
        # again (user, city membership, city), 2 progress, the standings, tracking the file,
        # the audit entry (membership, chain, insert, head), the finish; and 4 savepoints.
        # PostgreSQL adds two: SET CONSTRAINTS ALL IMMEDIATE / DEFERRED around the audit entry.
        ("ranking_xlsx", 30, "request 8, the job's run 4, access 3, standings, audit, finish"),
        ("results_xlsx", 31, "the same and the criteria set's roots"),
    ],
)
def test_export_query_count_does_not_grow_with_communes(
    client,
    city,
    round_,
    appraiser,
    secretary,
    name,
    ceiling,
    why,
    django_capture_on_commit_callbacks,
):
    """The request and the job it starts (run here at the commit, as without a broker)."""
    url = reverse(f"appraisal:{name}", args=[city.pk])
    client.force_login(appraiser)
    _communes(city, round_, secretary, 0, 2)
    with at_most(ceiling, why) as few, django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    _communes(city, round_, secretary, 2, 10)
    with at_most(ceiling, why) as many, django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert len(many) == len(few)
    assert Job.objects.filter(state=Job.State.DONE).count() == 2


# -- make_city ------------------------------------------------------------------------------


def test_block_sizes_follow_hai_phong():
    assert block_sizes(114) == {"phuong": 45, "xa": 67, "dac_khu": 2}
    assert block_sizes(12) == {"phuong": 5, "xa": 6, "dac_khu": 1}
    assert sum(block_sizes(7).values()) == 7


def test_make_city_small(demo):
    made = city_make(communes=12, seed=1, city_name="Thành phố Thử Nghiệm", year=YEAR)
    assert made.communes == 12
    rows = board.commune_stages(made.round)
    assert len(rows) == 12
    present = {row.stage for row in rows}
    assert present == {key for key, _name in stages.ALL_STAGES}
    concluded = Submission.objects.filter(round=made.round, stage=Stage.CONCLUDED)
    assert all(s.appraised_total is not None and s.level_reached_id for s in concluded)
    assert all(b.rows[0].previous_rank is not None for b in board_ranking(made.round) if b.rows)
    with pytest.raises(ValueError, match="đã có đợt thẩm định"):
        city_make(communes=3, seed=1, city_name="Thành phố Thử Nghiệm", year=YEAR)
