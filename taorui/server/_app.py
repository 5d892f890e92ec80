"""The FastAPI application: routes, auth, errors.

Every route but ``/api/health``'s liveness needs a bearer token; see :mod:`taorui.server._auth`
for roles. Errors answer ``{"error": {"type", "message"}}`` with 400 (bad input), 401/403
(auth), 404, 409 (the thing changed: already answered, expired), 503 (try again); an
unexpected failure is a 500 that says only that (the details go to the log). The browser
pages (``/``, ``/chat``, ``/inbox``, ...) and ``/static`` come from :mod:`taorui.server._pages`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from graphs import AskResult
from guardrails import AuditKind
from taorui.server._auth import TOKEN_FILE, Principal, Role, TokenStore
from taorui.server._events import EventBus
from taorui.server._models import (
    THREAD_ID,
    ApprovalItem,
    AskRequest,
    AuditPage,
    AuditVerifyResult,
    DecisionRequest,
    DecisionResult,
    ErrorBody,
    HealthReport,
    KillSwitchRequest,
    KillSwitchResult,
    PortfolioView,
    ReplayRequest,
    RiskView,
    RunDetail,
    RunSummary,
    TradingOverview,
    TradingRunRequest,
    TradingRunStarted,
    WhoAmI,
)
from taorui.server._pages import mount_pages
from taorui.server._service import ConflictError, ConsoleService, ForbiddenError, finite
from taorui.wiring import AppContext
from taorui_engines.errors import (
    InvalidInputError,
    NotFoundError,
    TaoruiError,
    UnavailableError,
    UnsafeError,
)
from taorui_engines.manifest import ReplayResult

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


class SafeJSONResponse(JSONResponse):
    """JSON with NaN and infinities written as null (metrics can hold them; JSON cannot)."""

    def render(self, content: Any) -> bytes:
        """Strict JSON, UTF-8, non-finite floats as null."""
        return json.dumps(finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class AuthError(TaoruiError):
    """No token, or a token that is not valid."""

    type_name = "Unauthorized"


_STATUS: tuple[tuple[type[TaoruiError], int], ...] = (
    (AuthError, 401), (ForbiddenError, 403), (NotFoundError, 404), (ConflictError, 409),
    (InvalidInputError, 400), (UnsafeError, 409), (UnavailableError, 503),
)


def _error(exc: TaoruiError) -> SafeJSONResponse:
    status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return SafeJSONResponse({"error": exc.to_dict()}, status_code=status, headers=headers)


_bearer = HTTPBearer(auto_error=False, description="A token from `taorui serve token add`.")
_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409)}


def _requires(role: Role) -> Callable[..., Principal]:
    """A dependency: the caller's principal, if their token has ``role`` or above."""

    def check(request: Request,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        store: TokenStore = request.app.state.tokens
        who = store.authenticate(credentials.credentials) if credentials else None
        if who is None:
            raise AuthError("a valid bearer token is required (make one with `taorui serve token add`)")
        if not who.role.allows(role):
            raise ForbiddenError(f"{who.name} is a {who.role.value}; this needs {role.value} or above")
        return who

    return check


Viewer = Annotated[Principal, Depends(_requires(Role.VIEWER))]
Trader = Annotated[Principal, Depends(_requires(Role.TRADER))]
Approver = Annotated[Principal, Depends(_requires(Role.APPROVER))]


def _service(request: Request) -> ConsoleService:
    service: ConsoleService = request.app.state.service
    return service


Service = Annotated[ConsoleService, Depends(_service)]
ThreadId = Annotated[str, Path(pattern=THREAD_ID)]
ItemId = Annotated[str, Path(min_length=1, max_length=128)]
PORTFOLIO = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,47}$"
Portfolio = Annotated[str, Path(pattern=PORTFOLIO)]
#: The events that end a stream read with ``until_done``.
_DONE_KINDS = ("ask", "approval", "trading_done")


def create_app(ctx: AppContext, *, backend: Literal["offline", "openai"] = "offline", bus: EventBus | None = None,
               tokens: TokenStore | None = None, warm: bool = True) -> FastAPI:
    """The console API over ``ctx`` (one home). ``warm`` builds the shared services now."""
    service = ConsoleService(ctx, backend, bus)
    if warm:
        service.warm()
    app = FastAPI(title="Taorui console API", version="1", default_response_class=SafeJSONResponse,
                  description="Ask the agents, approve orders, read runs, risk state and the audit log.")
    app.state.service = service
    app.state.tokens = tokens or TokenStore(ctx.settings.state_dir / TOKEN_FILE)
    app.add_exception_handler(TaoruiError, _handle_taorui)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _handle_unexpected)
    app.include_router(_api_router())
    mount_pages(app)
    return app


async def _handle_taorui(request: Request, exc: TaoruiError) -> SafeJSONResponse:
    return _error(exc)


async def _handle_unexpected(request: Request, exc: Exception) -> SafeJSONResponse:
    logger.error("unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
    return SafeJSONResponse({"error": {"type": "Internal", "message": "an unexpected error; see the server log"}},
                            status_code=500)


def _api_router() -> APIRouter:
    router = APIRouter(prefix="/api", responses=_ERRORS)
    _ask_routes(router)
    _approval_routes(router)
    _run_routes(router)
    _risk_routes(router)
    _trading_routes(router)
    _event_routes(router)
    return router


def _ask_routes(router: APIRouter) -> None:
    @router.get("/me", response_model=WhoAmI, summary="who the token belongs to")
    def me(who: Viewer) -> WhoAmI:
        return WhoAmI(name=who.name, role=who.role.value)

    @router.post("/ask", response_model=AskResult, summary="give the agents an instruction (trader)")
    def ask(body: AskRequest, who: Trader, service: Service) -> AskResult:
        return service.ask(who, body.instruction, body.thread_id)

    @router.get("/threads/{thread_id}", response_model=AskResult, summary="a thread's latest result")
    def thread(thread_id: ThreadId, who: Viewer, service: Service) -> AskResult:
        return service.thread(thread_id)


def _approval_routes(router: APIRouter) -> None:
    @router.get("/approvals", response_model=list[ApprovalItem], summary="what waits for a person")
    def approvals(who: Viewer, service: Service) -> list[ApprovalItem]:
        return service.approvals()

    @router.post("/approvals/{item_id}/approve", response_model=DecisionResult, summary="approve (approver)")
    def approve(item_id: ItemId, who: Approver, service: Service, body: DecisionRequest | None = None) -> DecisionResult:
        return service.decide(who, item_id, True, body.reason if body else "")

    @router.post("/approvals/{item_id}/reject", response_model=DecisionResult, summary="reject with a reason (approver)")
    def reject(item_id: ItemId, body: DecisionRequest, who: Approver, service: Service) -> DecisionResult:
        return service.decide(who, item_id, False, body.reason)


def _run_routes(router: APIRouter) -> None:
    @router.get("/runs", response_model=list[RunSummary], summary="run folders, newest first")
    def runs(who: Viewer, service: Service, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[RunSummary]:
        return service.runs(limit)

    @router.get("/runs/{run_id}", response_model=RunDetail, summary="one run: metrics, config, files")
    def run(run_id: ItemId, who: Viewer, service: Service) -> RunDetail:
        return service.run(run_id)

    @router.post("/runs/{run_id}/replay", response_model=ReplayResult,
                 summary="run again from the manifest and compare the metrics (trader)")
    def replay(run_id: ItemId, who: Trader, service: Service, body: ReplayRequest | None = None) -> ReplayResult:
        options = body or ReplayRequest()
        return service.replay(who, run_id, options.allow_data_change, options.rtol)

    @router.get("/runs/{run_id}/files/{name:path}", summary="a file of a run folder (only inside it)",
                response_class=FileResponse)
    def run_file(run_id: ItemId, name: str, who: Viewer, service: Service) -> FileResponse:
        return FileResponse(service.run_file(run_id, name))


def _trading_routes(router: APIRouter) -> None:
    @router.get("/trading", response_model=TradingOverview, summary="the paper portfolios and where each stands")
    def trading(who: Viewer, service: Service) -> TradingOverview:
        return service.trading()

    @router.get("/trading/{portfolio}", response_model=PortfolioView,
                summary="a portfolio's cycle: positions, P&L, the day's decisions, blocked orders")
    def portfolio(portfolio: Portfolio, who: Viewer, service: Service) -> PortfolioView:
        return service.portfolio(portfolio)

    @router.post("/trading/{portfolio}/run", response_model=TradingRunStarted, status_code=202,
                 summary="run a portfolio's trading cycle in the background, as `taorui trade run` (trader); "
                         "its events stream on /api/events")
    def run_cycle(portfolio: Portfolio, who: Trader, service: Service,
                  body: TradingRunRequest | None = None) -> TradingRunStarted:
        options = body or TradingRunRequest()
        return service.start_cycle(who, portfolio, options.day, options.until, options.mode)


def _risk_routes(router: APIRouter) -> None:
    @router.get("/risk", response_model=RiskView, summary="trading state and the policy (read-only)")
    def risk(who: Viewer, service: Service) -> RiskView:
        return service.risk()

    @router.post("/risk/kill-switch", response_model=KillSwitchResult, summary="halt or resume trading (approver)")
    def kill_switch(body: KillSwitchRequest, who: Approver, service: Service) -> KillSwitchResult:
        return service.kill_switch(who, body.on, body.reason)

    @router.get("/audit", response_model=AuditPage, summary="the newest audit rows")
    def audit(who: Viewer, service: Service, n: Annotated[int, Query(ge=1, le=1000)] = 50,
              kind: AuditKind | None = None, log: Literal["guardrails", "console"] = "guardrails") -> AuditPage:
        return service.audit(log, n, kind)

    @router.post("/audit/verify", response_model=AuditVerifyResult, summary="verify the audit chains")
    def verify(who: Viewer, service: Service) -> AuditVerifyResult:
        return service.verify(who)

    @router.get("/health", response_model=HealthReport, summary="data freshness, cycles, broker, memory")
    def health(who: Viewer, service: Service) -> HealthReport:
        return service.health()


def _event_routes(router: APIRouter) -> None:
    @router.get("/events", summary="server-sent events: progress of asks made through the API, and the "
                                   "events of trading cycles started through it", response_class=StreamingResponse)
    async def events(request: Request, who: Viewer, service: Service,
                     thread_id: Annotated[str | None, Query(pattern=THREAD_ID)] = None,
                     portfolio: Annotated[str | None, Query(pattern=PORTFOLIO)] = None,
                     after: Annotated[int | None, Query(ge=0)] = None, follow: bool = True,
                     until_done: bool = False,
                     timeout_s: Annotated[float, Query(gt=0, le=3600)] = 300.0) -> StreamingResponse:
        start = after if after is not None else _last_event_id(request, service.bus.last_seq)
        stream = _sse(request, service.bus, start, thread_id, portfolio, follow, until_done, timeout_s)
        return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _last_event_id(request: Request, default: int) -> int:
    """``Last-Event-ID`` (a reconnecting EventSource), else from now on."""
    text = request.headers.get("last-event-id", "")
    return int(text) if text.isdigit() else default


async def _sse(request: Request, bus: EventBus, after: int, thread_id: str | None, portfolio: str | None,
               follow: bool, until_done: bool, timeout_s: float) -> AsyncIterator[str]:
    """Events after ``after`` (of one thread, one portfolio, when given); with ``follow`` new ones
    as they come, until the timeout (or, with ``until_done``, the end of the thread's ask or
    approval, or of a cycle run: ``trading_done``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    quiet_since = loop.time()
    while True:
        events = bus.since(after, thread_id, portfolio)
        for event in events:
            after = event.seq
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {event.model_dump_json()}\n\n"
            if until_done and event.kind in _DONE_KINDS:
                return
        if not follow or loop.time() >= deadline or await request.is_disconnected():
            return
        if events:
            quiet_since = loop.time()
        elif loop.time() - quiet_since > 15:  # a comment line keeps proxies from closing the stream
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await asyncio.sleep(0.2)
