"""The deployment files run the processes of one list (deploy/Procfile): each systemd unit
starts `deploy/run <process>` for a process the list names, and deploy/run refuses others."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_every_unit_runs_a_process_of_the_list():
    processes = procfile()
    assert set(processes) == {"web", "worker", "beat"}
    assert "gunicorn.conf.py" in processes["web"]
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(unit, encoding="utf-8")
        start = parser["Service"]["ExecStart"].split()
        assert start[0].endswith("/deploy/run"), unit.name
        assert start[1] in processes, unit.name
        assert parser["Service"]["EnvironmentFile"], unit.name


def test_run_refuses_a_process_not_in_the_list():
    result = subprocess.run(
        [str(DEPLOY / "run"), "nosuch"], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 2
    assert "no process 'nosuch'" in result.stderr


def test_nginx_passes_the_request_id_and_the_protocol():
    conf = (DEPLOY / "nginx" / "cqtt.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Request-ID $request_id;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_request_buffering off;" in conf
