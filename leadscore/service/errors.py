"""Every refusal is JSON (LIVE.md §7): `{"error": "what is wrong"}`, sometimes with `details`.

The handlers turn FastAPI's and Starlette's own refusals (unknown route 404,
wrong method 405, malformed JSON, wrong types) into that body, and
`BodyLimit` refuses a body over the limit with 413 before the route reads
it. Malformed JSON is 400; JSON of the wrong shape is 422 with `details`
(where, what); a bug is 500 with one line, never a traceback.
"""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger("leadscore.serve")


def error(status: int, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


class Refusal(Exception):
    """Raised by a route: answer `status` with this message (and extra keys)."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def install(app) -> None:
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _internal)


async def _refusal(_request, exc: Refusal):
    return error(exc.status, exc.message, **exc.extra)


async def _http(request, exc: HTTPException):
    messages = {404: f"no route {request.method} {request.url.path}",
                405: f"{request.method} is not allowed on {request.url.path}"}
    message = messages.get(exc.status_code) if exc.detail in (None, "Not Found", "Method Not Allowed") else None
    return error(exc.status_code, message or str(exc.detail), headers=getattr(exc, "headers", None))


async def _validation(_request, exc: RequestValidationError):
    problems = exc.errors()
    broken = next((p for p in problems if p.get("type") == "json_invalid"), None)
    if broken is not None:
        reason = (broken.get("ctx") or {}).get("error", "not JSON")
        return error(400, f"malformed JSON: {reason}")
    details = [{"where": ".".join(str(part) for part in p.get("loc", ())), "message": p.get("msg", "")}
               for p in problems]
    first = details[0] if details else {"where": "request", "message": "invalid"}
    return error(422, f"invalid request: {first['where']}: {first['message']}", details=details)


async def _internal(_request, exc: Exception):
    log.error("internal error: %s: %s", type(exc).__name__, exc)
    return error(500, f"internal error: {type(exc).__name__} (a bug; see the service's log)")


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413, by its Content-Length or as it streams."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                return await self._refuse(scope, receive, send)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()
        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        response = error(413, f"the request body is over the limit of {self.limit} bytes (--max-body)")
        await response(scope, receive, send)
