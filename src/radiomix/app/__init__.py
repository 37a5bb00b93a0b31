"""The diagnostic web app: ``radiomix app RUN_DIR`` serves a trained model to a browser.

:func:`radiomix.app.server.create_app` builds the FastAPI application; the work (outlines,
prediction, explanation, warnings, model card) is done by
:class:`radiomix.app.service.AppService` through library functions. Importing this package
loads nothing heavy; FastAPI is needed only by :mod:`radiomix.app.server` (the ``[app]``
extra).
"""

from __future__ import annotations

__all__: list[str] = []
