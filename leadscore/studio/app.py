"""The studio's ASGI app: the page (static/, shipped in the package) and its JSON routes.

    GET  /                the page
    GET  /api/workspace   the model file's saved text and what data it is tried on
    POST /api/analyze     {text} → diagnostics and, when valid, everything the page shows
    GET  /api/leads/{id}  a lead's explanation, from the last valid model
    POST /api/compare     {text} → the impact of the edit against the saved file
    POST /api/save        {text} → re-validated, formatted and written; the text written

One edit at a time is analyzed (a lock): the last valid `Scored` is what
explanations read, so they always match the table the page shows. Requests
must name a loopback host (no DNS rebinding can reach a page that writes files).
"""

from __future__ import annotations

import os
import threading

from fastapi import FastAPI
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from ..batch.io import DataError
from ..runtime.values import format_time
from . import analysis
from .explanation import explain
from .workspace import SaveRefused, Workspace

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]


class Edit(BaseModel):
    text: str


class Studio:
    """The workspace and what the page last saw: the last valid `Scored`, and the saved file's."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.lock = threading.Lock()
        self.last: analysis.Scored | None = None
        self.saved: tuple[str, analysis.Scored | None] | None = None

    def analyze(self, text: str) -> dict:
        with self.lock:
            report, scored = analysis.recompute(self.workspace, text)
            if scored is not None:
                self.last = scored
            return report

    def saved_scored(self) -> analysis.Scored | None:
        """The saved file scored, made again only when the file's text changed."""
        text = self.workspace.saved_text()
        if self.saved is None or self.saved[0] != text:
            checked = self.workspace.analyze(text)
            self.saved = (text, analysis.score(self.workspace, checked) if checked.model is not None else None)
        return self.saved[1]


def create_app(workspace: Workspace) -> FastAPI:
    studio = Studio(workspace)
    app = FastAPI(title="leadscore studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(DataError)
    @app.exception_handler(OSError)
    @app.exception_handler(ValueError)
    def unreadable(_request, error):
        return refusal(str(error))

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(os.path.join(STATIC, "index.html"))

    @app.get("/api/workspace")
    def describe():
        data = workspace.data
        return {"model": workspace.model_path, "text": workspace.saved_text(), "leads": data.leads,
                "events": data.events, "outcome": data.outcome, "tests": workspace.tests_path,
                "now": format_time(data.now)}

    @app.post("/api/analyze")
    def analyze(edit: Edit):
        return studio.analyze(edit.text)

    @app.get("/api/leads/{lead_id}")
    def lead(lead_id: str):
        result = studio.last.result(lead_id) if studio.last is not None else None
        if result is None:
            return refusal(f"no lead {lead_id!r} in the last valid results", 404)
        return explain(result)

    @app.post("/api/compare")
    def compare(edit: Edit):
        saved = studio.saved_scored()
        if saved is None:
            return refusal(f"the saved {workspace.model_path} is not a valid model: nothing to compare with")
        checked = workspace.analyze(edit.text)
        if checked.model is None:
            return refusal("the edit is not a valid model: fix its errors to compare it")
        edited = analysis.score(workspace, checked)
        return analysis.impact(saved, edited, workspace.data.now)

    @app.post("/api/save")
    def save(edit: Edit):
        try:
            text = workspace.save(edit.text)
        except SaveRefused as refused:
            return refusal(str(refused), diagnostics=[d.to_dict() for d in refused.analysis.errors])
        return {"saved": workspace.model_path, "text": text}

    return app


def refusal(message: str, status: int = 422, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)
