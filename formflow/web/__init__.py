"""The web layer: the Starlette application citizens (and later agents) use.

`create_app(engine)` returns an ASGI app for `formflow serve`, or for a host site to
mount under a prefix.
"""

from __future__ import annotations

from formflow.web.app import create_app

__all__ = ["create_app"]
