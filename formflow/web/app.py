"""`create_app`: the ASGI application of one site, ready to serve or to mount.

::

    from formflow.web import create_app

    app = create_app(engine, secret_key=os.environ["FORMFLOW_SECRET_KEY"])
    # uvicorn module:app, or mounted in a host site:
    host = Starlette(routes=[Mount("/demarches-en-ligne", app=app)])
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from formflow.engine.context import BlobStore, InMemoryBlobStore
from formflow.engine.core import Engine
from formflow.renderers.html import STATIC_DIR, HtmlRenderer
from formflow.web import front
from formflow.web.security import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    incident_reference,
)

__all__ = ["MAX_BODY", "create_app"]

log = logging.getLogger("formflow.web")

#: Largest request body accepted, in bytes (several files of a few megabytes).
MAX_BODY = 50_000_000


def create_app(
    engine: Engine,
    *,
    secret_key: str | None = None,
    https_only: bool = False,
    blob_store: BlobStore | None = None,
    root_path: str = "",
    max_body: int = MAX_BODY,
) -> Starlette:
    """The front office of ``engine``'s site as an ASGI application.

    ``secret_key`` signs session cookies; without one, ``FORMFLOW_SECRET_KEY`` is used,
    else a random key (sessions then end when the process does). ``https_only`` marks
    the cookie ``Secure``; set it behind HTTPS. ``root_path`` is the prefix the app is
    mounted under, for the links it writes.
    """
    key = secret_key or os.environ.get("FORMFLOW_SECRET_KEY")
    if not key:
        log.warning("no FORMFLOW_SECRET_KEY: sessions will not survive a restart")
        key = secrets.token_urlsafe(32)
    state = front.WebState(
        engine=engine,
        renderer=HtmlRenderer(),
        blob_store=blob_store or InMemoryBlobStore(),
        root_url=root_path.rstrip("/"),
        static_url=f"{root_path.rstrip('/')}/static",
    )

    async def theme(request: Request) -> Response:
        colours = engine.site.definition.colours
        css = f":root {{ --primary: {colours.primary}; --accent: {colours.accent}; }}\n"
        return Response(
            css, media_type="text/css", headers={"cache-control": "public, max-age=300"}
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error_page(
            request,
            404,
            "Page introuvable",
            "Cette page n'existe pas ou plus. Vérifiez l'adresse.",
            None,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        if status == 404:
            return await not_found(request, exc)
        return _error_page(
            request, status, "Requête refusée", "Cette requête n'a pas pu être traitée.", None
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        reference = incident_reference()
        log.exception(
            "unexpected error %s on %s %s",
            reference,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        return _error_page(
            request,
            500,
            "Une erreur est survenue",
            "Votre demande n'a pas pu être traitée. Les informations déjà envoyées sont "
            "conservées. Réessayez dans quelques minutes.",
            reference,
        )

    app = Starlette(
        routes=[
            *front.routes(),
            Route("/theme.css", theme, methods=["GET"]),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(BodyLimitMiddleware, max_body=max_body),
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie="formflow_session",
                same_site="lax",
                https_only=https_only,
                max_age=8 * 3600,
            ),
        ],
        exception_handlers={
            404: not_found,
            HTTPException: http_error,
            front._NotFoundError: not_found,
            Exception: server_error,
        },
    )
    app.state.formflow = state
    return app


def _error_page(
    request: Request, status: int, title: str, message: str, reference: str | None
) -> Response:
    state: front.WebState = request.app.state.formflow
    context: dict[str, Any] = {
        "title": title,
        "message": message,
        "reference": reference,
        "site": state.engine.site.definition,
        "language": "fr",
        "languages": [],
        "root_url": state.root_url,
        "static_url": state.static_url,
    }
    return HTMLResponse(state.renderer.render("error.html", **context), status_code=status)
