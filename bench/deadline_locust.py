"""Deadline day, for locust (issue 15 item 8): the communes' staff upload evidence and open
their sub-criteria, leaders open the dashboard, secretaries download the report's PDF, and
anonymous visitors open the login page (the trivial page every other is compared with).

Run by bench/deadline.py against the embedded portal and the cluster, same users and time:

    locust -f bench/deadline_locust.py --headless --host http://127.0.0.1:8300 -u 20 -r 5 -t 30s

The accounts and targets come from the portal's own database (`python bench/deadline_locust.py
plan` with the portal's environment prints them as JSON; BENCH_PLAN names that file): the
demo's staff with the sub-criteria each may upload to, its leaders and its secretary, and the
draft report whose PDF the secretaries ask for. Every account's password is load_demo's.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import threading
from itertools import count
from pathlib import Path

PASSWORD = "demo12345"


def make_plan() -> dict:
    """The accounts and targets of xã Nghi Dương, from the database of the environment."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyen.settings")
    import django

    django.setup()
    from assessments.access import upload_refusal
    from assessments.models import Assessment, Assignment, Membership
    from reports.models import Report
    from reports.services.drafting import report_create

    assessment = Assessment.objects.filter(commune__name="Nghi Dương").order_by("-year").first()
    assert assessment is not None, "no demo (load_demo)"
    members = list(
        Membership.objects.filter(commune=assessment.commune).select_related("user", "unit")
    )
    assignments = list(
        Assignment.objects.filter(assessment=assessment)
        .select_related("criterion", "lead_unit")
        .prefetch_related("supporting_units")
    )
    staff = []
    for member in members:
        if member.role != Membership.Role.STAFF:
            continue
        allowed = [
            a.criterion_id for a in assignments if not upload_refusal(member.user, assessment, a)
        ]
        if allowed:
            staff.append({"username": member.user.username, "criteria": allowed})
    secretary = next(m.user for m in members if m.role == Membership.Role.SECRETARY)
    report = assessment.reports.filter(status=Report.Status.DRAFT).first()
    if report is None:
        report = report_create(assessment=assessment, by=secretary)
    return {
        "assessment": assessment.pk,
        "report": report.pk,
        "staff": staff,
        "leaders": [m.user.username for m in members if m.role == Membership.Role.LEADER],
        "secretaries": [secretary.username],
    }


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


class Staff(Person):
    """A unit's staff member: opens a sub-criterion, uploads a file to it."""

    weight = 4

    def on_start(self) -> None:
        account = random.choice(PLAN["staff"])
        self.username = account["username"]
        self.criteria = account["criteria"]
        super().on_start()

    @task(2)
    def criterion(self) -> None:
        pk = PLAN["assessment"]
        self.client.get(
            f"/ky-danh-gia/{pk}/tieu-chi/{random.choice(self.criteria)}/", name="sub-criterion"
        )

    @task(1)
    def upload(self) -> None:
        pk = PLAN["assessment"]
        path = f"/ky-danh-gia/{pk}/minh-chung/tieu-chi/{random.choice(self.criteria)}/tai-len/"
        with self.post(
            path, "upload", files={"files": ("anh.png", png())}, catch_response=True
        ) as response:
            results = response.json().get("results", []) if response.ok else []
            if not results or results[0].get("status") != "stored":
                response.failure(f"not stored: {results or response.status_code}")


class Leader(Person):
    weight = 2

    def on_start(self) -> None:
        self.username = random.choice(PLAN["leaders"])
        super().on_start()

    @task
    def dashboard(self) -> None:
        self.client.get(f"/ky-danh-gia/{PLAN['assessment']}/tong-quan/", name="dashboard")


class Secretary(Person):
    weight = 1

    def on_start(self) -> None:
        self.username = random.choice(PLAN["secretaries"])
        super().on_start()

    @task
    def report_pdf(self) -> None:
        pk, report = PLAN["assessment"], PLAN["report"]
        self.client.get(f"/ky-danh-gia/{pk}/bao-cao/{report}/bao-cao.pdf", name="report PDF")


class Visitor(HttpUser):
    """The trivial page: the login form, anonymous."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def login_page(self) -> None:
        self.client.get("/dang-nhap/", name="login page")
