"""The web app's HTTP face: FastAPI routes over :class:`~radiomix.app.service.AppService`.

Routes
------
``GET /``                 the page (``static/index.html``); ``/?token=TOKEN`` sets the cookie
``GET /static/...``       the page's files
``GET /api/health``       ``{"status": "ok"}``
``GET /api/model``        the model card
``POST /api/segment``     multipart ``image`` + ``box`` or ``seed`` -> PNG mask (0/255)
``POST /api/predict``     multipart ``image`` + one of ``mask`` / ``box`` / ``seed`` -> JSON
``POST /api/preview``     multipart ``image`` [+ ``slice``, ``window=lo,hi``] -> one slice as
                          an 8-bit PNG (JSON)
``POST /api/export/mask`` multipart ``image`` + ``mask`` + ``format`` (``nifti``, ``nrrd``,
                          ``png``, ``dicom-seg``) [+ ``slice``] -> the outline as a download

``box`` and ``seed`` on a 3D image need ``slice=K`` (0-based): the outline is drawn on it; a
2D ``mask`` with ``slice=K`` is placed on slice K of an otherwise empty volume mask.

Every error is ``{"error": "one sentence"}`` with a 4xx status; an unexpected failure is a
500 with the same form and no traceback (the traceback goes to the server log, without any
image content). With a token, every request but ``/?token=TOKEN`` needs
``Authorization: Bearer TOKEN`` or the HttpOnly cookie that URL sets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from radiomix.app.service import AppService, Upload
from radiomix.errors import RadiomixError, RequestError

__all__ = ["COOKIE", "create_app"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: the cookie that carries the (hashed) token after ``/?token=TOKEN``
COOKIE = "radiomix_app"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: at most this many multipart parts per request (image, mask, box, seed and slack)
_MAX_PARTS = 8


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


class _Audit:
    """Append-only JSON lines: time, model id, endpoint, input SHA-256, the answer."""

    def __init__(self, path: Path, model_id: str) -> None:
        self.path = path
        self.model_id = model_id
        self._lock = threading.Lock()

    def write(self, endpoint: str, inputs: dict[str, Any], status: int, answer: Any) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "model_id": self.model_id,
            "endpoint": endpoint,
            "inputs": inputs,
            "status": status,
            "answer": answer,
        }
        line = json.dumps(record, default=str) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with Path(self.path).open("a", encoding="utf-8") as fd:
                    fd.write(line)
                self.path.chmod(0o600)
        except OSError as exc:
            log.warning("audit log %s not written: %s", self.path, exc)


def create_app(
    run_dir: str | Path,
    *,
    token: str | None = None,
    max_upload_mb: float = 50,
    audit_log: str | Path | None = None,
    model: str | None = None,
    allowed_hosts: set[str] | None = None,
    workers: int | None = None,
) -> FastAPI:
    """The web app for the model of ``run_dir``.

    Parameters
    ----------
    run_dir : path
        Run directory of ``radiomix train`` / ``radiomix study``.
    token : str, optional
        When given, every request needs ``Authorization: Bearer TOKEN`` or the cookie set by
        opening ``/?token=TOKEN``.
    max_upload_mb : float
        Largest request body, in MiB (413 above it).
    audit_log : path, optional
        JSON lines audit file (default ``RUN_DIR/app-audit.jsonl``).
    model : str, optional
        A comparator instead of the primary model.
    allowed_hosts : set of str, optional
        Host names accepted in the ``Host`` header without a token (default: the loopback
        names): a page from another site reached through DNS rebinding is refused.
    workers : int, optional
        Requests computed at once (default: the number of CPUs).

    Raises
    ------
    ModelBundleError
        ``run_dir`` holds no usable model.
    """
    import os

    service = AppService(run_dir, model=model)
    threading.Thread(target=service.warm_up, name="radiomix-warm-up", daemon=True).start()
    limit = int(max_upload_mb * 1024 * 1024)
    audit = _Audit(
        Path(audit_log) if audit_log else Path(run_dir) / "app-audit.jsonl", service.model_id
    )
    cookie_value = hashlib.sha256(f"radiomix-app|{token}".encode()).hexdigest() if token else None
    hosts = {h.lower() for h in (allowed_hosts or set())} | _LOCAL_HOSTS
    limiter = anyio.CapacityLimiter(workers or os.cpu_count() or 2)

    app = FastAPI(title="radiomix", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.state.audit = audit

    def authorised(request: Request) -> bool:
        if token is None or cookie_value is None:
            return True
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(
            auth[7:].strip().encode(), token.encode()
        ):
            return True
        got = request.cookies.get(COOKIE) or ""
        return bool(got) and hmac.compare_digest(got.encode(), cookie_value.encode())

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if token is None:
            host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
            if host not in hosts:
                return _error(
                    400,
                    f"host {host!r} is not served: open the app at http://127.0.0.1 (start it "
                    "with --token to serve other addresses)",
                )
        path = request.url.path
        opening = path == "/" and "token" in request.query_params
        if not opening and not authorised(request):
            return _error(
                401,
                "missing or wrong token: send 'Authorization: Bearer TOKEN' or open the page at "
                "/?token=TOKEN",
                **{"WWW-Authenticate": "Bearer"},
            )
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is not None:
                try:
                    n = int(length)
                except ValueError:
                    return _error(400, "the Content-Length header is not a number")
                if n > limit:
                    return _error(413, _too_large(limit))
        try:
            return await call_next(request)
        except Exception:  # never a traceback to the client
            log.exception("unexpected error serving %s %s", request.method, path)
            return _error(500, "the server failed on this request (see its log); it is still up")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {
            404: f"no such page or API: {request.url.path}",
            405: f"{request.method} is not allowed on {request.url.path}",
        }
        message = messages.get(exc.status_code) or str(exc.detail)
        return _error(exc.status_code, message)

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.get("/", response_model=None)
    async def page(request: Request) -> Response:
        given = request.query_params.get("token")
        if token is not None and given is not None:
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(401, "wrong token in the address: use the URL the app printed")
            resp = RedirectResponse("/", status_code=303)
            resp.set_cookie(COOKIE, str(cookie_value), httponly=True, samesite="strict", path="/")
            return resp
        index = STATIC / "index.html"
        if not index.is_file():
            return _error(404, "the page is not installed (static/index.html is missing)")
        return FileResponse(index, headers={"Cache-Control": "no-store"})

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/model")
    async def model_card() -> dict[str, Any]:
        return service.model_card()

    async def read_form(request: Request) -> dict[str, Any]:
        """The multipart fields: bytes for files, text for the others (bounded by ``limit``)."""
        ctype = request.headers.get("content-type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            raise RequestError(
                "send the image as multipart/form-data (fields image, and mask, box or seed)",
                status=415,
            )
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise RequestError(_too_large(limit), status=413)
            chunks.append(chunk)
        body = b"".join(chunks)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        parsed = Request(request.scope, receive)
        try:
            form = await parsed.form(
                max_files=_MAX_PARTS, max_fields=_MAX_PARTS, max_part_size=64 * 1024
            )
        except StarletteHTTPException as exc:
            raise RequestError(f"the form could not be read: {exc.detail}") from None
        except Exception:  # noqa: BLE001 - any parser failure is a bad form
            raise RequestError("the form could not be read: invalid multipart data") from None
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key in fields:
                raise RequestError(f"the field {key!r} was sent twice; send it once")
            if isinstance(value, str):
                fields[key] = value
            else:
                data = await value.read()
                fields[key] = Upload(data, value.content_type)
                await value.close()
        return fields

    def text_field(fields: dict[str, Any], key: str) -> str | None:
        v = fields.get(key)
        if v is None:
            return None
        if isinstance(v, Upload):
            return v.data.decode("utf-8", "replace")
        return v if v.strip() else None

    def file_field(fields: dict[str, Any], key: str) -> Upload | None:
        v = fields.get(key)
        if v is None:
            return None
        if not isinstance(v, Upload):
            raise RequestError(f"the field {key!r} must be a file upload")
        return v

    def image_field(fields: dict[str, Any]) -> Upload:
        """The uploaded image (every endpoint that reads one needs it)."""
        image = file_field(fields, "image")
        if image is None:
            raise RequestError("no image: send the image file in the field 'image'")
        return image

    def inputs_of(fields: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in fields.items():
            if isinstance(v, Upload):
                out[f"{k}_sha256"] = v.sha256
                out[f"{k}_bytes"] = len(v.data)
            elif k in ("box", "seed", "slice", "format", "window"):
                out[k] = v[:64]
        return out

    async def compute(endpoint: str, request: Request, work: Any) -> tuple[Any, dict[str, Any]]:
        fields: dict[str, Any] = {}
        try:
            fields = await read_form(request)
            result = await anyio.to_thread.run_sync(work, fields, limiter=limiter)
        except RequestError as exc:
            audit.write(endpoint, inputs_of(fields), exc.status, {"error": str(exc)})
            raise
        except RadiomixError as exc:
            audit.write(endpoint, inputs_of(fields), 400, {"error": str(exc)})
            raise RequestError(" ".join(str(exc).split())) from None
        return result, fields

    @app.post("/api/segment", response_model=None)
    async def segment(request: Request) -> Response:
        def work(fields: dict[str, Any]) -> bytes:
            from radiomix.app.service import mask_png

            image = image_field(fields)
            _check_fields(fields, {"image", "box", "seed", "slice"})
            mask, _ = service.segment(
                image,
                box=text_field(fields, "box"),
                seed=text_field(fields, "seed"),
                slice_index=text_field(fields, "slice"),
            )
            return mask_png(mask)

        png, fields = await compute("segment", request, work)
        audit.write("segment", inputs_of(fields), 200, {"mask_png_sha256": _sha(png)})
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.post("/api/preview")
    async def preview(request: Request) -> JSONResponse:
        def work(fields: dict[str, Any]) -> dict[str, Any]:
            image = image_field(fields)
            _check_fields(fields, {"image", "slice", "window"})
            return service.preview(
                image,
                slice_index=text_field(fields, "slice"),
                window=text_field(fields, "window"),
            )

        answer, fields = await compute("preview", request, work)
        audit.write("preview", inputs_of(fields), 200, {"slice": answer.get("slice")})
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @app.post("/api/predict")
    async def predict(request: Request) -> JSONResponse:
        def work(fields: dict[str, Any]) -> dict[str, Any]:
            image = image_field(fields)
            _check_fields(fields, {"image", "mask", "box", "seed", "slice"})
            return service.predict(
                image,
                mask=file_field(fields, "mask"),
                box=text_field(fields, "box"),
                seed=text_field(fields, "seed"),
                slice_index=text_field(fields, "slice"),
            )

        answer, fields = await compute("predict", request, work)
        summary = {
            k: answer.get(k)
            for k in ("probability", "decision", "threshold", "interval", "warnings", "model")
        }
        audit.write("predict", inputs_of(fields), 200, summary)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @app.post("/api/export/mask", response_model=None)
    async def export_mask(request: Request) -> Response:
        def work(fields: dict[str, Any]) -> tuple[bytes, str, str]:
            image = image_field(fields)
            _check_fields(fields, {"image", "mask", "format", "slice"})
            mask = file_field(fields, "mask")
            if mask is None:
                raise RequestError("no mask: send the outline as a file in the field 'mask'")
            return service.export_mask(
                image,
                mask,
                fmt=text_field(fields, "format"),
                slice_index=text_field(fields, "slice"),
            )

        (data, name, media), fields = await compute("export_mask", request, work)
        audit.write(
            "export_mask",
            inputs_of(fields),
            200,
            {"file": name, "bytes": len(data), "sha256": _sha(data)},
        )
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        }
        return Response(data, media_type=media, headers=headers)

    return app


def _check_fields(fields: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(fields) - known)
    if unknown:
        raise RequestError(
            f"unknown form field {unknown[0]!r}; this endpoint takes {', '.join(sorted(known))}"
        )


def _too_large(limit: int) -> str:
    return (
        f"the upload is larger than the app accepts ({limit / 1024 / 1024:.0f} MB; start it "
        "with --max-upload-mb to change that)"
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
