"""The cluster test's scenario (scripts/cluster test): people's requests through the balancer
(nginx, --base) and straight to each node (--node-a, --node-b), against the cluster that
`scripts/cluster up` started. What was stored is read back from the cluster's own database and
bucket (its environment file, --env) with the portal's models.

Steps: log in; upload on node A, download through node B; issue and sign (rendering in the
worker once issuing is a job); build the dossier and download it; stop node A in the middle of
an upload storm (every accepted upload is kept, nginx sends the rest to node B); kill the
worker during a dossier (the job is retried and finishes once). Each step prints its time; any
failure ends the run with exit status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import re
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo12345"  # load_demo's password for every account
COMMUNE = "Nghi Dương"
JOB_TIMEOUT = 180  # seconds a job may take before the step fails
STORM_UPLOADS = 24
STORM_THREADS = 4

STARTED = time.monotonic()


class Failure(Exception):
    """A step's check did not hold."""


def say(message: str) -> None:
    print(f"--- [{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failure(message)


def cluster(*args: str) -> None:
    """scripts/cluster start|stop|kill PROCESS: the process management of `up`, one place."""
    subprocess.run(["bash", str(ROOT / "scripts" / "cluster"), *args], check=True)


def load_env(path: Path) -> None:
    """The cluster's environment file (KEY=value lines, as systemd reads it), then Django."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            os.environ[key] = value
    os.environ["DJANGO_SETTINGS_MODULE"] = "chinhquyen.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# -- a person's browser ----------------------------------------------------------------------------
class Browser:
    """A requests session that logs in with the login form and posts forms with the CSRF
    token, against one address (the balancer or a node); the session works on every node."""

    def __init__(self, base: str, session: requests.Session | None = None) -> None:
        self.base = base
        self.session = session or requests.Session()

    def on(self, base: str) -> Browser:
        """The same person (same cookies) talking to another address."""
        return Browser(base, self.session)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.get(self.url(path), timeout=60, **kwargs)  # type: ignore[arg-type]

    def post(
        self, path: str, data: dict | None = None, headers: dict | None = None, **kwargs: object
    ) -> requests.Response:
        token = self.session.cookies.get("csrftoken") or ""
        if not token:
            self.get("/dang-nhap/")
            token = self.session.cookies.get("csrftoken") or ""
        payload = {"csrfmiddlewaretoken": token, **(data or {})}
        headers = {"X-CSRFToken": token, "Referer": self.url(path), **(headers or {})}
        return self.session.post(
            self.url(path),
            data=payload,
            headers=headers,
            timeout=120,
            **kwargs,  # type: ignore[arg-type]
        )

    def log_in(self, username: str) -> None:
        self.session.cookies.clear()
        self.get("/dang-nhap/")
        response = self.post("/dang-nhap/", {"username": username, "password": PASSWORD})
        check(response.ok, f"login of {username}: HTTP {response.status_code}")
        check(
            "/dang-nhap/" not in urlsplit(response.url).path,
            f"login of {username} refused: {errors_of(response.text)}",
        )

    def until_done(self, response: requests.Response, what: str) -> requests.Response:
        """Follow a job: a response that landed on /tac-vu/<id>/ is asked again until the job
        sends to its result (done) or shows a failed card."""
        deadline = time.monotonic() + JOB_TIMEOUT
        while urlsplit(response.url).path.startswith("/tac-vu/"):
            state = job_state(response.text)
            check(state != "failed", f"{what}: the job failed: {errors_of(response.text)}")
            if state == "done":  # a file result stays on its page
                return response
            check(time.monotonic() < deadline, f"{what}: the job did not end in {JOB_TIMEOUT} s")
            time.sleep(0.5)
            response = self.get(response.url)
        return response


def job_state(html: str) -> str:
    match = re.search(r'data-testid="job"[^>]*data-state="([a-z]+)"', html)
    return match.group(1) if match else ""


def errors_of(html: str) -> str:
    found = re.findall(r'class="[^"]*alert-danger[^"]*"[^>]*>(.*?)</', html, re.S)
    return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", f).split()) for f in found) or "(none)"


def png(seed: int, size: int = 200) -> bytes:
    """A real, uncompressible PNG of its own (random pixels): never a duplicate of another."""
    from PIL import Image

    image = Image.frombytes("RGB", (size, size), random.Random(seed).randbytes(size * size * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# -- the steps ------------------------------------------------------------------------------------
class Scenario:
    def __init__(self, base: str, node_a: str, node_b: str) -> None:
        from django.contrib.auth import get_user_model

        from assessments.access import upload_refusal
        from assessments.models import Assessment, Assignment

        self.base, self.node_a, self.node_b = base, node_a, node_b
        self.assessment = (
            Assessment.objects.filter(commune__name=COMMUNE).order_by("-year", "-pk").first()
        )
        check(self.assessment is not None, f"no assessment of {COMMUNE} (load_demo)")
        secretary = get_user_model().objects.get(username="vanthu")
        self.criteria = [
            a.criterion_id
            for a in Assignment.objects.filter(assessment=self.assessment)
            .select_related("criterion", "lead_unit")
            .prefetch_related("supporting_units")
            .order_by("criterion__code")
            if not upload_refusal(secretary, self.assessment, a)
        ]
        check(len(self.criteria) >= 3, "the secretary may upload to fewer than 3 sub-criteria")
        self.seed = 0

    def upload(self, browser: Browser, criterion_pk: int, data: bytes) -> requests.Response:
        self.seed += 1
        return browser.post(
            f"/ky-danh-gia/{self.assessment.pk}/minh-chung/tieu-chi/{criterion_pk}/tai-len/",
            files={"files": (f"anh-{hashlib.sha256(data).hexdigest()[:8]}.png", data)},
            headers={"Accept": "application/json"},
        )

    def upload_and_download(self) -> None:
        from evidence.models import EvidenceFile

        say("Log in as the secretary through the balancer")
        person = Browser(self.base)
        person.log_in("vanthu")
        say("Upload on node A, download through node B")
        data = png(1)
        response = self.upload(person.on(self.node_a), self.criteria[0], data)
        check(response.status_code == 200, f"upload on node A: HTTP {response.status_code}")
        result = response.json()["results"][0]
        check(result["status"] == "stored", f"upload on node A: {result}")
        record = EvidenceFile.objects.filter(evidence_id=result["id"]).latest("pk")
        download = person.on(self.node_b).get(
            f"/ky-danh-gia/{self.assessment.pk}/minh-chung/tep/{record.pk}/"
        )
        check(download.status_code == 200, f"download on node B: HTTP {download.status_code}")
        check(download.content == data, "node B sent other bytes than node A stored")
        say(f"  {result['code']}: {len(data)} bytes stored by A, the same bytes read from B")

    def issue_sign_dossier(self) -> None:
        from reports.demo.signing import DEMO_PASSPHRASE  # make_test_pki's keys
        from reports.models import Dossier, Report, SigningKey

        pk = self.assessment.pk
        secretary, leader = Browser(self.base), Browser(self.base)
        secretary.log_in("vanthu")
        leader.log_in("lanhdao")

        say("Create the draft report (secretary)")
        response = secretary.post(f"/ky-danh-gia/{pk}/bao-cao/")
        response = secretary.until_done(response, "draft report")
        match = re.search(rf"/ky-danh-gia/{pk}/bao-cao/(\d+)/", response.url)
        check(match, f"draft report: landed on {response.url}: {errors_of(response.text)}")
        report_pk = int(match.group(1))

        say("Issue it (the leader, as not every score is approved yet: with a reason)")
        response = leader.post(
            f"/ky-danh-gia/{pk}/bao-cao/{report_pk}/ban-hanh/",
            {"override_reason": "Thử cụm máy chủ: ban hành khi còn tiêu chí chưa duyệt."},
        )
        in_worker = any("/tac-vu/" in r.headers.get("Location", "") for r in response.history)
        response = leader.until_done(response, "issuing")
        check(
            response.url.endswith(f"/bao-cao/{report_pk}/da-ban-hanh/"),
            f"issuing: landed on {response.url}: {errors_of(response.text)}",
        )
        report = Report.objects.get(pk=report_pk)
        check(report.status == Report.Status.ISSUED, f"issuing: report is {report.status}")
        where = "in the worker" if in_worker else "in the request (issuing is not a job yet)"
        say(f"  issued {report.number_text}, rendered {where}")

        keys = SigningKey.objects.filter(commune=self.assessment.commune)
        for browser, step, key, text in (
            (leader, "person", keys.get(owner__isnull=False), "đã ký số"),
            (secretary, "organisation", keys.get(owner__isnull=True), "Đã đóng dấu"),
        ):
            say(f"Sign: {step}")
            response = browser.post(
                f"/ky-danh-gia/{pk}/bao-cao/{report_pk}/ky-so/",
                {
                    "step": step,
                    "key": str(key.pk),
                    "secret": DEMO_PASSPHRASE,
                    "confirm": "on",
                },
            )
            response = browser.until_done(response, f"signing ({step})")
            check(text in response.text, f"signing ({step}): {errors_of(response.text)}")

        say("Build the dossier (secretary) and download it")
        before = Dossier.objects.filter(report_id=report_pk).count()
        response = secretary.post(f"/ky-danh-gia/{pk}/bao-cao/{report_pk}/ho-so/")
        response = secretary.until_done(response, "dossier")
        check(
            Dossier.objects.filter(report_id=report_pk).count() == before + 1,
            f"dossier: none was built: {errors_of(response.text)}",
        )
        dossier = Dossier.objects.filter(report_id=report_pk).latest("pk")
        link = f"/ky-danh-gia/{pk}/bao-cao/{report_pk}/ho-so/{dossier.pk}/"
        check(link in response.text, "dossier: the issued page has no link to it")
        download = secretary.get(link)
        check(download.status_code == 200, f"dossier download: HTTP {download.status_code}")
        check(
            hashlib.sha256(download.content).hexdigest() == dossier.sha256,
            "dossier download: not the stored file",
        )
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            names = archive.namelist()
        check(names and names[0].startswith("01-bao-cao-so-"), f"dossier contents: {names[:3]}")
        say(f"  dossier: {len(download.content)} bytes, {len(names)} files, SHA-256 matches")
        self.report_pk = report_pk
        self.secretary = secretary

    def storm_with_a_node_stopped(self, log: Path) -> None:
        """STORM_UPLOADS uploads in STORM_THREADS threads through nginx; node A is stopped
        (SIGTERM, graceful) when half have been answered. Every upload answered "stored" must be
        in the database and the bucket; one that failed is reported and sent again."""
        from evidence.models import EvidenceFile

        say(f"Upload storm: {STORM_UPLOADS} uploads, {STORM_THREADS} at a time, via nginx")
        files = [png(1000 + i, size=300) for i in range(STORM_UPLOADS)]
        local = threading.local()
        answered = 0
        lock = threading.Lock()
        half = threading.Event()
        log_start = log.stat().st_size if log.exists() else 0

        def send(index: int) -> tuple[int, str, object]:
            nonlocal answered
            if not hasattr(local, "browser"):
                local.browser = Browser(self.base)
                local.browser.log_in("vanthu")
            try:
                response = self.upload(local.browser, self.criteria[index % 3], files[index])
                outcome: object = (
                    response.json()["results"][0]
                    if response.status_code == 200
                    else f"HTTP {response.status_code}"
                )
            except (requests.RequestException, ValueError) as error:
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                answered += 1
                if answered >= STORM_UPLOADS // 2:
                    half.set()
            return index, hashlib.sha256(files[index]).hexdigest(), outcome

        with ThreadPoolExecutor(STORM_THREADS) as pool:
            futures = [pool.submit(send, i) for i in range(STORM_UPLOADS)]
            half.wait(timeout=120)
            say("  half answered: stopping node A (SIGTERM, graceful)")
            stopped_at = time.monotonic()
            cluster("stop", "web-a")
            say(f"  node A stopped in {time.monotonic() - stopped_at:.1f} s")
            results = [f.result() for f in futures]

        stored = [
            (i, digest, o)
            for i, digest, o in results
            if isinstance(o, dict) and o.get("status") == "stored"
        ]
        failed = [
            (i, o)
            for i, _, o in results
            if not (isinstance(o, dict) and o.get("status") == "stored")
        ]
        for index, outcome in failed:
            say(f"  upload {index} not accepted: {outcome}; sending it again")
            retry = Browser(self.base)
            retry.log_in("vanthu")
            response = self.upload(retry, self.criteria[index % 3], files[index])
            check(response.status_code == 200, f"upload {index} again: HTTP {response.status_code}")
            outcome = response.json()["results"][0]
            check(outcome["status"] == "stored", f"upload {index} again: {outcome}")
            stored.append((index, hashlib.sha256(files[index]).hexdigest(), outcome))

        say(f"  {len(results) - len(failed)} accepted at once, {len(failed)} sent again")
        for index, digest, outcome in stored:
            record = EvidenceFile.objects.filter(evidence_id=outcome["id"]).latest("pk")
            check(record.sha256 == digest, f"upload {index}: stored with another SHA-256")
            with record.file.open("rb") as handle:
                check(
                    hashlib.sha256(handle.read()).hexdigest() == digest,
                    f"upload {index}: the bucket holds other bytes",
                )
        check(len(stored) == STORM_UPLOADS, "some uploads are missing")
        say(f"  all {STORM_UPLOADS} uploads are in the database and the bucket, bytes intact")

        # nginx's access log (scripts/cluster's format): which node answered each upload.
        lines = log.read_bytes()[log_start:].decode().splitlines()
        tried = [
            re.search(r'up="([^"]*)"', line).group(1).split(", ")  # type: ignore[union-attr]
            for line in lines
            if "/tai-len/" in line
        ]
        a, b = (f"127.0.0.1:{urlsplit(n).port}" for n in (self.node_a, self.node_b))
        on_a = sum(1 for nodes in tried if nodes[-1] == a)
        on_b = sum(1 for nodes in tried if nodes[-1] == b)
        passed_on = sum(1 for nodes in tried if nodes == [a, b])
        say(f"  nginx: {on_a} uploads answered by A, {on_b} by B, {passed_on} passed from A to B")
        check(on_b > 0, "nginx sent no upload to node B")
        health = requests.get(self.base + "/suc-khoe/", timeout=10)
        check(
            health.status_code == 200,
            f"health through nginx with node A down: {health.status_code}",
        )

        say("Start node A again")
        cluster("start", "web-a")
        check(requests.get(self.node_a + "/suc-khoe/", timeout=10).ok, "node A: no health")

    def kill_the_worker_during_a_dossier(self) -> None:
        from jobs.models import Job
        from reports.models import Dossier

        say("Kill the worker during a dossier")
        path = f"/ky-danh-gia/{self.assessment.pk}/bao-cao/{self.report_pk}/ho-so/"
        for attempt in range(3):
            before = Dossier.objects.filter(report_id=self.report_pk).count()
            response = self.secretary.post(path, allow_redirects=False)
            location = response.headers.get("Location", "")
            if not urlsplit(location).path.startswith("/tac-vu/"):
                print("SKIPPED (dossier not in worker yet)", flush=True)
                return
            job_id = urlsplit(location).path.split("/")[2]
            deadline = time.monotonic() + 60
            while (state := Job.objects.get(pk=job_id).state) == Job.State.QUEUED:
                check(time.monotonic() < deadline, "the dossier job never started")
                time.sleep(0.02)
            if state != Job.State.RUNNING:
                say(f"  the job was {state} before the kill; again ({attempt + 1}/3)")
                continue
            cluster("kill", "worker")
            say("  worker killed (SIGKILL) while the job ran; starting a new one")
            cluster("start", "worker")
            self.secretary.until_done(self.secretary.get(location), "dossier after the kill")
            job = Job.objects.get(pk=job_id)
            check(job.state == Job.State.DONE, f"dossier job: {job.state} {job.error}")
            check(job.attempts >= 2, f"dossier job ran {job.attempts} time(s), not retried")
            built = Dossier.objects.filter(report_id=self.report_pk).count() - before
            check(built == 1, f"the retried job built {built} dossiers, not one")
            say(f"  retried: done after {job.attempts} attempts, one dossier built")
            return
        raise Failure("the dossier job ended before the worker could be killed, 3 times")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", type=Path, required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--node-a", required=True)
    parser.add_argument("--node-b", required=True)
    args = parser.parse_args()
    load_env(args.env)
    scenario = Scenario(args.base, args.node_a, args.node_b)
    try:
        scenario.upload_and_download()
        # Before issuing: an issued report freezes the assessment, and uploads stop.
        scenario.storm_with_a_node_stopped(args.env.parent / "nginx-access.log")
        scenario.issue_sign_dossier()
        scenario.kill_the_worker_during_a_dossier()
    except Failure as failure:
        say(f"FAILED: {failure}")
        return 1
    say("Scenario passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
