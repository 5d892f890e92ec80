"""Memory on a Chroma server named by TAORUI_CHROMA_URL: the app's store talks to it, and
it answers a search exactly as a local store holding the same records does.

A real ``chroma run`` server is started on loopback for this module and stopped after.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from memory import MemoryConfig, MemoryKind, MemoryRecord, MemoryStore
from taorui.settings import Settings, load_settings
from taorui.wiring import AppContext

from .test_memory_records import factor, journal, run, strategy

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a Chroma server run for this module."""
    folder = tmp_path_factory.mktemp("chroma-url")
    port = _free_port()
    with (folder / "server.log").open("w") as log:
        proc = subprocess.Popen([str(CHROMA), "run", "--path", str(folder / "db"), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, proc, folder / "server.log")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{url}/api/v2/heartbeat", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("chroma server did not answer within 60 s")


def _records() -> list[MemoryRecord]:
    volatility = factor("Std($close/Ref($close,1)-1,20)", name="VOL20", description="20-day volatility of returns",
                        rank_icir=0.2, status="rejected")
    return [factor(), volatility, strategy(), run(), journal()]


def test_chroma_url_points_the_apps_memory_at_the_server(chroma_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, chroma_url=chroma_url)

    store = AppContext(settings=settings).memory

    assert store.config.backend == "server"
    assert f"http://{store.config.location}" == chroma_url


def test_the_older_chroma_host_setting_still_names_a_server(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.setenv("TAORUI_CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("TAORUI_CHROMA_PORT", "8100")

    server = load_settings(home=tmp_path).chroma_server

    assert server is not None and (server.host, server.port, server.ssl) == ("chroma.internal", 8100, False)


def test_chroma_url_wins_over_the_older_host_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAORUI_CHROMA_HOST", "old-host")
    monkeypatch.setenv("TAORUI_CHROMA_URL", "https://new-host")

    server = load_settings(home=tmp_path).chroma_server

    assert server is not None and server.url == "https://new-host:443"


def test_without_a_chroma_url_memory_is_the_local_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TAORUI_CHROMA_URL", "TAORUI_CHROMA_HOST"):
        monkeypatch.delenv(name, raising=False)

    store = AppContext(settings=load_settings(home=tmp_path)).memory

    assert store.config.backend == "local" and store.config.path == tmp_path / "memory"


def test_server_store_answers_searches_as_the_local_store_does(chroma_url: str, tmp_path: Path) -> None:
    server = AppContext(settings=Settings(home=tmp_path / "a", chroma_url=chroma_url)).memory
    local = MemoryStore(MemoryConfig(path=tmp_path / "b" / "memory"))
    queries: list[tuple[str, MemoryKind | None]] = [("price volatility factor", None), ("gold strategy", None),
                                                    ("momentum", "factors")]
    try:
        for store in (server, local):
            store.add_many(_records())

        answers = [[[(h.id, round(h.score, 4)) for h in store.search(q, kind=k, limit=5)] for q, k in queries]
                   for store in (server, local)]

        assert answers[0] == answers[1]
        assert answers[0][0][0][0] == _records()[1].record_id()  # the volatility factor first
        assert server.stats().counts == local.stats().counts
    finally:
        server.close()
        local.close()
