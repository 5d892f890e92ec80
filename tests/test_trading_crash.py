"""Crash safety of the trading cycle: ``kill -9`` at random points, restart, and compare.

A month of semi-auto replay is run twice in separate homes: once without interruption, and
once killed with SIGKILL at random moments (bounded, seeded) and restarted until it finishes.
Both must end with the same journal, the same fills at the same prices, no order sent twice,
and an audit chain that verifies. A supervised portfolio killed while a person's approval is
being applied keeps its pending decisions and sends each approved order exactly once.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from taorui.settings import Settings
from taorui.wiring import AppContext

TAORUI = str(Path(sys.executable).with_name("taorui"))
STRATEGY = "factor:Ref($close,5)/$close-1"
WINDOW = ["--from", "2024-01-02", "--to", "2024-02-29"]  # long enough for 3 kills however fast a day runs


def _policy(tmp: Path) -> Path:
    """The shipped policy without the new-symbol approval, so semi-auto runs unattended."""
    text = (Path(__file__).parents[1] / "guardrails" / "default_policy.yaml").read_text()
    path = tmp / "policy.yaml"
    path.write_text(text.replace("new_symbol: true", "new_symbol: false"))
    return path


def _run_args(policy: Path) -> list[str]:
    return [TAORUI, "trade", "run", "--portfolio", "crash", "--strategy", STRATEGY, *WINDOW, "--mode", "semi-auto",
            "--cash", "100000", "--policy", str(policy), "--by", "tester", "--json"]


def _outcome(home: Path) -> dict[str, object]:
    desk = AppContext(settings=Settings(home=home), quiet=True).trading_desk
    journal, gate = desk.journal("crash"), desk.gate("crash")
    submissions = Counter(r.payload.get("order", {}).get("key") for r in gate.audit_log.records()
                          if r.kind.value == "submission")
    return {"days": [(d.day, round(d.value, 6), round(d.cash, 6)) for d in journal.days()],
            "fills": [(f.key, f.symbol, f.side, f.qty, round(f.price, 9)) for f in journal.fills()],
            "broker_fills": sorted((f.order_key, f.qty) for f in gate.fills()),
            "max_submissions_per_key": max(submissions.values(), default=0),
            "verified": gate.verify().ok, "events": desk.bus("crash").count()}


@pytest.mark.slow
def test_killing_the_cycle_at_random_points_loses_nothing_and_sends_nothing_twice(
        tmp_path: Path, home: Path, cli_env: dict[str, str], sample_data_dir: Path) -> None:
    policy = _policy(tmp_path)
    reference_home = tmp_path / "reference"
    reference_home.mkdir()
    subprocess.run(["cp", "-al", str(sample_data_dir), str(reference_home / "data")], check=True)
    ref_env = {**cli_env, "TAORUI_HOME": str(reference_home)}
    done = subprocess.run(_run_args(policy), env=ref_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = _outcome(reference_home)
    days = len(expected["days"])  # type: ignore[arg-type]
    assert days >= 40 and expected["fills"]

    rng = random.Random(20261126)
    kills = 0
    while True:
        proc = subprocess.Popen(_run_args(policy), env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        if kills < 7:
            time.sleep(rng.uniform(3.0, 9.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=60)
                kills += 1
                continue
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        assert json.loads(out)["report"]["days"] == days
        break
    assert kills >= 3  # the bound made sure it was really interrupted
    got = _outcome(home)
    assert got["max_submissions_per_key"] == 1 and got["verified"] is True
    assert got == expected


@pytest.mark.slow
def test_a_kill_while_approvals_are_applied_keeps_them_pending_and_sends_each_order_once(
        home: Path, cli_env: dict[str, str]) -> None:
    args = [TAORUI, "trade", "run", "--portfolio", "sup", "--strategy", STRATEGY, "--from", "2024-01-02", "--to",
            "2024-01-03", "--mode", "supervised", "--cash", "100000", "--by", "tester", "--json"]
    first = subprocess.run(args, env=cli_env, capture_output=True, text=True, timeout=600)
    waiting = json.loads(first.stdout)
    assert first.returncode == 0 and waiting["paused_on"] == "2024-01-02" and waiting["pending"]
    keys = {p["intent"]["key"] for p in waiting["pending"]}

    # A killed process before anyone decided leaves the same orders pending.
    status = subprocess.run([TAORUI, "trade", "status", "--portfolio", "sup", "--json"], env=cli_env,
                            capture_output=True, text=True, timeout=300)
    assert {p["intent"]["key"] for p in json.loads(status.stdout)["pending"]} == keys

    approve = [TAORUI, "trade", "approve", "--portfolio", "sup", "--approve", "--by", "ana", "--json"]
    for delay in (2.5, 3.5, 4.5):  # killed while the decision is being applied, then again
        proc = subprocess.Popen(approve, env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    desk = AppContext(settings=Settings(home=home), quiet=True).trading_desk
    status_now = desk.status("sup")
    if status_now.pending:  # the decision did not finish: it is still waiting, nothing lost
        assert {p.intent.key for p in status_now.pending} == keys
        final = subprocess.run(approve, env=cli_env, capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr[-2000:]
    desk = AppContext(settings=Settings(home=home), quiet=True).trading_desk
    decisions = {d.key: d.decision for d in desk.journal("sup").decisions()}
    assert {k for k, v in decisions.items() if v in ("approved", "rejected")} == keys
    gate = desk.gate("sup")
    sent = Counter(r.payload.get("order", {}).get("key") for r in gate.audit_log.records()
                   if r.kind.value == "submission")
    assert sent and max(sent.values()) == 1 and set(sent) <= keys
    assert gate.verify().ok
