"""Tokens, cookies, upload limits and the bind rule of ``radiomix app``."""

from __future__ import annotations

import httpx
import pytest

from radiomix.cli.main import main
from tests.app.conftest import TOKEN


@pytest.fixture(scope="module")
def base(app_server_token):
    return app_server_token.base


@pytest.mark.parametrize("path", ["/api/health", "/api/model", "/", "/static/index.html"])
def test_no_token_is_401(base, path):
    r = httpx.get(base + path)
    assert r.status_code == 401 and set(r.json()) == {"error"}
    assert r.headers["www-authenticate"] == "Bearer"


def test_wrong_token_is_401(base):
    r = httpx.get(base + "/api/model", headers={"Authorization": "Bearer not-the-token"})
    assert r.status_code == 401
    r = httpx.post(base + "/api/segment", headers={"Authorization": "Bearer x"}, files={})
    assert r.status_code == 401
    assert httpx.get(base + "/?token=wrong-token-xyz").status_code == 401
    r = httpx.get(base + "/api/model", cookies={"radiomix_app": "forged"})
    assert r.status_code == 401


def test_bearer_token_authorises(base):
    r = httpx.get(base + "/api/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_opening_the_page_with_the_token_sets_an_httponly_cookie(base):
    r = httpx.get(base + f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    with httpx.Client(base_url=base) as c:
        c.get(f"/?token={TOKEN}")
        assert c.get("/api/model").status_code == 200


def test_upload_over_the_limit_is_413(base, app_server_token):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024)  # the token server allows 2 MB
    r = httpx.post(base + "/api/segment", headers=auth, files={"image": big}, data={"seed": "1,1"})
    assert r.status_code == 413 and "MB" in r.json()["error"]

    def chunks():  # no Content-Length: counted while read
        body = b"--b\r\nContent-Disposition: form-data; name=image; filename=x\r\n\r\n"
        yield body
        for _ in range(30):
            yield b"\x00" * (128 * 1024)
        yield b"\r\n--b--\r\n"

    headers = {**auth, "Content-Type": "multipart/form-data; boundary=b"}
    r = httpx.post(base + "/api/segment", headers=headers, content=chunks())
    assert r.status_code == 413
    assert httpx.get(base + "/api/health", headers=auth).status_code == 200


def test_binding_beyond_loopback_needs_a_token(app_run_dir, capsys):
    assert main(["app", str(app_run_dir), "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "--token" in err and "network" in err
    assert main(["app", str(app_run_dir), "--host", "0.0.0.0", "--token", "short"]) == 2


def test_a_port_in_use_or_a_missing_run_is_exit_status_2(app_run_dir, app_server, capsys, tmp_path):
    port = app_server.base.rsplit(":", 1)[1]
    assert main(["app", str(app_run_dir), "--port", port]) == 2
    assert "could not serve" in capsys.readouterr().err
    assert main(["app", str(tmp_path / "no-run")]) == 2
    assert "model.joblib" in capsys.readouterr().err


def test_the_token_may_come_from_the_environment(app_run_dir, monkeypatch, capsys):
    monkeypatch.setenv("RADIOMIX_APP_TOKEN", "short")
    assert main(["app", str(app_run_dir), "--host", "0.0.0.0"]) == 2  # taken, then checked
    assert "8 characters" in capsys.readouterr().err


def test_export_needs_the_token_and_names_the_download_itself(base, busi_case):
    image, mask = busi_case
    files = {"image": ("../../etc/x.png", image.read_bytes()), "mask": mask.read_bytes()}
    r = httpx.post(base + "/api/export/mask", files=files, data={"format": "nifti"})
    assert r.status_code == 401
    r = httpx.post(
        base + "/api/export/mask",
        files=files,
        data={"format": "nifti"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="outline.nii.gz"'
