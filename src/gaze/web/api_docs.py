"""`/docs`: Swagger UI from GAZE's own files (static/docs), so it works with no network."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_ASSETS = "/assets/docs"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: str) -> str:
    """CSP sources allowing exactly the page's inline scripts (Swagger UI's start call)."""
    hashes = []
    for script in INLINE_SCRIPT.findall(html):
        digest = hashlib.sha256(script.encode()).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return " ".join(hashes)


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url="/assets/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None, "deepLinking": True},
    )
    html = bytes(page.body).decode()
    policy = (
        f"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        f"script-src 'self' {_script_hashes(html)}; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve the API docs at /docs; create the app with docs_url=None."""
    html = docs_page(openapi_url, f"{app.title} API")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return html
