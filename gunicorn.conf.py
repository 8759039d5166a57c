"""gunicorn's configuration for the portal: `gunicorn -c gunicorn.conf.py` (`make serve`).

Everything comes from environment variables (README, "Production"; production.env.example):

WEB_BIND            address:port to listen on (127.0.0.1:8000; nginx or HAProxy in front)
WEB_WORKERS         worker processes (2 × CPUs + 1, at most 8): each has its own PDF render
                    process when RENDER_WORKERS=1 (about 80 MB more each)
WEB_THREADS         request threads per worker (4 with gthread, 1 otherwise)
WEB_WORKER_CLASS    gunicorn's worker class (gthread; "sync" = one request per process)
WEB_KEEPALIVE       seconds an idle client connection is kept open (0 = closed after each
                    response)
WEB_CONNECTIONS     connections a worker takes at once (its threads when WEB_KEEPALIVE is 0,
                    else 1,000): see "Queueing" below
WEB_TIMEOUT         seconds a worker may stay silent before it is restarted (120)
WEB_GRACEFUL_TIMEOUT seconds running requests get to finish on SIGTERM or a restart (30)
WEB_MAX_REQUESTS    restart a worker after this many requests (0 = never), with jitter
WEB_CONTROL_SOCKET  path of gunicorn's control socket (none by default)
WEB_LOG_LEVEL       gunicorn's own messages (info)

Keep-alive. gunicorn's threaded worker keeps an idle keep-alive connection on the worker
that accepted it, so a client (or a proxy) that reuses its connections stays on one worker:
measured with 2 workers × 4 threads, one worker served everything and the other idled
(29.8 instead of 63 requests/s). WEB_KEEPALIVE is therefore 0: the connection closes after
each response, and every new request is accepted by whichever worker is free. The front
server keeps the browsers' connections alive on its side (nginx speaks HTTP/1.0 without
keep-alive to its upstream by default), so nothing is lost. A worker class that never keeps
connections ("sync") behaves the same; raising WEB_KEEPALIVE brings the pinning back.

Queueing. gunicorn lets each threaded worker accept up to 1,000 connections, more than its
threads can serve: a request accepted by a worker whose threads are all busy waits there,
even when another worker is idle. Without keep-alive, WEB_CONNECTIONS defaults to the
threads, so a worker accepts only what it can start at once and the rest wait in the listening
socket's queue, which every worker shares: the first free thread of any worker takes the
next request. (With keep-alive an idle kept connection counts too, so the default stays
gunicorn's.)

Graceful shutdown. On SIGTERM gunicorn stops accepting, lets running requests finish within
WEB_GRACEFUL_TIMEOUT, and each worker on its way out stops its PDF render processes
(reports/rendering.py `shutdown()`, in the worker_exit hook below), so none outlives the
server.
"""

import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "chinhquyen.wsgi:application"
bind = [address.strip() for address in os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")]
workers = _int("WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread").strip() or "gthread"
# More than one thread makes gunicorn use gthread whatever the class, so "sync" gets one.
# Two, not more: the threads of a worker share one interpreter lock, so a third or fourth
# request in one worker runs at a fraction of the speed while another worker may idle; with
# few threads the next request waits in the socket's queue for the first free worker
# (README "Threads", measured in bench/deadline.py).
threads = _int("WEB_THREADS", 2 if worker_class == "gthread" else 1)
keepalive = _int("WEB_KEEPALIVE", 0)
# Without keep-alive, a worker takes only as many connections as it has threads: the next
# request waits in the socket's queue, shared by every worker, for the first free thread of
# any of them, instead of queueing inside a worker whose threads are all busy (gunicorn's
# default lets each worker take 1,000).
worker_connections = _int("WEB_CONNECTIONS", threads if keepalive == 0 else 1000)
timeout = _int("WEB_TIMEOUT", 120)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
max_requests = _int("WEB_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# The portal logs each request itself (chinhquyen/requestlog.py, with its request id);
# gunicorn's own messages go to stderr, as JSON lines when LOG_FORMAT=json.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC, as the portal's lines
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {
                "handlers": ["console"],
                "level": loglevel.upper(),
                "propagate": False,
            }
        },
    }
# gunicorn's runtime control socket is off unless WEB_CONTROL_SOCKET names a path for it (two
# servers on one machine would otherwise share the default ~/.gunicorn/gunicorn.ctl).
if control_path := os.environ.get("WEB_CONTROL_SOCKET", "").strip():
    control_socket = control_path
else:
    control_socket_disable = True
# X-Forwarded-* are read by the portal only (DJANGO_SECURE_PROXY_SSL_HEADER,
# TRUSTED_PROXY_COUNT): gunicorn does not turn them into the request's scheme.
secure_scheme_headers: dict[str, str] = {}


def post_worker_init(worker):
    """Load what the first request of each worker would otherwise pay for (the object
    store's client) before it takes requests."""
    from guards.storage import warm_up  # noqa: PLC0415  (Django is set up in the worker)

    warm_up()


def worker_exit(server, worker):
    """Stop this worker's PDF render processes (only if it ever started them)."""
    rendering = sys.modules.get("reports.rendering")
    if rendering is not None:
        rendering.shutdown()
