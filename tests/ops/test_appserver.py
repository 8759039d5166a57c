"""The application server (issue 15 item 1): the health endpoint, request ids and JSON logs,
gunicorn.conf.py, and a real gunicorn that starts, answers and stops with all its processes."""

from __future__ import annotations

import io
import json
import logging
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from logging.config import DictConfigurator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from gunicorn.config import Config

from accounts.services import HAS_DEVICE
from chinhquyen.requestlog import RequestIdFilter
from chinhquyen.staticfiles import StaticFilesStorage
from reports import rendering

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"
HEALTH = "/suc-khoe/"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


# -- health -------------------------------------------------------------------------------------


def test_health_is_ok_public_and_never_cached(client, settings, django_assert_max_num_queries):
    settings.CELERY_BROKER_URL = ""
    with django_assert_max_num_queries(1):
        response = client.get(HEALTH)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "broker": "not configured"},
    }
    assert "no-store" in response["Cache-Control"]
    # The probe file is gone again.
    assert not list(Path(settings.MEDIA_ROOT).rglob("probe-*"))


def test_health_is_503_when_the_storage_fails(client, settings, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    settings.MEDIA_ROOT = not_a_folder  # the documents storage cannot make its folder
    response = client.get(HEALTH)
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "error",
        "checks": {"database": "ok", "storage": "error", "broker": "not configured"},
    }
    assert str(tmp_path) not in response.content.decode()  # no paths, no error texts


def test_health_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_health_pings_the_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    response = client.get(HEALTH)
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


# -- request id and logs ------------------------------------------------------------------------


def test_a_sane_request_id_is_kept_and_another_is_made_otherwise(client):
    assert client.get(HEALTH, HTTP_X_REQUEST_ID="lb-42.a_b")["X-Request-ID"] == "lb-42.a_b"
    for hostile in ["", "a b", "x" * 65, "<script>", "id\u00e9"]:
        made = client.get(HEALTH, HTTP_X_REQUEST_ID=hostile)["X-Request-ID"]
        assert made != hostile and len(made) == 32 and made.isalnum()
    assert client.get(HEALTH)["X-Request-ID"] != client.get(HEALTH)["X-Request-ID"]


def test_the_request_line_is_a_json_object_with_the_request_id(client, settings):
    settings.REQUEST_LOG = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    # The formatter exactly as LOG_FORMAT=json configures it.
    handler.setFormatter(
        DictConfigurator({}).configure_formatter(
            dict(django_settings.LOGGING["formatters"]["json"])
        )
    )
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("portal.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.get(HEALTH, HTTP_X_REQUEST_ID="abc-123")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "abc-123"
    assert line["level"] == "INFO" and line["logger"] == "portal.request"
    assert line["time"].endswith("+00:00")  # ISO 8601 in UTC
    assert (line["method"], line["path"], line["status"]) == ("GET", HEALTH, 200)
    assert isinstance(line["duration_ms"], float)
    # The thread's CPU time: never more than the time the request took.
    assert isinstance(line["cpu_ms"], float) and 0 <= line["cpu_ms"] <= line["duration_ms"] + 1
    assert line["message"] == f"GET {HEALTH} 200"


def test_log_format_json_switches_the_console_and_the_request_log():
    code = (
        "from chinhquyen import settings as s; "
        "print(s.LOGGING['handlers']['console'].get('formatter'), s.REQUEST_LOG)"
    )
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    text = {**env, "LOG_FORMAT": ""}
    as_json = {**env, "LOG_FORMAT": "json"}
    run = subprocess.run
    assert run([sys.executable, "-c", code], env=text, capture_output=True, text=True,
               cwd=ROOT, check=True).stdout.split() == ["None", "False"]  # fmt: skip
    assert run([sys.executable, "-c", code], env=as_json, capture_output=True, text=True,
               cwd=ROOT, check=True).stdout.split() == ["json", "True"]  # fmt: skip


# -- gunicorn -----------------------------------------------------------------------------------


def _load_conf(monkeypatch, **env: str) -> tuple[dict, Config]:
    for name in [n for n in os.environ if n.startswith("WEB_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(CONF))
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn's own validation of each value
    return namespace, config


def test_gunicorn_conf_reads_the_environment(monkeypatch):
    _namespace, config = _load_conf(monkeypatch, WEB_WORKERS="3", WEB_THREADS="2")
    assert config.bind == ["127.0.0.1:8000"]
    assert (config.workers, config.threads) == (3, 2)
    # No keep-alive: connections are not pinned to the worker that accepted them.
    assert config.worker_class_str == "gthread" and config.keepalive == 0
    # A worker takes only what its threads can start: the rest wait in the socket's queue,
    # shared by every worker, instead of behind one worker's busy threads.
    assert config.worker_connections == 2
    assert config.wsgi_app == "chinhquyen.wsgi:application"
    assert config.control_socket_disable
    _namespace, config = _load_conf(monkeypatch)
    assert config.threads == 2  # README "Threads"
    assert config.worker_connections == 2
    _namespace, config = _load_conf(
        monkeypatch,
        WEB_BIND="0.0.0.0:9000",
        WEB_WORKER_CLASS="sync",
        WEB_KEEPALIVE="5",
        WEB_TIMEOUT="30",
        WEB_GRACEFUL_TIMEOUT="10",
    )
    assert config.bind == ["0.0.0.0:9000"]
    assert (config.worker_class_str, config.keepalive) == ("sync", 5)
    assert config.worker_connections == 1000  # kept-alive connections wait on the worker
    assert (config.timeout, config.graceful_timeout) == (30, 10)


def test_a_worker_exiting_stops_its_render_processes(monkeypatch, settings):
    namespace, _config = _load_conf(monkeypatch)
    settings.RENDER_WORKERS = 1
    rendering.warm_up()
    deadline = time.monotonic() + 10
    while not rendering.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = rendering.worker_pids()
    assert pids, "the render worker did not start"
    namespace["worker_exit"](None, None)
    assert rendering.worker_pids() == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        return error


def test_gunicorn_serves_and_stops_with_all_its_processes(tmp_path):
    port = _closed_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_DOCUMENT_CACHE": str(tmp_path / "cache"),
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "LOG_FORMAT": "json",
        "STATIC_BY_WHITENOISE": "1",
        "RENDER_WORKERS": "1",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(CONF)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = _get(base + HEALTH, **{"X-Request-ID": "gunicorn-test-1"})
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        assert response.status == 200
        assert response.headers["X-Request-ID"] == "gunicorn-test-1"
        assert response.headers["Connection"] == "close"  # no keep-alive pinning
        assert json.loads(response.read())["status"] == "ok"
        # WhiteNoise serves the static files (here from the apps' folders, as in DEBUG).
        static = _get(base + "/static/css/portal.css")
        assert static.status == 200 and "text/css" in static.headers["Content-Type"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _out, errors = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert server.returncode == 0, errors
    # Nothing of the server's session is left: no worker, no render process.
    deadline = time.monotonic() + 5
    while True:
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "processes of the server are still running"
        time.sleep(0.1)
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    request_lines = [line for line in lines if line.get("request_id") == "gunicorn-test-1"]
    assert request_lines and request_lines[0]["path"] == HEALTH
    assert request_lines[0]["status"] == 200
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own, in JSON


def test_health_answers_a_person_who_owes_a_second_factor(client, settings, django_user_model):
    """The check is exempt from the second-factor redirect (and from the login)."""
    settings.OTP_ENFORCE = True
    user = django_user_model.objects.create_superuser("quantri-health", password="x" * 12)
    client.force_login(user)
    session = client.session
    session[HAS_DEVICE] = True  # as if the user had an app but gave no code yet
    session.save()
    assert "/tai-khoan/" in client.get("/")["Location"]  # every other page asks for the code
    assert client.get(HEALTH).status_code == 200


def test_the_load_balancer_asks_over_plain_http(client, settings):
    """Production redirects plain HTTP to HTTPS, but not the health check."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get(HEALTH).status_code == 200


class QuickStaticFilesStorage(StaticFilesStorage):
    """The production storage, compressing one file only (all of them take about half a
    minute of CPU, Brotli's)."""

    def compress_files(self, paths):
        return super().compress_files([path for path in paths if path.startswith("css/portal.")])


def test_collectstatic_works_with_the_production_storage(settings, tmp_path):
    """Every static file, the vendored ones too, gets its hashed copy in the manifest."""
    settings.STATIC_ROOT = tmp_path
    settings.STATICFILES_DIRS = [ROOT / "static"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": f"{__name__}.QuickStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert manifest["css/portal.css"].startswith("css/portal.")
    assert manifest["vendor/bootstrap/bootstrap.bundle.min.js"] != (
        "vendor/bootstrap/bootstrap.bundle.min.js"
    )
    hashed = manifest["css/portal.css"]
    assert (tmp_path / f"{hashed}.gz").exists()
