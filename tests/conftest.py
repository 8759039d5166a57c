"""Shared fixtures: the demo communes and named personas from both of them."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db.models import QuerySet

from assessments.demo import DEMO_FILE, demo_load, demo_scores
from assessments.models import Assessment, Assignment, Commune, Score
from assessments.services import city_get_or_create, city_user_create, score_adjust
from guards import versions
from guards.yamlfiles import read_yaml
from jobs import background

# Playwright's sync API keeps an event loop running in the main thread; Django's ORM then
# refuses to run unless told it is safe. Only the tests set this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_PASSWORD = "demo12345"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path_factory):
    """No test writes into the repository's var/media: uploads, issued documents and keys go
    to a temporary folder (evidence tests narrow it further to their own tmp_path)."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and cached validations in the default cache start empty."""
    cache.clear()


class _InFlight:
    """The live server's threads serving a request now: Django's request_started and
    request_finished, sent in the thread that serves it. The test client's requests (server
    name "testserver") are not counted: a streaming response a test never reads stays open."""

    def __init__(self) -> None:
        self.serving: set[int] = set()
        self.changed = threading.Condition()
        request_started.connect(self.started, weak=False, dispatch_uid="tests-in-flight")
        request_finished.connect(self.finished, weak=False, dispatch_uid="tests-in-flight")

    def started(self, environ=None, **kwargs) -> None:
        if (environ or {}).get("SERVER_NAME") == "testserver":
            return
        with self.changed:
            self.serving.add(threading.get_ident())

    def finished(self, **kwargs) -> None:
        with self.changed:
            self.serving.discard(threading.get_ident())
            self.changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: not self.serving, timeout=timeout)


_in_flight = _InFlight()


@pytest.fixture(autouse=True)
def _requests_end_with_the_test(request):
    """A live-server test's database is emptied at teardown; SQLite refuses ("database table
    is locked") while another thread still reads a table in a transaction. So the requests
    the page left running (a fetch the page started as the test ended) and the tasks queued
    in this process's background pool (jobs/background.py) end first. Requesting the
    database here makes this teardown come before the flush."""
    live = "live_server" in request.fixturenames
    if live:
        request.getfixturevalue("transactional_db")
    yield
    if live:
        assert _in_flight.wait_idle(timeout=60), "a request still runs 60 s after the test"
    assert background.drain(timeout=60), "a background task still runs 60 s after the test"


@pytest.fixture(autouse=True)
def _bulk_writes_bump(request, monkeypatch):
    """Tests set rows up with queryset .update() / bulk_create() (a score's state, a lock),
    which send no signal: here they bump every data version (guards.versions), as the
    services do by hand (a test checks that they do). Modules that test the versions
    themselves set REAL_VERSIONS and see the real behaviour."""
    if getattr(request.module, "REAL_VERSIONS", False):
        return
    for name in ("update", "bulk_create", "bulk_update"):
        original = getattr(QuerySet, name)

        def bumped(self, *args, _original=original, **kwargs):
            result = _original(self, *args, **kwargs)
            if versions.watched(self.model):  # not the logs (a job's progress)
                versions.bump_all()
            return result

        monkeypatch.setattr(QuerySet, name, bumped)


@dataclass
class Demo:
    commune: Commune
    other_commune: Commune
    assessment: Assessment
    other_assessment: Assessment

    def user(self, username: str):
        return get_user_model().objects.get(username=username)


@pytest.fixture
def demo(db) -> Demo:
    """xã Nghi Dương (2026, 6 tháng, mức 2) and xã An Lão, with every demo account."""
    demo_load(password=DEMO_PASSWORD, scores=False)
    nghi_duong = Commune.objects.get(name="Nghi Dương")
    an_lao = Commune.objects.get(name="An Lão")
    return Demo(
        commune=nghi_duong,
        other_commune=an_lao,
        assessment=Assessment.objects.get(commune=nghi_duong),
        other_assessment=Assessment.objects.get(commune=an_lao),
    )


@pytest.fixture
def demo_scored(demo) -> Demo:
    """The demo with the seed report's outcome scored and approved (as `make run` shows it)."""
    demo_scores(read_yaml(DEMO_FILE)["scores"])
    return demo


SECOND_HALF = ("2.1.c", "2.1.e", "4.2.c", "4.2.d", "4.2.e", "4.3")


@pytest.fixture
def demo_scored_90(demo_scored) -> Demo:
    """The demo at 90/100, the total the seed report's own shortfall table implies: the
    leader raises the six tasks of the second half (scored 0 by the demo, not done yet) to
    their maximum. For tests about a total at a level's boundary, not about the demo's text."""
    leader = demo_scored.user("lanhdao")
    for score in Score.objects.filter(
        assessment=demo_scored.assessment, criterion__code__in=SECOND_HALF
    ).select_related("criterion"):
        score_adjust(
            score=score,
            by=leader,
            expected_version=score.version,
            points=score.criterion.max_points,
            reason="Điểm như bảng tồn tại, hạn chế của báo cáo gốc (chỉ dùng trong kiểm thử).",
        )
    return demo_scored


# Personas, named by who they are for the rules (not by the demo's user names). Each is a
# user of the demo; `own_criterion` is the sub-criterion the persona's roles are about.
OWN_CRITERION = "2.2.e"  # led by Phòng Văn hóa - Xã hội in the demo's criteria set


@pytest.fixture
def own_criterion(demo) -> Assignment:
    """The assignment of 2.2.e in xã Nghi Dương: Phòng Văn hóa - Xã hội leads it."""
    return Assignment.objects.select_related("criterion", "lead_unit").get(
        assessment=demo.assessment, criterion__code=OWN_CRITERION
    )


@pytest.fixture
def own_staff(demo):
    """Staff of the unit that leads `own_criterion` (Phòng Văn hóa - Xã hội)."""
    return demo.user("vhxh")


@pytest.fixture
def other_staff(demo):
    """Staff of a unit that neither leads nor supports `own_criterion` (Phòng Kinh tế)."""
    return demo.user("kinhte")


@pytest.fixture
def supporting_staff(demo, own_criterion):
    """Staff of Trung tâm Phục vụ hành chính công, made a supporting unit of `own_criterion`."""
    user = demo.user("ttpvhcc")
    own_criterion.supporting_units.add(user.membership.unit)
    return user


@pytest.fixture
def leader(demo):
    """A leader of xã Nghi Dương (the Phó Chủ tịch who signs the seed report)."""
    return demo.user("lanhdao")


@pytest.fixture
def chairman(demo):
    """The Chủ tịch of xã Nghi Dương: a leader, and the one who signs as the chairman."""
    return demo.user("chutich")


@pytest.fixture
def centre_staff(demo):
    """Staff of Trung tâm Phục vụ hành chính công, as the demo has it (not a supporting unit
    of `own_criterion`; `supporting_staff` is the same person made one)."""
    return demo.user("ttpvhcc")


@pytest.fixture
def secretary(demo):
    """The secretary (văn thư) of xã Nghi Dương."""
    return demo.user("vanthu")


@pytest.fixture
def administrator(demo):
    """The demo's administrator (a superuser). Not named `admin_user`: pytest-django's
    fixture of that name (behind `admin_client`) makes its own superuser without the demo."""
    return demo.user("admin")


@pytest.fixture
def outsider(demo):
    """A leader of the other commune, xã An Lão: Nghi Dương's data is 404 to them."""
    return demo.user("anlao_lanhdao")


@pytest.fixture
def outsider_staff(demo):
    """Staff of Phòng Văn hóa - Xã hội in the other commune, xã An Lão: the same unit name
    as `own_staff`'s, but nothing of Nghi Dương's is theirs."""
    return demo.user("anlao_vhxh")


@pytest.fixture
def appraiser(demo):
    """An appraiser (chuyên viên Sở Nội vụ) of Hải Phòng, the demo communes' city."""
    return demo.user("sonoivu")


@pytest.fixture
def second_appraiser(demo):
    return demo.user("sonoivu2")


@pytest.fixture
def council_chair(demo):
    return demo.user("chutichhd")


@pytest.fixture
def council_member(demo):
    return demo.user("hoidong1")


@pytest.fixture
def city_admin(demo):
    """The city's administrator (quản trị của thành phố) of Hải Phòng."""
    return demo.user("quantritp")


@pytest.fixture
def city_leader(demo):
    """Hải Phòng's Giám đốc Sở Nội vụ: signs the department's report of the appraisal."""
    return demo.user("giamdocso")


@pytest.fixture
def city_deputy(demo):
    """Hải Phòng's Phó Chủ tịch: signs the recognition decision for the People's Committee."""
    return demo.user("lanhdaotp")


@pytest.fixture
def other_city_appraiser(demo):
    """An appraiser of another city: nothing of Hải Phòng's exists for them."""
    return city_user_create(
        username="tp_khac",
        password=DEMO_PASSWORD,
        full_name="Ngô Văn Khác",
        city=city_get_or_create("Thành phố Thử"),
        role="appraiser",
    )


@pytest.fixture
def login_as(client, demo):
    """`login_as(leader)` logs the test client in as that persona and returns the user;
    `login_as("vhxh")` does the same by demo user name, for tests that loop over names."""

    def _login(who):
        user = demo.user(who) if isinstance(who, str) else who
        client.force_login(user)
        return user

    return _login
