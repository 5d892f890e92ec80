"""Settings are read from TAORUI_* once and frozen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from taorui.settings import Settings, load_settings


def test_home_comes_from_taorui_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAORUI_HOME", str(tmp_path))

    settings = load_settings()

    assert settings.home == tmp_path
    assert settings.data_dir == tmp_path / "data"
    assert settings.runs_dir == tmp_path / "runs"


def test_home_defaults_to_a_per_user_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAORUI_HOME", raising=False)

    assert load_settings().home == Path.home() / ".taorui"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with pytest.raises(ValidationError):
        settings.home = tmp_path / "elsewhere"  # type: ignore[misc]


def test_a_bad_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAORUI_LLM_BACKEND", "telepathy")
    with pytest.raises(ValidationError):
        load_settings()


def test_cli_writes_its_log_under_home(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from taorui.cli import main

    assert main(["--home", str(home), "data", "list", "--json"]) == 0
    assert (home / "logs" / "taorui.log").exists()
