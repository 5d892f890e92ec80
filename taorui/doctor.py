"""``taorui doctor``: is this setup able to run, and what should the user fix if not.

Each check looks at one service or folder and answers with a typed :class:`Check`: ``ok``,
``warn`` (works, but something deserves attention), ``fail`` (configured and broken: the
command exits non-zero) or ``skip`` (not configured; the embedded default is used). Checks
only look: they build no store, write no record (a probe file in the state folder is
written and removed), and send the LLM one tiny request.

    data        the Qlib store under home/data: markets, their versions, the sample's version
    state       home/state writable (SQLite state, audit log, checkpoints)
    memory      the local Chroma folder, or the Chroma server: heartbeat, version, and that
                every Taorui collection was embedded with our model
    embedding   the bundled embedding model's files
    llm         offline planner, or the endpoint: reachable, the model listed, one tool call
                round trip with ``tool_choice`` sent
    ray         TAORUI_RAY_ADDRESS answers (grid searches and multi-seed RL training run there)
    database    TAORUI_DATABASE_URL: Postgres answers, logs us in, and lets us create schemas
    console     the console's token store

Nothing here imports LangChain, FastAPI or an engine (only the data catalog's JSON reader):
Chroma loads only when a local memory store exists or a server is named.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from taorui.settings import ChromaServer, Settings

__all__ = ["NOT_BUILT", "Check", "CheckStatus", "DoctorReport", "run_doctor"]

logger = logging.getLogger(__name__)

CheckStatus = Literal["ok", "warn", "fail", "skip"]

#: Backends that a setting names but Taorui does not implement yet (DESIGN/issue 19). A check
#: of such a setting still tests the address, then says plainly that nothing uses it.
NOT_BUILT: dict[str, str] = {}

_PROBE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "report_status", "description": "Report the status word.",
                 "parameters": {"type": "object", "properties": {"status": {"type": "string"}},
                                "required": ["status"]}},
}


class Check(BaseModel):
    """One thing looked at, and what was found."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="What was checked (data, state, memory, llm, ...).")
    status: CheckStatus = Field(description="ok, warn, fail (configured and broken) or skip (not configured).")
    summary: str = Field(description="What was found, in a sentence.")
    fix: str | None = Field(default=None, description="What to do about it, when something is wrong.")
    details: dict[str, JsonValue] = Field(default_factory=dict, description="Versions, counts, addresses.")
    seconds: float = Field(default=0.0, description="How long the check took.")


class DoctorReport(BaseModel):
    """Every check, and whether the setup is usable as configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool = Field(description="False when any check failed.")
    home: str = Field(description="TAORUI_HOME checked.")
    checks: tuple[Check, ...] = Field(description="One per service or folder, in a fixed order.")

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if c.status == "fail")


def _check(name: str, status: CheckStatus, summary: str, fix: str | None = None, /,
           **details: JsonValue) -> Check:
    return Check(name=name, status=status, summary=summary, fix=fix, details=details)


def run_doctor(settings: Settings, timeout_s: float = 10.0) -> DoctorReport:
    """Run every check against ``settings`` (each network call waits at most ``timeout_s``)."""
    checks: list[Callable[[], Check]] = [
        lambda: check_data(settings), lambda: check_state(settings), lambda: check_embedding(),
        lambda: check_memory(settings, timeout_s), lambda: check_llm(settings, timeout_s),
        lambda: check_ray(settings, timeout_s), lambda: check_database(settings, timeout_s),
        lambda: check_console(settings),
    ]
    results = [_timed(c) for c in checks]
    return DoctorReport(ok=not any(c.status == "fail" for c in results), home=str(settings.home),
                        checks=tuple(results))


def _timed(check: Callable[[], Check]) -> Check:
    start = time.perf_counter()
    result = check()
    return result.model_copy(update={"seconds": round(time.perf_counter() - start, 3)})


# -- local folders ---------------------------------------------------------------------------


def check_data(settings: Settings) -> Check:
    """The data store: its markets, their versions, and whether the sample is current."""
    from taorui_engines.data._listing import SAMPLE_VERSION, StoreListing, sample_is_current

    listing = StoreListing(settings.data_dir)
    try:
        metas = listing.all_meta()
    except (OSError, ValueError) as exc:
        return _check("data", "fail", f"the data store at {settings.data_dir} cannot be read: {exc}",
                      f"move {settings.data_dir} away; the sample store is rebuilt on first use")
    versions: dict[str, JsonValue] = {m.market: {"version": m.version, "sample_version": m.sample_version,
                                                 "instruments": len(m.instruments)} for m in metas}
    if not metas:
        return _check("data", "warn", f"no data store at {settings.data_dir} yet",
                      "nothing to do: the embedded sample store is built on first use (or run `taorui data list`)",
                      path=str(settings.data_dir))
    if not sample_is_current(listing):
        return _check("data", "warn", f"the sample markets are missing or older than version {SAMPLE_VERSION}",
                      "run `taorui data list`: it rebuilds the sample markets (your own markets are kept)",
                      path=str(settings.data_dir), markets=versions)
    count = sum(len(m.instruments) for m in metas)
    return _check("data", "ok", f"{len(metas)} market(s), {count} instrument(s), sample version {SAMPLE_VERSION}",
                  path=str(settings.data_dir), markets=versions)


def check_state(settings: Settings) -> Check:
    """The state folder exists (or can be made) and takes a write."""
    folder = settings.state_dir
    existing = folder if folder.exists() else next((p for p in folder.parents if p.exists()), None)
    if existing is None or not existing.is_dir():
        return _check("state", "fail", f"{folder} cannot be created: {existing} is not a folder",
                      "set TAORUI_HOME to a folder you own")
    probe = existing / f".taorui-doctor-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return _check("state", "fail", f"{existing} is not writable ({exc.strerror or exc})",
                      f"give your user write access to {existing}, or set TAORUI_HOME elsewhere")
    where = "writable" if folder.exists() else f"not made yet; {existing} is writable"
    files = sorted(p.name for p in folder.glob("*.sqlite")) if folder.exists() else []
    return _check("state", "ok", f"{folder} {where}", path=str(folder), databases=list(files))


def check_embedding() -> Check:
    """The bundled embedding model's files are installed (they are not loaded here)."""
    from memory._embedding import EMBEDDING_DIM, EMBEDDING_MODEL, model_path
    from taorui_engines.errors import TaoruiError

    try:
        path = model_path()
    except TaoruiError as exc:
        return _check("embedding", "fail", exc.message, "reinstall Taorui's dependencies (pip install -e .)")
    return _check("embedding", "ok", f"{EMBEDDING_MODEL} ({EMBEDDING_DIM}-d) at {path}",
                  model=EMBEDDING_MODEL, dim=EMBEDDING_DIM)


# -- memory ----------------------------------------------------------------------------------


def check_memory(settings: Settings, timeout_s: float) -> Check:
    """The local Chroma folder, or the Chroma server named by TAORUI_CHROMA_URL."""
    server = settings.chroma_server
    if server is None:
        return _local_memory(settings.memory_dir)
    return _server_memory(server, timeout_s)


def _local_memory(path: Path) -> Check:
    if not (path / "chroma.sqlite3").exists():
        return _check("memory", "ok", f"local store at {path} (empty: made on first use)", backend="local",
                      path=str(path))
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
        found = _collections(client)
    except Exception as exc:  # a broken folder: say so, whatever Chroma raised
        return _check("memory", "fail", f"the local store at {path} does not open: {type(exc).__name__}: {exc}",
                      f"move {path} away and run `taorui memory sync` to rebuild it from the run folders",
                      backend="local", path=str(path))
    return _judge_collections(found, f"local store at {path}", backend="local", path=str(path))


def _server_memory(server: ChromaServer, timeout_s: float) -> Check:
    try:
        beat = httpx.get(f"{server.url}/api/v2/heartbeat", timeout=timeout_s)
        beat.raise_for_status()
        version = httpx.get(f"{server.url}/api/v2/version", timeout=timeout_s).json()
    except httpx.HTTPError as exc:
        return _check("memory", "fail", f"no Chroma server answers at {server.url} ({_why(exc)})",
                      "start it (`chroma run --path DIR --host 0.0.0.0 --port 8000`) or fix TAORUI_CHROMA_URL; "
                      "unset it to use the local store", backend="server", url=server.url)
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.HttpClient(host=server.host, port=server.port, ssl=server.ssl,
                                     settings=ChromaSettings(anonymized_telemetry=False))
        found = _collections(client)
    except Exception as exc:  # the server answered the heartbeat but not the API
        return _check("memory", "fail", f"the Chroma server at {server.url} answers but its API fails: {exc}",
                      f"use a Chroma server of version {_client_version()} (this client's)", backend="server",
                      url=server.url, server_version=str(version))
    return _judge_collections(found, f"Chroma server {server.url} (version {version})", backend="server",
                              url=server.url, server_version=str(version), client_version=_client_version())


def _client_version() -> str:
    import chromadb

    return str(chromadb.__version__)


def _collections(client: Any) -> dict[str, dict[str, JsonValue]]:
    """Taorui's collections (``taorui_*``) with their embedding model and size."""
    found: dict[str, dict[str, JsonValue]] = {}
    for collection in client.list_collections():
        if collection.name.startswith("taorui_"):
            meta = collection.metadata or {}
            found[collection.name] = {"embedding_model": meta.get("embedding_model"),
                                      "embedding_dim": meta.get("embedding_dim"), "count": collection.count()}
    return found


def _judge_collections(found: dict[str, dict[str, JsonValue]], where: str, **details: JsonValue) -> Check:
    from memory._embedding import EMBEDDING_DIM, EMBEDDING_MODEL

    wrong = [name for name, info in found.items()
             if info["embedding_model"] != EMBEDDING_MODEL or info["embedding_dim"] != EMBEDDING_DIM]
    details = {**details, "collections": dict(found)}
    if wrong:
        return _check("memory", "fail", f"{where}: {', '.join(wrong)} embedded with another model, not "
                      f"{EMBEDDING_MODEL}", "point TAORUI_CHROMA_URL / TAORUI_HOME at another store, or move "
                      "this one away and run `taorui memory sync`", **details)
    records = sum(int(str(info["count"])) for info in found.values())
    return _check("memory", "ok", f"{where}: {len(found)} collection(s), {records} record(s), "
                  f"embedded with {EMBEDDING_MODEL}", **details)


# -- LLM -------------------------------------------------------------------------------------


def check_llm(settings: Settings, timeout_s: float) -> Check:
    """The offline planner, or the OpenAI-compatible endpoint: reachable, model listed, a tool call."""
    if settings.llm_backend == "offline" and settings.llm_base_url is None:
        return _check("llm", "skip", "offline planner (no model server configured)", backend="offline")
    url = (settings.llm_base_url or "https://api.openai.com/v1").rstrip("/")
    if settings.llm_base_url is None and settings.llm_api_key is None:
        return _check("llm", "fail", "TAORUI_LLM_BACKEND=openai but neither an endpoint nor a key is set",
                      "set TAORUI_LLM_BASE_URL (a vLLM / llama.cpp / Ollama server) or TAORUI_LLM_API_KEY")
    headers = {"Authorization": f"Bearer {settings.llm_api_key.get_secret_value()}"} if settings.llm_api_key else {}
    with httpx.Client(base_url=url, headers=headers, timeout=timeout_s) as client:
        result = _llm_round_trip(client, url, settings.llm_model)
    if result.status != "fail" and settings.llm_backend == "offline":
        note = "; but TAORUI_LLM_BACKEND is offline, so asks use the offline planner"
        return result.model_copy(update={"status": "warn", "summary": result.summary + note,
                                         "fix": "set TAORUI_LLM_BACKEND=openai to use this endpoint"})
    return result


def _llm_round_trip(client: httpx.Client, url: str, model: str) -> Check:
    details: dict[str, JsonValue] = {"backend": "openai", "url": url, "model": model}
    listed = _listed_models(client, url, model, details)
    if listed is not None:
        return listed
    return _tool_call(client, url, model, details)


def _listed_models(client: httpx.Client, url: str, model: str, details: dict[str, JsonValue]) -> Check | None:
    """A failed check when the endpoint is down or lacks the model; None to go on."""
    try:
        answer = client.get("/models")
    except httpx.HTTPError as exc:
        return _check("llm", "fail", f"no model server answers at {url} ({_why(exc)})",
                      "start the model server, or fix TAORUI_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)",
                      **details)
    if answer.status_code in (401, 403):
        return _check("llm", "fail", f"{url} refused the key ({answer.status_code})",
                      "check TAORUI_LLM_API_KEY", **details)
    if answer.status_code != 200:
        details["models_listed"] = None  # some servers do not list models: the round trip decides
        return None
    ids = [str(m.get("id")) for m in _json(answer).get("data", []) if isinstance(m, dict)]
    details["models_listed"] = list(ids)
    if model not in ids:
        return _check("llm", "fail", f"{url} does not serve the model {model!r} (it lists {', '.join(ids) or 'none'})",
                      "set TAORUI_LLM_MODEL to one of the listed names (vLLM: the --served-model-name)", **details)
    return None


def _tool_call(client: httpx.Client, url: str, model: str, details: dict[str, JsonValue]) -> Check:
    body = {"model": model, "max_tokens": 64, "temperature": 0, "tools": [_PROBE_TOOL], "tool_choice": "auto",
            "messages": [{"role": "user", "content": "Call report_status with status set to ok."}]}
    try:
        answer = client.post("/chat/completions", json=body)
    except httpx.HTTPError as exc:
        return _check("llm", "fail", f"the chat request to {url} failed ({_why(exc)})",
                      "check the model server's log; raise TAORUI_LLM_TIMEOUT_S if it is only slow", **details)
    if answer.status_code != 200:
        return _check("llm", "fail", f"{url} answered a tool-call request with HTTP {answer.status_code}: "
                      f"{answer.text[:200]}", _TOOL_FLAGS, **details)
    calls = _tool_calls(_json(answer))
    if not calls:
        return _check("llm", "fail", f"{model} at {url} answered without a tool call although tool_choice was sent",
                      _TOOL_FLAGS, **details)
    name, arguments = calls[0]
    details["tool_call"] = {"name": name, "arguments": arguments}
    if name != "report_status" or not _is_json_object(arguments):
        return _check("llm", "warn", f"{model} at {url} makes tool calls, but this one was malformed "
                      f"({name}: {arguments[:80]!r}); Taorui repairs or refuses such calls",
                      "a larger model, or the server's tool-call parser for this model, gives cleaner calls",
                      **details)
    return _check("llm", "ok", f"{model} at {url}: listed, and a tool-call round trip works", **details)


_TOOL_FLAGS = ("start the server with tool calling on: vLLM `--enable-auto-tool-choice --tool-call-parser hermes` "
               "(Qwen/Hermes) or `llama3_json` (Llama 3.x); llama.cpp `--jinja`; see docs/deploy.md")


def _tool_calls(payload: dict[str, Any]) -> list[tuple[str, str]]:
    choices = payload.get("choices") or [{}]
    message = (choices[0].get("message") or {}) if isinstance(choices[0], dict) else {}
    calls = message.get("tool_calls") or []
    return [(str(c.get("function", {}).get("name")), str(c.get("function", {}).get("arguments", "")))
            for c in calls if isinstance(c, dict)]


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        payload = answer.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _why(exc: Exception) -> str:
    """A short reason for a network error (the exception's text is often empty)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- services on other machines -------------------------------------------------------------


def check_ray(settings: Settings, timeout_s: float) -> Check:
    """TAORUI_RAY_ADDRESS answers on TCP; and whether anything uses it."""
    address = settings.ray_address
    if address is None:
        return _check("ray", "skip", "not configured: experiments run in-process")
    if address in ("auto", "local"):
        return _check("ray", "warn", f"TAORUI_RAY_ADDRESS={address}: Ray finds the cluster itself; not checked here",
                      "give the head's host:port to have it checked", address=address)
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    default = 10001 if "://" in address else 6379
    return _service("ray", "TAORUI_RAY_ADDRESS", parts.hostname or "", parts.port or default, timeout_s,
                    "start the head (`ray start --head`) or fix TAORUI_RAY_ADDRESS")


def check_database(settings: Settings, timeout_s: float) -> Check:
    """TAORUI_DATABASE_URL: the port answers, Postgres logs us in, and we may create schemas
    (each state file becomes one; see taorui_engines/sqlstore.py)."""
    if settings.database_url is None:
        return _check("database", "skip", f"not configured: SQLite files under {settings.state_dir}")
    url = settings.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 5432
    reached = _service("database", "TAORUI_DATABASE_URL", host, port, timeout_s,
                       "start Postgres or fix TAORUI_DATABASE_URL")
    if reached.status != "ok":
        return reached
    try:
        import psycopg
    except ImportError:
        return _check("database", "fail", "TAORUI_DATABASE_URL is set but psycopg is not installed",
                      "pip install 'taorui[postgres]'", host=host, port=port)
    try:
        with psycopg.connect(url, connect_timeout=max(1, round(timeout_s))) as conn:
            row = conn.execute("SELECT current_setting('server_version'), current_user, current_database(),"
                               " has_database_privilege(current_database(), 'CREATE')").fetchone()
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _check("database", "fail", f"{host}:{port} answers but Postgres did not let us in: {first}",
                      "check the user, password and database name in TAORUI_DATABASE_URL", host=host, port=port)
    assert row is not None
    version, user, database, can_create = row
    if not can_create:
        return _check("database", "fail", f"Postgres {version}: user {user} may not create schemas in {database}",
                      f"GRANT CREATE ON DATABASE {database} TO {user}", host=host, port=port)
    return _check("database", "ok", f"Postgres {version} at {host}:{port}, database {database} as {user}: the gate's "
                  "ledger, approvals, audit log, the paper book and graph checkpoints live there",
                  host=host, port=port, version=str(version), built=True)


def _service(name: str, setting: str, host: str, port: int, timeout_s: float, fix: str) -> Check:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        later = f" (and note: {NOT_BUILT[name]})" if name in NOT_BUILT else ""
        return _check(name, "fail", f"{setting}: nothing answers at {host}:{port} ({exc.strerror or exc})",
                      fix + later, host=host, port=port, built=name not in NOT_BUILT)
    if name in NOT_BUILT:
        return _check(name, "warn", f"{host}:{port} answers; but {NOT_BUILT[name]}",
                      f"nothing to fix; unset {setting} to silence this", host=host, port=port, built=False)
    return _check(name, "ok", f"{host}:{port} answers", host=host, port=port, built=True)


# -- console ---------------------------------------------------------------------------------

#: The console's token database under the state folder (``taorui.server.TOKEN_FILE``; read
#: here with sqlite3 so that the doctor does not import FastAPI).
TOKEN_FILE = "console_tokens.sqlite"


def _console_on_postgres(path: Path) -> Check:
    """The token store's Postgres schema (``taorui_engines/sqlstore.py``): how many are active."""
    from taorui_engines import sqlstore
    from taorui_engines.errors import TaoruiError

    url = sqlstore.database_url()
    if url is None:  # pragma: no cover - the caller checked the setting
        return _check("console", "skip", "no database configured")
    conn = sqlstore.connect_pg(url, path, "console tokens")
    try:
        if "role" not in conn.columns("tokens"):
            return _check("console", "ok", "no console tokens yet (the console on 127.0.0.1 needs none to start)",
                          "before serving others: `taorui serve token add --name NAME --role approver`",
                          schema=sqlstore.namespace(path))
        rows = conn.execute("SELECT role, revoked FROM tokens").fetchall()
    except TaoruiError as exc:
        return _check("console", "fail", f"the token store in Postgres cannot be read ({exc})",
                      "fix TAORUI_DATABASE_URL (see the database check)", schema=sqlstore.namespace(path))
    finally:
        conn.close()
    active = [str(role) for role, revoked in rows if revoked is None]
    roles: dict[str, JsonValue] = {r: active.count(r) for r in sorted(set(active))}
    status: CheckStatus = "ok" if active else "warn"
    fix = None if active else "add one: `taorui serve token add --name NAME --role approver`"
    return _check("console", status, f"{len(active)} active token(s), {len(rows) - len(active)} revoked (Postgres)",
                  fix, schema=sqlstore.namespace(path), roles=roles)


def check_console(settings: Settings) -> Check:
    """The console's bearer-token store: readable, and how many tokens are active."""
    path = settings.state_dir / TOKEN_FILE
    if settings.database_url is not None:
        return _console_on_postgres(path)
    if not path.exists():
        return _check("console", "ok", "no console tokens yet (the console on 127.0.0.1 needs none to start)",
                      "before serving others: `taorui serve token add --name NAME --role approver`", path=str(path))
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
            rows = conn.execute("SELECT role, revoked FROM tokens").fetchall()
    except sqlite3.Error as exc:
        return _check("console", "fail", f"the token store {path} cannot be read ({exc})",
                      f"move {path} away and make new tokens with `taorui serve token add`", path=str(path))
    active = [role for role, revoked in rows if revoked is None]
    roles: dict[str, JsonValue] = {r: active.count(r) for r in sorted(set(active))}
    status: CheckStatus = "ok" if active else "warn"
    fix = None if active else "add one: `taorui serve token add --name NAME --role approver`"
    return _check("console", status, f"{len(active)} active token(s), {len(rows) - len(active)} revoked", fix,
                  path=str(path), roles=roles)
