"""Deadline day, for locust (issue 15 item 8): the communes' staff open their sub-criteria,
upload evidence and save their scores, leaders open the dashboard, secretaries download the
report's PDF, and anonymous visitors open the login page (the trivial page every other is
compared with). Each person belongs to one of the communes with an open assessment.

Run by bench/deadline.py against the embedded portal and the cluster, same users and time:

    locust -f bench/deadline_locust.py --headless --host http://127.0.0.1:8300 -u 20 -r 5 -t 30s

The accounts and targets come from the portal's own database (`python bench/deadline_locust.py
plan` with the portal's environment prints them as JSON; BENCH_PLAN names that file): for
each commune, its staff with the sub-criteria each may upload to and score, its leaders, and
its secretary with the draft report whose PDF the secretaries ask for. Every account's
password is load_demo's.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import sys
import threading
from itertools import count
from pathlib import Path

PASSWORD = "demo12345"


def make_plan() -> dict:
    """The accounts and targets of every commune with an open assessment (the demo's xã Nghi
    Dương and xã An Lão), from the database of the environment: for each commune its staff
    with the sub-criteria each may upload to and those each may score now (led by their
    unit, not yet sent), its leaders, and its secretary with the draft report whose PDF the
    secretaries ask for. The first commune with a secretary is also given at the top level
    (the lone uploads and the keep-alive figure use it)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyen.settings")
    import django

    django.setup()
    from assessments.access import can_propose, may_change_after_deadline, upload_refusal
    from assessments.models import Assessment, Assignment, Membership, Score
    from assessments.services import EDITABLE
    from reports.models import Report
    from reports.services.drafting import report_create

    communes = []
    latest = {}
    for assessment in Assessment.objects.filter(status=Assessment.Status.OPEN).order_by("year"):
        latest[assessment.commune_id] = assessment
    for assessment in latest.values():
        members = list(
            Membership.objects.filter(commune=assessment.commune).select_related("user", "unit")
        )
        assignments = list(
            Assignment.objects.filter(assessment=assessment)
            .select_related("criterion", "lead_unit")
            .prefetch_related("supporting_units")
        )
        editable = set(
            Score.objects.filter(assessment=assessment, status__in=EDITABLE).values_list(
                "criterion_id", flat=True
            )
        )
        staff = []
        for member in members:
            if member.role != Membership.Role.STAFF:
                continue
            upload = [
                a.criterion_id
                for a in assignments
                if not upload_refusal(member.user, assessment, a)
            ]
            score = [
                {
                    "criterion": a.criterion_id,
                    "rule": a.criterion.rule,
                    "max": str(a.criterion.max_points),
                }
                for a in assignments
                if a.criterion_id in editable
                and can_propose(member.user, assessment, a)
                and may_change_after_deadline(member.user, assessment)
            ]
            if upload or score:
                staff.append({"username": member.user.username, "criteria": upload, "score": score})
        secretary = next((m.user for m in members if m.role == Membership.Role.SECRETARY), None)
        report = None
        if secretary is not None:
            report = assessment.reports.filter(status=Report.Status.DRAFT).first()
            if report is None:
                report = report_create(assessment=assessment, by=secretary)
        communes.append(
            {
                "commune": str(assessment.commune),
                "assessment": assessment.pk,
                "report": report.pk if report else None,
                "staff": staff,
                "leaders": [m.user.username for m in members if m.role == Membership.Role.LEADER],
                "secretaries": [secretary.username] if secretary else [],
            }
        )
    main = next((c for c in communes if c["secretaries"] and c["staff"]), None)
    assert main is not None, "no demo (load_demo)"
    return {**main, "communes": communes}


if __name__ == "__main__" and sys.argv[1:] == ["plan"]:
    print(json.dumps(make_plan()))
    sys.exit(0)

from locust import HttpUser, between, task  # noqa: E402  (the plan above needs no locust)

PLAN = json.loads(Path(os.environ.get("BENCH_PLAN", "var/bench/plan.json")).read_text())
_seed = count(1)
_seed_lock = threading.Lock()


def png() -> bytes:
    """A small real PNG that no other upload repeats (the portal refuses duplicates)."""
    from PIL import Image

    with _seed_lock:
        seed = next(_seed) + os.getpid() * 100_000
    image = Image.frombytes("RGB", (120, 120), random.Random(seed).randbytes(120 * 120 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    username = ""

    def on_start(self) -> None:
        self.client.get("/dang-nhap/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/dang-nhap/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/dang-nhap/"},
            name="log in",
        )

    def post(self, path: str, name: str, **kwargs: object):
        token = self.client.cookies.get("csrftoken", "")
        headers = {"X-CSRFToken": token, "Referer": self.host + path, "Accept": "application/json"}
        return self.client.post(path, headers=headers, name=name, **kwargs)


def commune_with(role: str) -> dict:
    """A commune (at random) that has people in `role` ("staff", "leaders", "secretaries")."""
    return random.choice([c for c in PLAN["communes"] if c[role]])


class Staff(Person):
    """A unit's staff member: opens a sub-criterion, uploads a file to it, saves a score."""

    weight = 4

    def on_start(self) -> None:
        self.commune = commune_with("staff")
        account = random.choice(self.commune["staff"])
        self.username = account["username"]
        self.criteria = account["criteria"]
        self.scores = account["score"]
        super().on_start()

    @task(2)
    def criterion(self) -> None:
        if not self.criteria:
            return
        pk = self.commune["assessment"]
        self.client.get(
            f"/ky-danh-gia/{pk}/tieu-chi/{random.choice(self.criteria)}/", name="sub-criterion"
        )

    @task(1)
    def upload(self) -> None:
        if not self.criteria:
            return
        pk = self.commune["assessment"]
        path = f"/ky-danh-gia/{pk}/minh-chung/tieu-chi/{random.choice(self.criteria)}/tai-len/"
        with self.post(
            path, "upload", files={"files": ("anh.png", png())}, catch_response=True
        ) as response:
            results = response.json().get("results", []) if response.ok else []
            if not results or results[0].get("status") != "stored":
                response.failure(f"not stored: {results or response.status_code}")

    @task(1)
    def score(self) -> None:
        """Open the sub-criterion and save the unit's proposal as a draft (full points, what
        was done). Someone of the same unit may have saved it in between: the portal then
        refuses the stale form and shows the newer one, and the person saves again, as a
        person would (up to three times before it counts as a failure)."""
        if not self.scores:
            return
        pk = self.commune["assessment"]
        target = random.choice(self.scores)
        page_path = f"/ky-danh-gia/{pk}/tieu-chi/{target['criterion']}/"
        fields = {
            "free": {"points": target["max"]},
            "pass_fail": {"passed": "1"},
            "tiers": {"numerator": "1", "denominator": "1"},
        }.get(target["rule"], {"points": target["max"]})
        for attempt in range(3):
            page = self.client.get(page_path, name="sub-criterion")
            found = re.search(r'name="version" value="(\d+)"', page.text)
            if found is None:
                return  # sent meanwhile by a colleague: nothing left to save
            data = {
                "version": found.group(1),
                "result_text": f"Đã thực hiện (lần {next(_seed)}).",
                "action": "save",
                **fields,
            }
            with self.post(
                page_path + "cham-diem/", "score (save draft)", data=data, catch_response=True
            ) as response:
                if "Đã lưu nháp điểm" in response.text:
                    return
                if attempt < 2:
                    response.success()  # refused as stale: the newer form is on the page
                    continue
                response.failure("not saved three times in a row")


class Leader(Person):
    weight = 2

    def on_start(self) -> None:
        self.commune = commune_with("leaders")
        self.username = random.choice(self.commune["leaders"])
        super().on_start()

    @task
    def dashboard(self) -> None:
        self.client.get(f"/ky-danh-gia/{self.commune['assessment']}/tong-quan/", name="dashboard")


class Secretary(Person):
    weight = 1

    def on_start(self) -> None:
        self.commune = commune_with("secretaries")
        self.username = random.choice(self.commune["secretaries"])
        super().on_start()

    @task
    def report_pdf(self) -> None:
        pk, report = self.commune["assessment"], self.commune["report"]
        self.client.get(f"/ky-danh-gia/{pk}/bao-cao/{report}/bao-cao.pdf", name="report PDF")


class Visitor(HttpUser):
    """The trivial page: the login form, anonymous."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def login_page(self) -> None:
        self.client.get("/dang-nhap/", name="login page")
