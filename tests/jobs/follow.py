"""Following a request that starts a job to its end, as a browser does (no broker: the job
runs at the commit, which a test's transaction only has when the callbacks are captured)."""

from __future__ import annotations

MAX_HOPS = 4


def through_job(client, url: str, capture, **headers):
    """GET `url`; if it starts a job, run the job and follow the redirects to what it gives."""
    with capture(execute=True):
        response = client.get(url, headers=headers)
    hops = 0
    while response.status_code == 302 and hops < MAX_HOPS:
        hops += 1
        response = client.get(response["Location"], headers=headers)
    return response
