"""The labeling page's HTTP app (FastAPI, the stack `rlhf-rm serve` uses).

    GET  /                  the page (static/index.html; its script and style under /static/)
    GET  /api/next          this annotator's next item and the progress
    POST /api/judgement     {"judgement_id", "item_id", "action": "choose"|"tie"|"skip",
                             "ranking": [shown positions, best first], "ratings": [1-5 | null],
                             "comment", "seconds_spent"} -> the next item and the progress
    POST /api/undo          {"judgement_id"} -> retract this annotator's latest judgement
    GET  /health

Safety: the server binds 127.0.0.1 unless told otherwise, and refuses a non-local host without
annotator tokens. With tokens, every /api request needs ``Authorization: Bearer <token>`` and the
token alone says who the annotator is. Request bodies are bounded (413 over the limit). The page
puts every prompt and reply into the document as text (``textContent``), and a Content-Security-
Policy allows only the page's own script, so markup in the data is shown, never run.
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at runtime
import json
import secrets
from dataclasses import dataclass, field
from importlib import resources

from rlhf_rm.annotate.session import Session
from rlhf_rm.serve.app import RequestError, read_json_body

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_MAX_BODY_BYTES = 64 * 1024
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the page URL may carry ?token=
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class AnnotateSettings:
    host: str = "127.0.0.1"
    port: int = 8010
    tokens: dict[str, str] = field(default_factory=dict)  # token -> annotator; empty: no tokens
    local_annotator: str = "local"  # the one annotator when there are no tokens
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def check_host(host: str, tokens: dict[str, str]) -> None:
    """Refuse to serve a non-local address without tokens: anyone reaching it could write labels."""
    if host not in LOCAL_HOSTS and not tokens:
        raise ValueError(f"--host {host} is reachable from other machines: pass --annotators FILE "
                         "(name -> token) so that every annotator needs a token, or bind 127.0.0.1")


def read_annotators(path: str) -> dict[str, str]:
    """token -> name from a JSON object ``{"name": "token", ...}``; tokens need 16+ characters."""
    try:
        data = json.loads(open(path, encoding="utf-8").read())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f'{path}: expected a JSON object {{"annotator name": "token", ...}}')
    tokens: dict[str, str] = {}
    for name, token in data.items():
        if not isinstance(token, str) or len(token) < 16:
            raise ValueError(f"{path}: the token of {name!r} must be a string of at least 16 characters")
        if token in tokens:
            raise ValueError(f"{path}: {name!r} and {tokens[token]!r} have the same token")
        tokens[token] = name
    return tokens


def create_app(session: Session, settings: AnnotateSettings = AnnotateSettings()):
    """The FastAPI app serving the page and `session` for the annotators of `settings.tokens`."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response

    app = FastAPI(title="rlhf_rm annotate", docs_url=None, redoc_url=None, openapi_url=None)
    page = {name: _static(name) for name in ("index.html", *_STATIC)}

    @app.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        response.headers.update(_HEADERS)
        return response

    def annotator(request: Request) -> str:
        if not settings.tokens:
            return settings.local_annotator
        given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
        for token, name in settings.tokens.items():  # constant time per token
            if secrets.compare_digest(given, token.encode()):
                return name
        raise RequestError(401, "missing or wrong token: open the link with ?token=... you were given")

    async def handle(request: Request, action) -> Response:
        try:
            who = annotator(request)
            body = await read_json_body(request, settings.max_body_bytes) if request.method == "POST" else {}
            return JSONResponse(action(who, body))
        except RequestError as err:
            return JSONResponse({"error": str(err)}, status_code=err.status)

    @app.get("/")
    async def index():
        return Response(page["index.html"], media_type="text/html; charset=utf-8")

    @app.get("/static/{name}")
    async def static(name: str):
        if name not in _STATIC:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(page[name], media_type=f"{_STATIC[name]}; charset=utf-8")

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/api/next")
    async def next_item(request: Request):
        return await handle(request, lambda who, _: session.state(who))

    @app.post("/api/judgement")
    async def judgement(request: Request):
        return await handle(request, session.judge)

    @app.post("/api/undo")
    async def undo(request: Request):
        return await handle(request, session.undo)

    return app


def _static(name: str) -> bytes:
    return resources.files("rlhf_rm.annotate").joinpath("static", name).read_bytes()


def serve(session: Session, settings: AnnotateSettings, log_level: str = "warning") -> None:
    """Serve until interrupted (one process: the store's order of writes is the order of requests)."""
    import uvicorn

    check_host(settings.host, settings.tokens)
    uvicorn.run(create_app(session, settings), host=settings.host, port=settings.port, log_level=log_level)
