"""``radiomix app RUN_DIR``: the diagnostic web app on a trained model."""

from __future__ import annotations

import argparse
import contextlib
import sys

from radiomix.errors import ConfigError

#: addresses served without a token: this machine only
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "app",
        help="open a trained model in the browser: outline a lesion, get the prediction",
        description=(
            "Serve the web app for the model of RUN_DIR: upload an image, outline the lesion "
            "(box, click, drawing or mask) and get the model's probability, decision, "
            "explanation and warnings. Binds 127.0.0.1 unless --host says otherwise; any "
            "other address needs --token (every API call then needs 'Authorization: Bearer "
            "TOKEN'; open the page once at /?token=TOKEN). Research use only."
        ),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of radiomix train / study")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--token",
        help="access token, required for addresses other than loopback (or set "
        "RADIOMIX_APP_TOKEN: a command line is visible to other users of the machine)",
    )
    p.add_argument(
        "--max-upload-mb", type=float, default=50, help="largest upload in MB (default 50)"
    )
    p.add_argument(
        "--audit-log",
        metavar="FILE",
        help="audit log (JSON lines; default RUN_DIR/app-audit.jsonl)",
    )
    p.add_argument("--model", metavar="NAME", help="a comparator instead of the primary model")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    if args.token is None and os.environ.get("RADIOMIX_APP_TOKEN"):
        args.token = os.environ["RADIOMIX_APP_TOKEN"]
    host = str(args.host).strip()
    if host not in LOOPBACK and not args.token:
        raise ConfigError(
            f"--host {host}: binding to an address other than this machine's (127.0.0.1) "
            "would let anyone on the network send and read patient images; give --token TOKEN "
            "to require it from every client"
        )
    if args.token is not None and len(args.token) < 8:
        raise ConfigError("--token: use at least 8 characters")
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port}: give a port between 1 and 65535")
    if args.max_upload_mb <= 0:
        raise ConfigError("--max-upload-mb: give a positive size")
    try:
        import uvicorn

        from radiomix.app.server import create_app
    except ImportError as exc:
        raise ConfigError(
            f"the web app needs the [app] extra ({exc.name} is missing): "
            "pip install 'radiomix[app]'"
        ) from None
    app = create_app(
        args.run_dir,
        token=args.token,
        max_upload_mb=args.max_upload_mb,
        audit_log=args.audit_log,
        model=args.model,
        allowed_hosts={host},
    )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{args.port}/" + (f"?token={args.token}" if args.token else "")
    card = app.state.service.model_card()
    print(f"radiomix app: model {card['model_id']} ({card['task']})", flush=True)
    print(f"radiomix app: open {url}  (Ctrl+C stops it)", flush=True)
    config = uvicorn.Config(
        app, host=host, port=args.port, access_log=False, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind (it logs why)
        server.run()
    if not server.started:
        print(
            f"radiomix: error: could not serve on {host}:{args.port} (in use? try --port)",
            file=sys.stderr,
        )
        return 2
    return 0
