"""The JSON API against a real ``radiomix app`` process."""

from __future__ import annotations

import httpx


def test_health(app_server):
    r = httpx.get(app_server.base + "/api/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
