"""The composition root: the one place that builds the application's objects.

Settings go in; the data center, the paper broker, the guardrail gate, memory, the tools'
context, the graph's dependencies and the orchestrator come out. The CLI, ``langgraph.json``
(:func:`make_graph`), the evals, the benchmarks and the tests all take their objects from an
:class:`AppContext`, so no path gets a second, differently configured gate or broker.

Every service is built on first use and its package imported there: a command pays only for
what it touches (``ask --plan-only`` touches none of these; see docs/benchmarks.md). What a
test or a benchmark must change (the gate's wall clock, the policy, the chat model, memory
left out, any other :class:`graphs.GraphDeps` field) is a parameter here, never a patch on a
built object.

The sections, in dependency order: engines and state; guardrails; agents and graphs. A new
section (the trading-cycle desk) goes after the graph section, built the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from taorui.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agents.llm import LLMConfig
    from graphs import GraphDeps, Orchestrator
    from graphs.trading import TradingDesk
    from guardrails import AuditLog, Clock, Gate, Policy, SessionClock
    from memory import MemoryStore
    from taorui_engines.brokers.models import Broker
    from taorui_engines.data import DataCenter
    from taorui_engines.factor_mining import ExternalProposer, MiningRequest
    from taorui_engines.progress import ProgressReporter
    from taorui_engines.trading import PortfolioSpec
    from tools._context import ToolContext
    from tools.trading_tools import TradingPort

__all__ = ["AppContext", "make_graph", "market_session_clock"]


def market_session_clock(data: DataCenter, state_dir: Path) -> SessionClock:
    """Market time of a replay session: just after the close of the newest bar in the store,
    advancing with the wall clock and shared by every process of the home (``state_dir``)."""
    from guardrails import SessionClock

    newest = max(i.end for i in data.list_instruments())
    anchor = datetime.fromisoformat(newest).replace(tzinfo=UTC) + timedelta(hours=16, minutes=5)
    return SessionClock(anchor, state_dir / "session_clock.json")


class AppContext:
    """Settings plus lazily built services; one per command invocation (or test home).

    Frozen: what it is built with is set at construction; each service is built once, on
    first use (``cached_property``), and shared by everything built after it. (A plain class,
    not a dataclass: the LangGraph tooling executes this file outside ``sys.modules``, where
    a dataclass with postponed annotations cannot be built.)
    """

    settings: Settings
    #: No progress bars (evals, benchmarks, tests, the LangGraph server).
    quiet: bool
    #: The gates' wall clock (audit times, rate and duplicate windows); the system clock if None.
    wall_clock: Clock | None
    #: The risk policy in force; None reads ``settings.risk_policy_file`` (else the shipped one).
    policy: Policy | None
    #: False leaves long-term memory out of the tools and the graph (its model load is slow).
    with_memory: bool

    def __init__(self, settings: Settings, quiet: bool = False, *, wall_clock: Clock | None = None,
                 policy: Policy | None = None, with_memory: bool = True) -> None:
        given = {"settings": settings, "quiet": quiet, "wall_clock": wall_clock, "policy": policy,
                 "with_memory": with_memory}
        self.__dict__.update(given)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"AppContext is frozen: pass {name!r} when building it")

    def __repr__(self) -> str:
        return f"AppContext(home={str(self.settings.home)!r}, quiet={self.quiet}, with_memory={self.with_memory})"

    # -- engines and state ------------------------------------------------------------------

    @cached_property
    def progress(self) -> ProgressReporter:
        """Terminal progress bars (silent when stderr is not a terminal or quiet)."""
        from taorui_engines.progress import TerminalProgress

        return TerminalProgress(enabled=False if self.quiet else None)

    @cached_property
    def data(self) -> DataCenter:
        """The data center, with the embedded sample store built on first use."""
        from taorui_engines.data import DataCenter, ensure_sample_store

        center = DataCenter(self.settings.data_dir, progress=self.progress)
        ensure_sample_store(center, self.progress)
        return center

    @cached_property
    def session_clock(self) -> SessionClock:
        """Market time of the replay session (see :func:`market_session_clock`)."""
        return market_session_clock(self.data, self.settings.state_dir)

    @cached_property
    def broker(self) -> Broker:
        """The paper broker at ``state_dir/paper_broker.sqlite``: for the gate and a person's
        ``broker`` commands, never for agents. Its clock is the session's market clock."""
        from taorui_engines.brokers.paper import PaperBroker

        return PaperBroker(self.settings.state_dir / "paper_broker.sqlite", self.data, clock=self.session_clock)

    @cached_property
    def memory(self) -> MemoryStore:
        """Long-term memory: a Chroma server when TAORUI_CHROMA_URL (or the older
        TAORUI_CHROMA_HOST) is set, else ``home/memory``.

        Cheap to build: Chroma and the embedding model load on the first operation.
        """
        from memory import MemoryConfig, MemoryStore

        server = self.settings.chroma_server
        if server is None:
            return MemoryStore(MemoryConfig(path=self.settings.memory_dir))
        return MemoryStore(MemoryConfig(path=self.settings.memory_dir, host=server.host, port=server.port,
                                        ssl=server.ssl))

    # -- guardrails -------------------------------------------------------------------------

    @cached_property
    def risk_policy(self) -> Policy:
        """The policy given, else TAORUI_RISK_POLICY_FILE, else the one shipped in guardrails."""
        if self.policy is not None:
            return self.policy
        from guardrails import load_policy

        return load_policy(self.settings.risk_policy_file)

    @cached_property
    def gate(self) -> Gate:
        """The guardrail gate in front of the paper broker, on the wall clock (``risk`` commands)."""
        return self.make_gate()

    @cached_property
    def session_gate(self) -> Gate:
        """The gate on the session's market clock: what ``ask``, ``resume`` and approvals use."""
        return self.make_gate(clock=self.session_clock)

    def make_gate(self, policy: Policy | None = None, clock: Clock | None = None) -> Gate:
        """A gate over the paper broker with another policy or market clock (``risk check --as-of``)."""
        from guardrails import Gate, system_clock
        from tools.order_tools import DataCenterReference

        return Gate(policy or self.risk_policy, self.broker, DataCenterReference(lambda: self.data),
                    self.settings.state_dir, clock=clock or system_clock, wall_clock=self.wall_clock or system_clock,
                    anchor_dir=self.settings.anchor_dir)

    @cached_property
    def audit_log(self) -> AuditLog:
        """The guardrails' hash-chained audit log (read by ``taorui audit``)."""
        from guardrails import AUDIT_FILE, AuditLog

        return AuditLog(self.settings.state_dir / AUDIT_FILE, anchor_dir=self.settings.anchor_dir)

    # -- agents and graphs ------------------------------------------------------------------

    def tool_context(self, agent: str = "user") -> ToolContext:
        """The dependencies injected into tools: execute tools go through the session gate."""
        from tools._context import ToolContext

        return ToolContext(data=self.data, runs_dir=self.settings.runs_dir, state_dir=self.settings.state_dir,
                           progress=self.progress, memory=self.memory if self.with_memory else None,
                           gate=self.session_gate, trading=self.trading_port, agent=agent,
                           ray_address=self.settings.ray_address,
                           factor_proposer=self.factor_proposer if self.llm_backend() == "openai" else None)

    def factor_proposer(self, request: MiningRequest) -> ExternalProposer:
        """The LLM factor proposer for one mining request, on the configured model (built on use)."""
        from agents.llm import build_chat_model
        from agents.mining import LLMFactorProposer

        config = self.llm_config("openai")
        return LLMFactorProposer(build_chat_model(config), config, request.token_budget, request.cost_budget_usd,
                                 request.language)

    def llm_backend(self, backend: str | None = None) -> Literal["offline", "openai"]:
        """The LLM backend asked for, else the settings' one."""
        return "openai" if (backend or self.settings.llm_backend) == "openai" else "offline"

    def llm_config(self, backend: str | None = None) -> LLMConfig:
        """The chat model's configuration from the settings, on ``backend`` if given."""
        from agents.llm import LLMConfig

        s = self.settings
        return LLMConfig(backend=self.llm_backend(backend), base_url=s.llm_base_url, model=s.llm_model,
                         api_key=s.llm_api_key, timeout_s=s.llm_timeout_s, max_retries=s.llm_max_retries,
                         token_budget=s.llm_token_budget, cost_budget_usd=s.llm_cost_budget_usd,
                         temperature=s.llm_temperature, seed=s.llm_seed)

    @property
    def router_dir(self) -> str:
        """Where the offline planner's intent router is cached."""
        return str(self.settings.cache_dir / "router")

    def build_deps(self, backend: str | None = None, *, model: BaseChatModel | None = None,
                   llm: LLMConfig | None = None, **fields: Any) -> GraphDeps:
        """The graph's dependencies: tools, the gate on the session clock, paper fills, memory.

        ``model`` and ``llm`` replace the chat model and its configuration (built from the
        settings otherwise); ``fields`` set any other :class:`graphs.GraphDeps` field
        (``executor=None`` lets the model run the agents' tools itself).
        """
        from graphs import GraphDeps

        config = llm or self.llm_config(backend)
        if "executor" not in fields:
            fields["executor"] = self._default_executor(config)
        return GraphDeps(**{**self._graph_fields(), **fields}, llm=config,
                         model=model or self._chat_model(config))

    def build_orchestrator(self, backend: str | None = None, *, model: BaseChatModel | None = None,
                           llm: LLMConfig | None = None, **fields: Any) -> Orchestrator:
        """The graph wired to this home, with the SQLite checkpointer under ``state_dir``
        (arguments as :meth:`build_deps`)."""
        from graphs import Orchestrator, open_checkpointer

        state_dir = self.settings.state_dir
        deps = self.build_deps(backend, model=model, llm=llm, **fields)
        return Orchestrator(deps, open_checkpointer(state_dir), lock_dir=state_dir)

    def _graph_fields(self) -> dict[str, Any]:
        """GraphDeps' fields that come from this home (everything but the model and executor)."""
        from graphs.adapters import GateDesk, GateMarket, MemoryAdapter
        from tools.order_tools import EXECUTE_TOOLS
        from tools.registry import all_tools

        gate = self.session_gate
        return {"tool_context": self.tool_context(), "tools": {**all_tools(), **{t.name: t for t in EXECUTE_TOOLS}},
                "desk": GateDesk(gate), "market": GateMarket(gate),
                "memory": MemoryAdapter(self.memory, self.settings.runs_dir) if self.with_memory else None,
                "approval_ttl_minutes": self.risk_policy.approvals.expires_after_minutes}

    def _chat_model(self, config: LLMConfig) -> BaseChatModel:
        from agents.llm import build_chat_model

        return build_chat_model(config, router_dir=self.router_dir)

    def _default_executor(self, config: LLMConfig) -> BaseChatModel | None:
        """The task executor runs every backend's spec, unless an LLM is to run the agents itself."""
        if config.backend == "openai" and self.settings.llm_agents:
            return None
        from agents.llm import build_executor

        return build_executor(router_dir=self.router_dir)

    # -- trading ----------------------------------------------------------------------------

    @cached_property
    def trading_desk(self) -> TradingDesk:
        """Paper portfolios and their trading cycles under ``home/trading`` (``taorui trade``)."""
        return self.new_trading_desk()

    def new_trading_desk(self) -> TradingDesk:
        """A desk of its own over the same portfolios (as another ``taorui trade`` process would
        have): for a long cycle run in the background while the shared desk serves reads."""
        from graphs.trading import TradingDesk

        return TradingDesk(self.settings.home / "trading", self.data, self.settings.runs_dir, self.portfolio_gate,
                           self._policy_text, approval_ttl_minutes=self.risk_policy.approvals.expires_after_minutes,
                           wall=self.wall_clock, progress=self.progress)

    def portfolio_gate(self, folder: Path, spec: PortfolioSpec, clock: Clock) -> Gate:
        """The gate of one paper portfolio: its own paper account (the spec's cash and costs), ledger,
        approvals and audit log in ``folder``, its risk policy ``folder/policy.yaml``, on ``clock``."""
        from guardrails import Gate, load_policy, system_clock
        from taorui_engines.brokers.paper import PaperBroker, PaperConfig
        from tools.order_tools import DataCenterReference

        config = PaperConfig(initial_cash=spec.initial_cash, commission_rate=spec.commission_rate,
                             slippage=spec.slippage)
        broker = PaperBroker(folder / "paper_broker.sqlite", self.data, config, clock=clock)
        return Gate(load_policy(folder / "policy.yaml"), broker, DataCenterReference(lambda: self.data),
                    folder / "gate", clock=clock, wall_clock=self.wall_clock or system_clock,
                    anchor_dir=self.settings.anchor_dir)

    def _policy_text(self) -> str:
        """The risk policy a new portfolio starts with: this home's, as YAML."""
        import yaml

        if self.policy is None and self.settings.risk_policy_file is not None:
            return Path(self.settings.risk_policy_file).read_text()
        return yaml.safe_dump(self.risk_policy.model_dump(mode="json", exclude={"version_hash"}), sort_keys=False,
                              allow_unicode=True)

    @cached_property
    def trading_port(self) -> TradingPort:
        """The desk as the agents' tools see it (portfolios made by an instruction run supervised)."""
        from graphs.trading._port import DeskPort

        return DeskPort(self.trading_desk, self._latest_lightgbm)

    def _latest_lightgbm(self) -> str | None:
        from taorui_engines.runs import list_runs

        runs = self.settings.runs_dir
        done = [r.run_id for r in list_runs(runs, "qlib_model")
                if r.state == "done" and (runs / r.run_id / "model_lightgbm.txt").exists()]
        return max(done) if done else None


def make_graph(config: Any = None) -> Any:
    """The compiled graph for the standard LangGraph tooling (``langgraph.json``).

    Settings come from the environment (TAORUI_HOME, TAORUI_LLM_*); no checkpointer is
    attached because a LangGraph server brings its own persistence.
    """
    from graphs import compile_graph
    from taorui.settings import load_settings

    return compile_graph(AppContext(settings=load_settings(), quiet=True).build_deps())
