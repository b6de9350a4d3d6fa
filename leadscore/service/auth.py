"""Bearer tokens and their roles (LIVE.md §7).

The token file holds one token a line, optionally followed by its role:
`read`, `write` (the default) or `admin`; blank lines and lines starting
with `#` are skipped. A role includes the ones below it (admin ⊇ write ⊇
read). A token is compared with every known token in constant time
(`hmac.compare_digest`), so the time of a refusal says nothing about how
much of a token was right.

Without a token file (allowed only on a loopback address) every request is
served as `admin`: the service is open to the machine it runs on.
"""

from __future__ import annotations

import hmac

from .errors import error

ROLES = ("read", "write", "admin")
OPEN = "admin"


class TokenFileError(Exception):
    """A token file that cannot be used, said in one line."""


class Tokens:
    def __init__(self, roles: dict | None):
        self.roles = roles            # token → role; None: no token file, open

    @classmethod
    def read(cls, path: str | None) -> "Tokens":
        if path is None:
            return cls(None)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise TokenFileError(f"cannot read the token file {path}: {getattr(error, 'strerror', None) or error}")
        return cls(parse(text, path))

    @property
    def open(self) -> bool:
        return self.roles is None

    def role(self, header: str | None) -> str | None:
        """The role of an `Authorization: Bearer TOKEN` header; None when it names no known token."""
        if self.open:
            return OPEN
        scheme, _, token = (header or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        given = token.strip().encode("utf-8")
        found = None
        for known, role in self.roles.items():
            if hmac.compare_digest(known.encode("utf-8"), given):
                found = role
        return found


def parse(text: str, path: str = "tokens") -> dict:
    roles = {}
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ROLES):
            raise TokenFileError(f"{path}, line {number}: expected `TOKEN [read|write|admin]`")
        roles[parts[0]] = parts[1] if len(parts) == 2 else "write"
    if not roles:
        raise TokenFileError(f"the token file {path} holds no token")
    return roles


def allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def needed_role(method: str, path: str) -> str | None:
    """The role a request needs: the one table of who may do what. None: no token needed."""
    if path == "/healthz" or path in PUBLIC_DOCS:
        return None
    if path.startswith("/v1/model"):
        return "admin"
    if method in ("GET", "HEAD") or (method == "POST" and path == "/v1/score"):
        return "read"
    return "write"


#: the API's description is public: it says what the routes are, never what the store holds
PUBLIC_DOCS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


class Guard:
    """ASGI middleware: every route but `/healthz` and the API description needs a token of its role.

    It runs before anything reads the body, so a request without a valid
    token learns nothing, not even whether its JSON was well formed."""

    def __init__(self, app, tokens: Tokens):
        self.app, self.tokens = app, tokens

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.tokens.open:
            return await self.app(scope, receive, send)
        needed = needed_role(scope["method"], scope["path"])
        if needed is not None:
            header = dict(scope.get("headers") or ()).get(b"authorization", b"").decode("latin-1")
            role = self.tokens.role(header)
            if role is None:
                message = "a bearer token is needed (Authorization: Bearer TOKEN)" if not header else \
                    "the bearer token is not valid"
                return await _refuse(401, message, scope, receive, send, {"WWW-Authenticate": "Bearer"})
            if not allows(role, needed):
                return await _refuse(403, f"this token's role is `{role}`; {scope['method']} {scope['path']} "
                                          f"needs `{needed}`", scope, receive, send)
        await self.app(scope, receive, send)


async def _refuse(status, message, scope, receive, send, headers=None):
    await error(status, message, headers)(scope, receive, send)
