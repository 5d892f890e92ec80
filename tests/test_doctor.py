"""``taorui doctor``: each configured service checked, and what is wrong said so a user can act."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from taorui.cli import main
from taorui.doctor import NOT_BUILT, Check, DoctorReport

from ._scripted_llm import reply_text, reply_tools, scripted_llm

SERVICES = ("TAORUI_CHROMA_URL", "TAORUI_CHROMA_HOST", "TAORUI_LLM_BACKEND", "TAORUI_LLM_BASE_URL",
            "TAORUI_LLM_MODEL", "TAORUI_LLM_API_KEY", "TAORUI_RAY_ADDRESS", "TAORUI_DATABASE_URL")


@pytest.fixture(autouse=True)
def no_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the embedded defaults, whatever the calling shell sets."""
    for name in SERVICES:
        monkeypatch.delenv(name, raising=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def listening() -> Iterator[int]:
    """A port on loopback that accepts connections (and says nothing)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def doctor(home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, DoctorReport]:
    code = main(["--home", str(home), "doctor", "--json", "--timeout", "5"])
    return code, DoctorReport.model_validate_json(capsys.readouterr().out)


def check(report: DoctorReport, name: str) -> Check:
    return next(c for c in report.checks if c.name == name)


def test_an_all_default_home_is_healthy(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor(home, capsys)

    assert code == 0 and report.ok
    assert {c.name: c.status for c in report.checks} == {
        "data": "ok", "state": "ok", "embedding": "ok", "memory": "ok", "llm": "skip", "ray": "skip",
        "database": "skip", "console": "ok"}
    assert check(report, "llm").summary.startswith("offline planner")
    assert check(report, "data").details["markets"]


def test_the_text_report_has_one_line_per_check(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--home", str(home), "doctor"])
    out = capsys.readouterr().out

    assert code == 0
    assert "ok   memory" in out and "--   llm        offline planner" in out
    assert out.rstrip().endswith("all configured services answer")


def test_a_chroma_url_where_nothing_listens_is_a_clear_failure(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("TAORUI_CHROMA_URL", url)

    code = main(["--home", str(home), "doctor", "--timeout", "5"])
    out = capsys.readouterr().out

    assert code == 1
    assert f"FAIL memory     no Chroma server answers at {url}" in out
    assert "TAORUI_CHROMA_URL" in out and "1 problem(s): memory" in out


def test_a_chroma_url_that_is_not_a_url_is_refused_before_any_check(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TAORUI_CHROMA_URL", "127.0.0.1:8000")

    code = main(["--home", str(home), "doctor"])

    assert code == 2
    assert "TAORUI_CHROMA_URL '127.0.0.1:8000' must be http:// or https://" in capsys.readouterr().err


def test_an_openai_compatible_server_that_calls_tools_is_ok(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with scripted_llm([reply_tools(("report_status", {"status": "ok"}))]) as server:
        monkeypatch.setenv("TAORUI_LLM_BACKEND", "openai")
        monkeypatch.setenv("TAORUI_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("TAORUI_LLM_MODEL", "scripted")
        code, report = doctor(home, capsys)

    llm = check(report, "llm")
    assert code == 0 and llm.status == "ok", llm
    assert llm.details["models_listed"] == ["scripted"]
    sent = server.requests[0]
    assert sent["tool_choice"] == "auto" and sent["tools"][0]["function"]["name"] == "report_status"


def test_a_model_server_where_nothing_listens_is_a_clear_failure(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    monkeypatch.setenv("TAORUI_LLM_BACKEND", "openai")
    monkeypatch.setenv("TAORUI_LLM_BASE_URL", url)

    code, report = doctor(home, capsys)

    llm = check(report, "llm")
    assert code == 1 and llm.status == "fail"
    assert llm.summary.startswith(f"no model server answers at {url}")
    assert llm.fix is not None and "TAORUI_LLM_BASE_URL" in llm.fix


def test_a_model_that_answers_without_a_tool_call_names_the_server_flags(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with scripted_llm([reply_text("ok")]) as server:
        monkeypatch.setenv("TAORUI_LLM_BACKEND", "openai")
        monkeypatch.setenv("TAORUI_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("TAORUI_LLM_MODEL", "scripted")
        code, report = doctor(home, capsys)

    llm = check(report, "llm")
    assert code == 1 and "without a tool call" in llm.summary
    assert llm.fix is not None and "--enable-auto-tool-choice --tool-call-parser" in llm.fix


def test_a_model_the_server_does_not_list_is_named(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with scripted_llm([], models=("qwen2.5-7b",)) as server:
        monkeypatch.setenv("TAORUI_LLM_BACKEND", "openai")
        monkeypatch.setenv("TAORUI_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("TAORUI_LLM_MODEL", "llama-3")
        code, report = doctor(home, capsys)

    llm = check(report, "llm")
    assert code == 1 and "'llama-3'" in llm.summary and "qwen2.5-7b" in llm.summary
    assert not server.requests  # no chat request for a model that is not there


def test_an_endpoint_set_while_the_backend_is_offline_is_a_warning(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with scripted_llm([reply_tools(("report_status", {"status": "ok"}))]) as server:
        monkeypatch.setenv("TAORUI_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("TAORUI_LLM_MODEL", "scripted")
        code, report = doctor(home, capsys)

    llm = check(report, "llm")
    assert code == 0 and llm.status == "warn" and llm.fix == "set TAORUI_LLM_BACKEND=openai to use this endpoint"


def test_a_database_address_that_answers_but_is_not_postgres_is_a_failure(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], listening: int) -> None:
    monkeypatch.setenv("TAORUI_DATABASE_URL", f"postgresql://taorui@127.0.0.1:{listening}/taorui")

    code, report = doctor(home, capsys)

    found = check(report, "database")
    assert code == 1 and found.status == "fail"
    assert "did not let us in" in found.summary and "TAORUI_DATABASE_URL" in (found.fix or "")
    assert NOT_BUILT == {}  # every backend a setting names is built


def test_a_ray_address_that_answers_is_ok(home: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], listening: int) -> None:
    monkeypatch.setenv("TAORUI_RAY_ADDRESS", f"127.0.0.1:{listening}")

    code, report = doctor(home, capsys)

    found = check(report, "ray")
    assert code == 0 and found.status == "ok" and found.details["built"] is True


@pytest.mark.parametrize(("setting", "name"), [("TAORUI_RAY_ADDRESS", "ray"), ("TAORUI_DATABASE_URL", "database")])
def test_an_address_where_nothing_listens_is_a_failure(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], setting: str,
                                                       name: str) -> None:
    port = _free_port()
    monkeypatch.setenv(setting, f"ray://127.0.0.1:{port}" if name == "ray" else f"postgresql://127.0.0.1:{port}/db")

    code, report = doctor(home, capsys)

    found = check(report, name)
    assert code == 1 and found.status == "fail"
    assert found.summary.startswith(f"{setting}: nothing answers at 127.0.0.1:{port}")


def test_console_tokens_are_counted(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from taorui.server import Role, TokenStore
    from taorui.settings import Settings

    store = TokenStore(Settings(home=home).state_dir / "console_tokens.sqlite")
    store.add("alice", Role.APPROVER)
    store.revoke(store.add("bob", Role.VIEWER).info.id)

    code, report = doctor(home, capsys)

    console = check(report, "console")
    assert code == 0 and console.status == "ok"
    assert console.summary == "1 active token(s), 1 revoked" and console.details["roles"] == {"approver": 1}


def test_the_doctor_names_the_console_token_file_the_server_uses() -> None:
    from taorui import doctor
    from taorui.server import TOKEN_FILE

    assert doctor.TOKEN_FILE == TOKEN_FILE


def test_a_state_folder_that_cannot_be_written_is_a_failure(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "state").write_text("not a folder")

    code, report = doctor(home, capsys)

    assert code == 1 and check(report, "state").status == "fail"


def test_the_json_report_is_one_object(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--home", str(home), "doctor", "--json"])

    payload = json.loads(capsys.readouterr().out)

    assert payload["ok"] is True and len(payload["checks"]) == 8
