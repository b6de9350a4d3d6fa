"""The HTTP service over a live store: the ASGI app and its routes (LIVE.md §7).

Routes are plain functions, so FastAPI runs them in its thread pool: each
store call is a blocking database transaction, and a write is committed
before its answer is sent (LIVE.md §9: what is acknowledged is stored).
The webhook deliverer and the sweep run as tasks beside the routes, for as
long as the app runs. Auth (`auth.Guard`) and the body limit
(`errors.BodyLimit`) wrap the app; every refusal is JSON (`errors.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import threading
import time
from typing import Any

import attrs
from fastapi import Body, FastAPI, Query, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict

from .. import __version__
from ..live import ModelRefused, Store, StoreError, outbox
from ..live.models import text_hash
from ..live.rescoring import LineWriter, ScoringProblem, score_rows
from ..runtime import values as v
from ..runtime.model import InputError, now_us
from . import commits, errors, listing, segment
from .auth import Guard, Tokens
from .checkpoints import Checkpointer
from .errors import Refusal
from .metrics import CONTENT_TYPE_LATEST, Metrics
from .sweep import Sweeper
from .webhooks import Deliverer

MAX_BODY = 10 * 1024 * 1024
JSON = "application/json"


@attrs.frozen
class Settings:
    """What `leadscore serve` was started with."""

    store_url: str
    model_path: str | None = None
    tokens: Tokens = attrs.Factory(lambda: Tokens(None))
    webhooks: tuple = ()
    secret: bytes | None = None
    sweep: float | None = 300.0            # seconds; None: no sweep
    now: str | None = None                  # a fixed clock
    max_body: int = MAX_BODY
    retry_base: float = 1.0                 # seconds before the first webhook retry (tests make it short)


class ErrorBody(BaseModel):
    """Every refusal (docs/live.md, "Refusals")."""

    error: str
    details: list[dict[str, Any]] | None = None       # 422: where and what
    diagnostics: Any = None                            # 422 of a model: the checker's diagnostics


class IngestAnswer(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[dict[str, Any]]


REFUSALS = {status: {"model": ErrorBody, "description": what} for status, what in (
    (400, "malformed JSON, a bad `now` or cursor"), (401, "no token, or an unknown one"),
    (403, "the token's role is too low"), (413, "a body over --max-body"),
    (422, "JSON of the wrong shape, or an invalid model"), (503, "the store refused the write: send it again"))}


class ScoreRequest(BaseModel):
    """`POST /v1/score`: a lead, its events and a time; nothing is stored."""

    model_config = ConfigDict(extra="forbid")
    lead: dict[str, Any]
    events: list[Any] = []
    now: str | None = None
    explain: bool = False


def open_store(settings: Settings) -> tuple:
    """(store, note or None): the store, with MODEL set when it has no model yet.

    Like `leadscore ingest MODEL`, MODEL is only used when the store has no
    model: several processes started with one file never re-score the store,
    and a model changed over HTTP survives a restart. The note says when the
    store's model differs from MODEL."""
    store = Store.open(settings.store_url, now=settings.now, serving=True)
    try:
        note = _ensure_model(store, settings.model_path)
        store.compile_models()          # not at the first request; and frozen with the rest (collector.py)
    except BaseException:
        store.close()
        raise
    return store, note


def _ensure_model(store, path: str | None) -> str | None:
    if path is None:
        if store.model() is None:
            raise StoreError("the store has no model yet: give one (leadscore serve MODEL)")
        return None
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    active = store.model()
    if active is None:
        store.set_model(text, os.path.basename(path), os.path.dirname(os.path.abspath(path)))
        return None
    if active.hash != text_hash(text):
        return (f"note: the store's model {active.filename} ({active.hash[:19]}) is served, not {path}; "
                "replace it with PUT /v1/model or `leadscore model set`")
    return None


def create_app(settings: Settings, store: Store) -> FastAPI:
    """The service over an open store (closed when the app stops)."""
    metrics = Metrics(lambda: _safe(outbox.depth, store))
    deliverer = Deliverer(store, list(settings.webhooks), settings.secret or b"", metrics,
                          base=settings.retry_base) if settings.webhooks else None
    sweeper = Sweeper(store, settings.sweep, metrics) if settings.sweep and settings.now is None else None
    checkpointer = Checkpointer(store) if store.engine.dialect.name == "sqlite" else None

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        tasks = [asyncio.create_task(job.run()) for job in (deliverer, sweeper, checkpointer) if job is not None]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            store.close()

    app = FastAPI(title="leadscore", version=__version__, lifespan=lifespan, responses=REFUSALS,
                  description="Live lead scoring over a store (LIVE.md §7). Every /v1 route needs "
                              "`Authorization: Bearer TOKEN`.")
    errors.install(app)
    api = Routes(store, settings, metrics, deliverer)
    api.mount(app)
    app.add_middleware(JsonBodies)
    app.add_middleware(errors.BodyLimit, limit=settings.max_body)
    app.add_middleware(Guard, tokens=settings.tokens)
    app.state.store, app.state.deliverer, app.state.sweeper = store, deliverer, sweeper
    return app


class JsonBodies:
    """ASGI middleware: every body is read as JSON, whatever its Content-Type says.

    `curl -d` sends `application/x-www-form-urlencoded`; the API speaks only
    JSON, so it is read as JSON anyway. The model routes take `.score` text
    and keep their Content-Type (`_model_text`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/v1/model"):
            headers = [(k, v) for k, v in scope.get("headers") or () if k != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", JSON.encode())]}
        await self.app(scope, receive, send)


class Routes:
    """The handlers, with what they share: the store, the metrics, the deliverer to wake."""

    def __init__(self, store: Store, settings: Settings, metrics: Metrics, deliverer):
        self.store, self.settings, self.metrics, self.deliverer = store, settings, metrics, deliverer
        # SQLite lets one writer in at a time and makes the others poll (sleeping up to 100 ms a try):
        # queued on a lock in this process instead, and the writes waiting committed together
        sqlite = store.engine.dialect.name == "sqlite"
        self.write_lock = threading.Lock() if sqlite else contextlib.nullcontext()
        self.commits = commits.Grouped(store, self.write_lock) if sqlite else commits.Single(store)
        self.base_dir = os.path.dirname(os.path.abspath(settings.model_path)) if settings.model_path else os.getcwd()

    def mount(self, app: FastAPI) -> None:
        bearer = [Security(HTTPBearer(auto_error=False))]     # documents the token in /openapi.json
        add = app.add_api_route
        add("/healthz", self.healthz, methods=["GET"], tags=["service"])
        add("/metrics", self.metrics_text, methods=["GET"], tags=["service"], dependencies=bearer)
        add("/v1/events", self.post_events, methods=["POST"], tags=["ingest"], dependencies=bearer,
            response_model=IngestAnswer)
        add("/v1/segment", self.post_segment, methods=["POST"], tags=["ingest"], dependencies=bearer)
        add("/v1/leads/{lead_id}", self.put_lead, methods=["PUT"], tags=["leads"], dependencies=bearer)
        add("/v1/leads/{lead_id}", self.patch_lead, methods=["PATCH"], tags=["leads"], dependencies=bearer)
        add("/v1/leads/{lead_id}", self.get_lead, methods=["GET"], tags=["leads"], dependencies=bearer)
        add("/v1/leads/{lead_id}/history", self.get_history, methods=["GET"], tags=["leads"], dependencies=bearer)
        add("/v1/leads", self.list_leads, methods=["GET"], tags=["leads"], dependencies=bearer)
        add("/v1/score", self.post_score, methods=["POST"], tags=["leads"], dependencies=bearer)
        add("/v1/transitions", self.get_transitions, methods=["GET"], tags=["hand-off"], dependencies=bearer)
        model_text = {"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}},
                                                  JSON: {"schema": {"type": "object"}}}, "required": True}}
        add("/v1/model", self.get_model, methods=["GET"], tags=["models"], dependencies=bearer)
        add("/v1/model", self.put_model, methods=["PUT"], tags=["models"], dependencies=bearer,
            openapi_extra=model_text)
        add("/v1/model/shadow", self.put_shadow, methods=["PUT"], tags=["models"], dependencies=bearer,
            openapi_extra=model_text)
        add("/v1/model/shadow/impact", self.get_impact, methods=["GET"], tags=["models"], dependencies=bearer)
        add("/v1/model/shadow/promote", self.post_promote, methods=["POST"], tags=["models"], dependencies=bearer)

    # ---- service -----------------------------------------------------------------------

    def healthz(self) -> dict:
        """Liveness: the process answers (no token needed)."""
        return {"status": "ok"}

    def metrics_text(self) -> Response:
        """Prometheus metrics (text exposition format)."""
        return Response(self.metrics.text(), media_type=CONTENT_TYPE_LATEST)

    # ---- ingest --------------------------------------------------------------------------

    def post_events(self, events: list[Any] = Body(..., description="event objects: lead_id, type, at, "
                                                                       "attributes, optional id")) -> Response:
        """Store events and re-score their leads before answering (one transaction)."""
        # the answer as a Response: FastAPI validates and encodes a returned dict against the
        # route's model again, a tenth of a one-event request's time (the model stays for the docs)
        return JSONResponse(self._write("events", (), events).to_dict())

    def post_segment(self, body: dict[str, Any] = Body(..., description="a Segment call or {\"batch\": [...]}")) -> dict:
        """Segment's `track`, `identify` and `batch` calls (see docs/live.md, "Segment")."""
        try:
            calls = segment.read(body, v.format_time(self.store.now()))
        except segment.SegmentError as problem:
            raise Refusal(422, str(problem)) from None
        report = self._write("segment", calls.fields, calls.events)
        rejected = sorted(calls.rejected + [(calls.event_index[i], reason) for i, reason in report.rejected])
        return {"accepted": report.accepted, "duplicates": report.duplicates,
                "rejected": [{"index": i, "reason": r} for i, r in rejected],
                "identified": len(calls.fields), "ignored": calls.ignored}

    def put_lead(self, lead_id: str, fields: dict[str, Any] = Body(...)) -> Response:
        """Set the lead's fields (replacing them); answers its new result."""
        return self._fields(lead_id, fields, merge=False)

    def patch_lead(self, lead_id: str, fields: dict[str, Any] = Body(...)) -> Response:
        """Merge these fields into the lead's; answers its new result."""
        return self._fields(lead_id, fields, merge=True)

    def _fields(self, lead_id: str, fields: dict, merge: bool) -> Response:
        report = self._write("leads", [(lead_id, fields, merge)], ())
        if report.rejected:
            raise Refusal(422, report.rejected[0][1], rejected=report.to_dict()["rejected"])
        return _line(self.store.stored_result(lead_id))

    def _write(self, route: str, leads, events):
        """A write (lead field writes, event rows) committed with the writes of concurrent requests
        (`commits.py`), timed and counted; the deliverer woken for the transitions it may have made."""
        started = time.perf_counter()
        try:
            pending = self.store.prepare(leads, events)
            self.commits.commit(pending)
        except StoreError as problem:
            raise Refusal(_status(problem), str(problem)) from None
        report = pending.report
        self.metrics.scoring.labels(route).observe(time.perf_counter() - started)
        self.metrics.count(report)
        if self.deliverer is not None:
            self.deliverer.wake()
        return report

    # ---- reading ---------------------------------------------------------------------------

    def get_lead(self, lead_id: str, now: str | None = Query(None, description="ISO-8601; default: now"),
                 explain: bool = Query(False, description="add each rule's contribution")) -> Response:
        """The lead's result computed at now; 404 for an unknown lead."""
        line = self.store.result(lead_id, _now(now), explain=explain)
        if line is None:
            raise Refusal(404, f"no lead with id `{lead_id.strip()}`")
        return _line(line)

    def get_history(self, lead_id: str) -> dict:
        """The lead's history entries, oldest first."""
        entries = self.store.history(lead_id)
        if not entries and self.store.stored_result(lead_id) is None:
            raise Refusal(404, f"no lead with id `{lead_id.strip()}`")
        return {"lead_id": lead_id.strip(), "history": entries}

    def list_leads(self, tier: str | None = None, qualified: str | None = None, tag: str | None = None,
                   campaign: str | None = None, limit: int = Query(100, ge=1, le=listing.MAX_LIMIT),
                   cursor: str | None = None) -> Response:
        """Stored results filtered, ordered by score (high first), paged with `cursor`."""
        try:
            lines, after = listing.page(self.store, tier=tier, qualified=qualified, tag=tag, campaign=campaign,
                                        limit=limit, cursor=cursor)
        except listing.CursorError as problem:
            raise Refusal(400, str(problem)) from None
        text = '{"leads": [' + ", ".join(lines) + '], "next": ' + json.dumps(after) + "}"
        return Response(text, media_type=JSON)

    def post_score(self, request: ScoreRequest) -> Response:
        """Score a lead given in full, at `now`; nothing is stored."""
        model = self._active().compiled
        lead = dict(request.lead)
        lead_id = lead.pop("id", None)
        if not isinstance(lead_id, (str, int)) or isinstance(lead_id, bool) or not str(lead_id).strip():
            raise Refusal(422, "the lead needs an `id`")
        lead_id = str(lead_id).strip()
        events = [(lead_id, {**e, "lead_id": lead_id} if isinstance(e, dict) else e) for e in request.events]
        if any(not isinstance(row, dict) for _id, row in events):
            raise Refusal(422, "each event must be an object")
        try:
            result = score_rows(model, _now(request.now) or self.store.now(), [(lead_id, lead)], events)[lead_id]
        except ScoringProblem as problem:
            raise Refusal(422, str(problem).split(": ", 2)[-1]) from None
        return _line(LineWriter(model).line(result, request.explain))

    def get_transitions(self, since: int = Query(0, ge=0, description="the `next` of the previous page"),
                        limit: int = Query(100, ge=1, le=1000)) -> dict:
        """Transitions after the cursor, in order, and the cursor to ask with next."""
        found, after = outbox.transitions(self.store, since, limit)
        return {"transitions": found, "next": after}

    # ---- models ------------------------------------------------------------------------------

    def get_model(self) -> dict:
        """The active model (and the shadow, if any): name, version, hash, text."""
        def shown(stored):
            return None if stored is None else {**stored.to_dict(), "filename": stored.filename, "text": stored.text}
        return {"active": shown(self.store.model()), "shadow": shown(self.store.shadow)}

    async def put_model(self, request: Request, notify: bool = True, filename: str | None = None) -> dict:
        """Validate and activate a model (the .score text); every lead re-scored. 422 with diagnostics."""
        text, name, notify = await _model_text(request, filename, notify)
        changed = await asyncio.to_thread(self._change, lambda: self.store.set_model(
            text, name, self.base_dir, notify=notify), text, name)
        return {"model": self.store.model().to_dict(), "changed": changed}

    async def put_shadow(self, request: Request, filename: str | None = None) -> dict:
        """Validate a model and run it beside the active one (it notifies no one)."""
        text, name, _notify = await _model_text(request, filename, True)
        changed = await asyncio.to_thread(self._change, lambda: self.store.set_shadow(text, name, self.base_dir),
                                          text, name)
        return {"shadow": self.store.shadow.to_dict(), "changed": changed}

    def get_impact(self, now: str | None = None, top: int = Query(10, ge=0, le=1000)) -> dict:
        """What promoting the shadow would do: tier matrix, stage counts, the leads that move most."""
        if self.store.shadow is None:
            raise Refusal(409, "there is no shadow model (PUT /v1/model/shadow)")
        return self.store.impact(_now(now), top=top).to_dict()

    def post_promote(self, notify: bool = True) -> dict:
        """Make the shadow the active model; every lead re-scored."""
        if self.store.shadow is None:
            raise Refusal(409, "there is no shadow model to promote (PUT /v1/model/shadow)")
        with self.write_lock:
            changed = self.store.promote(notify=notify)
        if self.deliverer is not None:
            self.deliverer.wake()
        return {"model": self.store.model().to_dict(), "changed": changed}

    def _change(self, work, text: str, name: str) -> int:
        from ..dsl import analyze
        analysis = analyze(text, name, self.base_dir)
        if analysis.errors:
            raise Refusal(422, f"{name} is not a valid model ({len(analysis.errors)} error(s)); nothing changed",
                          diagnostics=[d.to_dict() for d in sorted(analysis.diagnostics, key=lambda d: d.sort_key())])
        try:
            with self.write_lock:
                changed = work()
        except ModelRefused as problem:
            raise Refusal(422, str(problem), diagnostics=problem.diagnostics) from None
        if self.deliverer is not None:
            self.deliverer.wake()
        return changed

    def _active(self):
        active = self.store.model()
        if active is None:
            raise Refusal(409, "the store has no model (PUT /v1/model)")
        return active


async def _model_text(request: Request, filename: str | None, notify: bool) -> tuple:
    """(text, file name, notify) from a text body, or a JSON one {"text", "filename", "notify"}."""
    raw = await request.body()
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "the model must be UTF-8 text") from None
    if request.headers.get("content-type", "").split(";")[0].strip() == JSON:
        try:
            given = json.loads(body)
        except ValueError as problem:
            raise Refusal(400, f"malformed JSON: {problem}") from None
        if not isinstance(given, dict) or not isinstance(given.get("text"), str):
            raise Refusal(422, 'a JSON body is {"text": "<the .score text>", "filename": ..., "notify": ...}')
        body, filename = given["text"], given.get("filename") or filename
        notify = bool(given.get("notify", notify))
    if not body.strip():
        raise Refusal(422, "the model text is empty")
    return body, str(filename or "model.score"), notify


def _line(line: str | None) -> Response:
    return Response(line if line is not None else "null", media_type=JSON)


def _now(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return now_us(text)
    except InputError as problem:
        raise Refusal(400, str(problem)) from None


def _status(problem: StoreError) -> int:
    """A store refusal: the database failed (503) or the request cannot be done (422)."""
    return 503 if str(problem).startswith("the store refused") else 422


def _safe(read, store) -> float:
    try:
        return float(read(store))
    except Exception:  # noqa: BLE001 - a scrape never fails because the store is away for a moment
        return math.nan
