"""The console's browser pages: server-rendered shells plus one static script.

The pages hold no data and no secrets: each is a Jinja2 template (``templates/``) whose
script (``static/console.js``) reads the API with the bearer token the person pasted on the
sign-in page, kept in the tab's ``sessionStorage`` and sent as an ``Authorization`` header.
No cookie authenticates anything, so a form posted from another site carries no credentials:
the pages are CSRF-safe by construction. The event stream is read with ``fetch`` and the same
header (not ``EventSource``, which cannot send one), so the token never appears in a URL.

Every page answers with a strict Content-Security-Policy (scripts, styles, images and
connections from this origin only, ``blob:`` images for the run pictures fetched with the
header); the script builds the DOM with ``textContent``, never ``innerHTML``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

__all__ = ["PAGES", "mount_pages"]

_HERE = Path(__file__).parent
TEMPLATES_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"

#: Path -> (template, title).
PAGES: dict[str, tuple[str, str]] = {
    "/": ("index.html", "Sign in"),
    "/chat": ("chat.html", "Chat"),
    "/inbox": ("inbox.html", "Approval inbox"),
    "/runs": ("runs.html", "Runs"),
    "/trading": ("trading.html", "Trading"),
    "/risk": ("risk.html", "Risk"),
    "/audit": ("audit.html", "Audit"),
    "/health": ("health.html", "Health"),
}

#: The menu: path, label.
NAV: tuple[tuple[str, str], ...] = (("/chat", "Chat"), ("/inbox", "Inbox"), ("/runs", "Runs"), ("/trading", "Trading"),
                                    ("/risk", "Risk"), ("/audit", "Audit"), ("/health", "Health"))

_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def mount_pages(app: FastAPI) -> None:
    """Add the pages (``/``, ``/chat``, ...) and ``/static`` to ``app``; none is in the API schema."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    for path, (template, title) in PAGES.items():
        _add_page(app, templates, path, template, title)


def _add_page(app: FastAPI, templates: Jinja2Templates, path: str, template: str, title: str) -> None:
    page = path.strip("/") or "index"

    async def render(request: Request) -> HTMLResponse:
        response = templates.TemplateResponse(request, template, {"title": title, "page": page, "nav": NAV,
                                                                  "path": path})
        response.headers.update(_HEADERS)
        return response

    app.add_api_route(path, render, methods=["GET"], response_class=HTMLResponse, include_in_schema=False,
                      name=f"page_{page}")
