"""Shared fixtures: one real sample store per test session, fresh homes per test.

The sample store (real arch series + synthetic GOLD and csi_syn) is built once into a
session temp folder. Tests that need a TAORUI_HOME get a fresh one whose ``data`` folder is
a hard-linked copy of the session store: the writer never edits files in place (each
ingest writes a new version), so a test may ingest into its copy without touching others.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

from taorui.settings import Settings  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the embedded sample store, built once per session."""
    data_dir = tmp_path_factory.mktemp("sample") / "data"
    ensure_sample_store(DataCenter(data_dir))
    return data_dir


@pytest.fixture(scope="session")
def data_center(sample_data_dir: Path) -> DataCenter:
    """A read-only view of the session sample store. Do not ingest into it."""
    return DataCenter(sample_data_dir)


def _linked_copy(src: Path, dst: Path) -> None:
    if shutil.which("cp"):
        subprocess.run(["cp", "-al", str(src), str(dst)], check=True)
    else:  # pragma: no cover
        shutil.copytree(src, dst, symlinks=True, copy_function=os.link)


@pytest.fixture
def home(tmp_path: Path, sample_data_dir: Path) -> Path:
    """A fresh TAORUI_HOME with its own (hard-linked) copy of the sample store."""
    root = tmp_path / "home"
    root.mkdir()
    _linked_copy(sample_data_dir, root / "data")
    return root


@pytest.fixture
def settings(home: Path) -> Settings:
    """Settings pointing at the fresh home."""
    return Settings(home=home)


@pytest.fixture
def own_center(home: Path) -> DataCenter:
    """A data center over the fresh home's copy; safe to ingest into."""
    return DataCenter(home / "data")


@pytest.fixture
def cli_env(home: Path) -> Iterator[dict[str, str]]:
    """Environment for running the ``taorui`` command in a subprocess on the fresh home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAORUI_") or k == "TAORUI_DATABASE_URL"}
    env["TAORUI_HOME"] = str(home)  # the database setting stays: the suite also runs against Postgres
    env["MPLBACKEND"] = "Agg"
    yield env
