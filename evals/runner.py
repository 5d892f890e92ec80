"""`taorui eval run`: suites kept as data, run k times on any backend, scored, reported.

A suite (``evals/suites/*.yaml``, format in ``evals/suites/FORMAT.md``, or a user's file by
path) is run ``k`` times per case; pass^1 and pass^k follow τ-bench (pass^j = the mean over
cases of C(c, j) / C(n, j), c of n trials right). Verdicts come only from what the backend
under test produced: in plan mode its routing, spec, question and first calls; in full mode
its answer text (the language is judged from that text), its tool calls, and what reached the
broker. The ``spec`` suite grades the task spec against the understanding bank
(``evals/cases/understanding``). Safety cases make the run exit non-zero when any trial fails.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals.evaluators import SUITE_EVALUATORS, Observed, Score
from taorui_engines.errors import InvalidArgumentError, InvalidInputError, NotFoundError

__all__ = ["BUILT_IN", "CaseResult", "EvalReport", "Suite", "SuiteCase", "SuiteResult", "load_suite", "pass_hat",
           "run_suites"]

SUITES_DIR = Path(__file__).parent / "suites"
#: The built-in suites, in report order (``all`` runs these; ``spec`` is the understanding bank).
BUILT_IN = ("spec", "robustness", "safety", "e2e")


class SuiteCase(BaseModel):
    """One instruction, how to set the scene, and what should (and must not) come of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    instruction: str = Field(min_length=1)
    language: Literal["en", "zh"] | None = None
    safety: bool = False
    approve: bool | None = None
    setup: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    expect: dict[str, Any]


class Suite(BaseModel):
    """A named list of cases, planned or run in full."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str
    mode: Literal["plan", "full"] = "plan"
    description: str = ""
    cases: list[SuiteCase]


class Trial(BaseModel):
    """One run of one case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    passed: bool
    scores: list[Score]
    error: str | None = None
    seconds: float
    tokens: int = 0
    cost_usd: float = 0.0
    got: dict[str, Any] = Field(default_factory=dict, description="What the backend produced (for the report).")
    before_cutoff: list[str] = Field(default_factory=list,
                                     description="Windows of the calls that start before the model's knowledge cutoff.")


class CaseResult(BaseModel):
    """The k trials of one case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    instruction: str
    safety: bool
    tags: list[str]
    expect: dict[str, Any]
    trials: list[Trial]

    @property
    def successes(self) -> int:
        """Trials that passed."""
        return sum(t.passed for t in self.trials)


class SuiteResult(BaseModel):
    """A suite's cases and its pass^j figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str
    mode: str
    cases: list[CaseResult]
    skipped: int = Field(default=0, description="Cases not run because the cost cap was reached.")

    def pass_at(self, j: int) -> float:
        """pass^j over the cases run."""
        return pass_hat([(c.successes, len(c.trials)) for c in self.cases if c.trials], j)

    @property
    def safety_failures(self) -> list[str]:
        """Safety cases with any failed trial."""
        return [c.name for c in self.cases if c.safety and c.successes < len(c.trials)]


class EvalReport(BaseModel):
    """Everything one ``taorui eval run`` measured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str
    model: str | None
    knowledge_cutoff: str | None = Field(default=None, description="The model's declared knowledge cutoff (ISO).")
    k: int
    seed: int | None
    temperature: float | None
    started: str
    seconds: float
    suites: list[SuiteResult]
    previous: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Suite -> the last report's figures.")

    @property
    def safety_failures(self) -> list[str]:
        """Every failing safety case, as suite/case."""
        return [f"{s.suite}/{name}" for s in self.suites for name in s.safety_failures]

    @property
    def possibly_contaminated(self) -> list[str]:
        """Cases whose research windows start before the model's knowledge cutoff: the model may have
        seen how that market went, so a signal or decision it took part in may look better than it is."""
        return sorted({f"{s.suite}/{c.name}: {w}" for s in self.suites for c in s.cases for t in c.trials
                       for w in t.before_cutoff})

    def summary(self) -> dict[str, Any]:
        """Per suite: cases, pass^1, pass^k, latency, tokens, cost, and the change since last time."""
        out = {}
        for s in self.suites:
            trials = [t for c in s.cases for t in c.trials]
            last = self.previous.get(s.suite, {})
            out[s.suite] = {
                "mode": s.mode, "cases": len(s.cases), "skipped": s.skipped, "pass^1": s.pass_at(1),
                f"pass^{self.k}": s.pass_at(self.k),
                "mean_seconds": sum(t.seconds for t in trials) / len(trials) if trials else None,
                "tokens": sum(t.tokens for t in trials), "cost_usd": sum(t.cost_usd for t in trials),
                "safety_failures": s.safety_failures,
                "previous_pass^1": last.get("pass^1"),
                "newly_failing": sorted(set(_failing(s)) - set(last.get("failing", []))) if last else [],
                "fixed": sorted(set(last.get("failing", [])) - set(_failing(s))) if last else [],
            }
        return out


def _failing(suite: SuiteResult) -> list[str]:
    return [c.name for c in suite.cases if c.successes < len(c.trials)]


def pass_hat(results: Iterable[tuple[int, int]], j: int) -> float:
    """τ-bench's pass^j: the mean over cases of C(c, j) / C(n, j) (c of n trials right)."""
    values = [math.comb(c, j) / math.comb(n, j) for c, n in results if n >= j]
    return sum(values) / len(values) if values else 0.0


# --- loading ---------------------------------------------------------------------------------
def load_suite(name_or_path: str) -> Suite:
    """A built-in suite by name, or a user's suite file by path; the understanding bank as ``spec``."""
    if name_or_path == "spec":
        return _spec_suite()
    path = Path(name_or_path)
    if not path.suffix:
        path = SUITES_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise NotFoundError(f"no suite {name_or_path!r}: built-in suites are {', '.join(BUILT_IN)}, or pass a file path")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        suite = Suite.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidArgumentError(f"suite {path} is not in the suite format (evals/suites/FORMAT.md): {exc}") from exc
    names = [c.name for c in suite.cases]
    if len(names) != len(set(names)):
        raise InvalidArgumentError(f"suite {path} repeats case names: {sorted({n for n in names if names.count(n) > 1})}")
    unknown = {k for c in suite.cases for k in c.expect} - set(SUITE_EVALUATORS) - {"spec"}
    if unknown:
        raise InvalidArgumentError(f"suite {path} uses unknown expectations {sorted(unknown)}; "
                                   f"known: {sorted(SUITE_EVALUATORS)}")
    return suite


#: The understanding bank's splits the spec suite grades. Never a held-out split: a report lists its
#: failures, and a split whose failures have been read is no longer held out.
SPEC_SPLITS = ("dev_j", "dev_k")


def _spec_suite() -> Suite:
    """Two fresh-writer splits of the understanding bank as a plan-mode suite graded on the whole spec."""
    from evals.understanding import load_bank

    cases = [SuiteCase(name=f"{split}/{c['id']}", instruction=str(c["text"]), language=c.get("language"),
                       tags=[str(c["id"]).split("-")[1]] if "-" in str(c["id"]) else [],
                       expect={"spec": c}) for split in SPEC_SPLITS for c in load_bank(split)]
    return Suite(suite="spec", mode="plan", description="the task spec of each instruction (understanding bank, "
                 f"{', '.join(SPEC_SPLITS)})", cases=cases)


# --- running ----------------------------------------------------------------------------------
Factory = Callable[[Path | None], Any]


class _Homes:
    """Fresh homes for full-mode cases: the sample store is built once and hard-linked into each."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="taorui-eval-"))
        self.template: Path | None = None

    def fresh(self) -> Path:
        from taorui_engines.data import DataCenter, ensure_sample_store

        if self.template is None:
            self.template = self.root / "template" / "data"
            ensure_sample_store(DataCenter(self.template))
        home = Path(tempfile.mkdtemp(prefix="case-", dir=self.root))
        if shutil.which("cp"):
            subprocess.run(["cp", "-al", str(self.template), str(home / "data")], check=True)
        else:  # pragma: no cover
            shutil.copytree(self.template, home / "data")
        return home

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _setup(home: Path, setup: dict[str, Any], orchestrator: Any) -> str | None:
    """Set the scene a case asks for, before its instruction; what the scene met (a refusal), if anything."""
    if setup.get("halted"):
        orchestrator.deps.tool_context.gate.halt("eval setup: trading halted", by="evals")
    if setup.get("memory_note"):
        from memory import MemoryConfig, MemoryStore, StrategyRecord

        store = MemoryStore(MemoryConfig(path=home / "memory"))
        store.add(StrategyRecord(engine="finrl", name="note", universe="GOLD", description=str(setup["memory_note"])))
    if setup.get("ingest_csv"):
        spec = dict(setup["ingest_csv"])
        from taorui_engines.data import DataCenter

        path = home / "setup.csv"
        extra = str(spec.get("name_column") or "").replace(",", " ").replace("\n", " ").strip()
        header = "date,open,high,low,close,volume" + (f",{extra}" if extra else "")  # injection carried in a column name
        rows = [header] + [f"2025-12-{d:02d},10,11,9,10.{d:02d},1000" + (",1" if extra else "")
                           for d in range(1, 31) if date_ok(2025, 12, d)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        try:
            DataCenter(home / "data").ingest_csv(path, str(spec.get("symbol", "ACME")), market="custom")
        except InvalidInputError as exc:  # the store refused the hostile data: it never reaches the agent
            return f"ingest refused: {exc}"
    return None


def date_ok(year: int, month: int, day: int) -> bool:
    """A weekday (the setup series trades on weekdays)."""
    from datetime import date

    return date(year, month, day).weekday() < 5


def _observe_plan(orchestrator: Any, case: SuiteCase) -> tuple[Observed, dict[str, Any]]:
    preview = orchestrator.plan_only(case.instruction)
    observed = Observed(agent=preview.agent, language=preview.language, question=preview.question,
                        tool_calls=list(preview.tool_calls), answer=preview.answer or preview.question or "")
    return observed, {"agent": preview.agent, "question": preview.question, "calls": preview.tool_calls[:4],
                      "spec": preview.spec}


def _observe_full(orchestrator: Any, case: SuiteCase, broker: Any) -> tuple[Observed, dict[str, Any], dict[str, Any]]:
    from graphs import ApprovalDecision

    result = orchestrator.ask(case.instruction)
    if result.status == "needs_approval" and case.approve is not None:
        decision = ApprovalDecision(approve=case.approve, by="evals", reason="" if case.approve else "eval rejects")
        result = orchestrator.resume(result.thread_id, decision)
    sent = len(broker.orders()) if broker is not None else 0
    runs = orchestrator.deps.tool_context.runs_dir
    observed = Observed(agent=result.agent, status=result.status, language=result.language,
                        question=result.answer if result.status == "needs_clarification" else None,
                        tool_calls=[{"name": c.name, "args": c.args} for c in result.tool_calls],
                        answer=result.answer, fills=len(result.fills), orders_sent=sent,
                        run_dirs=[str(runs / r) for r in result.run_ids])
    got = {"status": result.status, "agent": result.agent, "calls": [c.name for c in result.tool_calls][:8],
           "answer": result.answer[:600], "orders_sent": sent, "fills": len(result.fills)}
    return observed, got, dict(result.usage or {})


_RESEARCH_TOOLS = frozenset({"train_rl_agent", "train_qlib_model", "backtest_strategy", "optimize_strategy",
                             "evaluate_factors", "backtest_signal"})
_ISO = re.compile(r"\b((?:19|20)\d{2}-\d{2}-\d{2})\b")


def before_cutoff(calls: list[dict[str, Any]], cutoff: str | None) -> list[str]:
    """The research calls whose dates fall before ``cutoff`` (possibly seen by the model in training)."""
    if cutoff is None:
        return []
    out = []
    for call in calls:
        if call.get("name") not in _RESEARCH_TOOLS:
            continue
        early = sorted(d for d in _ISO.findall(json.dumps(call.get("args") or {}, default=str)) if d < cutoff)
        if early:
            out.append(f"{call.get('name')} from {early[0]} (cutoff {cutoff})")
    return out


def _score(case: SuiteCase, observed: Observed, spec: dict[str, Any] | None) -> list[Score]:
    scores = []
    for name, expected in case.expect.items():
        if name == "spec":
            scores.append(_spec_score(expected, spec))
        else:
            scores.append(SUITE_EVALUATORS[name](expected, observed))
    return scores


def _spec_score(case: dict[str, Any], spec: dict[str, Any] | None) -> Score:
    from agents.spec import TaskSpec
    from evals.understanding import grade

    if spec is None:
        return Score(evaluator="spec", passed=False, detail="the backend produced no task spec")
    problems = grade(case, TaskSpec.model_validate(spec))
    return Score(evaluator="spec", passed=not problems, detail="; ".join(problems) or "spec right")


def _trial(suite: Suite, case: SuiteCase, factory: Factory, homes: _Homes | None,
           shared: list[Any], cutoff: str | None = None) -> Trial:
    started = time.perf_counter()
    try:
        if suite.mode == "plan":
            if not shared:
                shared.append(factory(None))
            observed, got = _observe_plan(shared[0], case)
            usage: dict[str, Any] = {}
        else:
            assert homes is not None
            home = homes.fresh()
            orchestrator = factory(home)
            met = _setup(home, case.setup, orchestrator)
            broker = getattr(orchestrator.deps.tool_context.gate, "broker", None)
            observed, got, usage = _observe_full(orchestrator, case, broker)
            if met:
                got["setup"] = met
        scores = _score(case, observed, got.get("spec"))
        got.pop("spec", None)
        return Trial(passed=all(s.passed for s in scores), scores=scores, seconds=time.perf_counter() - started,
                     tokens=int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0),
                     cost_usd=float(usage.get("cost_usd") or 0.0), got=got,
                     before_cutoff=before_cutoff(observed.tool_calls, cutoff))
    except Exception as exc:  # a crash is a failed trial, reported with its reason
        return Trial(passed=False, scores=[], error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)


def run_suites(names: list[str], factory: Factory, *, backend: str, model: str | None, k: int = 1,
               seed: int | None = None, temperature: float | None = None, max_cost: float | None = None,
               previous: dict[str, dict[str, Any]] | None = None,
               progress: Callable[[str], None] | None = None, knowledge_cutoff: str | None = None,
               jobs: int = 1) -> EvalReport:
    """Run every suite ``k`` times per case on ``factory``'s orchestrator (a fresh home per full case)."""
    if k < 1:
        raise InvalidArgumentError(f"--k must be at least 1, got {k}")
    started, clock = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), time.perf_counter()
    results, spent = [], 0.0
    homes = _Homes()
    try:
        for name in names:
            suite = load_suite(name)
            shared: list[Any] = []
            cases, skipped = [], 0
            if suite.mode == "plan" and jobs > 1 and max_cost is None:
                # plan mode reads and plans, nothing runs: cases can go at once (one orchestrator, made first)
                shared.append(factory(None))
                def trials_of(case: SuiteCase, suite: Suite = suite, shared: list[Any] = shared) -> list[Trial]:
                    return [_trial(suite, case, factory, None, shared, knowledge_cutoff) for _ in range(k)]

                with ThreadPoolExecutor(max_workers=jobs) as pool:
                    batches = list(pool.map(trials_of, suite.cases))
                cases = [CaseResult(name=c.name, instruction=c.instruction, safety=c.safety, tags=c.tags,
                                    expect=c.expect, trials=t) for c, t in zip(suite.cases, batches, strict=True)]
                results.append(SuiteResult(suite=suite.suite, mode=suite.mode, cases=cases, skipped=0))
                continue
            for case in suite.cases:  # full mode (and a cost cap) run in order: homes, gates, spend
                if max_cost is not None and spent >= max_cost:
                    skipped += 1
                    continue
                trials = []
                for _ in range(k):
                    trial = _trial(suite, case, factory, homes if suite.mode == "full" else None, shared,
                                   knowledge_cutoff)
                    spent += trial.cost_usd
                    trials.append(trial)
                cases.append(CaseResult(name=case.name, instruction=case.instruction, safety=case.safety,
                                        tags=case.tags, expect=case.expect, trials=trials))
                if progress is not None:
                    progress(f"{suite.suite}: {len(cases)}/{len(suite.cases)}")
            results.append(SuiteResult(suite=suite.suite, mode=suite.mode, cases=cases, skipped=skipped))
    finally:
        homes.close()
    return EvalReport(backend=backend, model=model, k=k, seed=seed, temperature=temperature, started=started,
                      seconds=time.perf_counter() - clock, suites=results, previous=previous or {},
                      knowledge_cutoff=knowledge_cutoff)


# --- reports ----------------------------------------------------------------------------------
def markdown(report: EvalReport) -> str:
    """Per-suite figures, then every failing case with its instruction, expected and got."""
    k = report.k
    lines = [f"# taorui eval: backend {report.backend}" + (f", model {report.model}" if report.model else "")
             + f", k = {k}", "", f"Started {report.started}, {report.seconds:.0f} s.", "",
             f"| suite | mode | cases | pass^1 | pass^{k} | last pass^1 | mean s/case | tokens | cost USD | safety failures |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in report.summary().items():
        last = "" if s["previous_pass^1"] is None else f"{s['previous_pass^1']:.1%}"
        mean = "" if s["mean_seconds"] is None else f"{s['mean_seconds']:.2f}"
        lines.append(f"| {name} | {s['mode']} | {s['cases']} | {s['pass^1']:.1%} | {s[f'pass^{k}']:.1%} | {last} | "
                     f"{mean} | {s['tokens']} | {s['cost_usd']:.4f} | {len(s['safety_failures'])} |")
    if report.possibly_contaminated:
        lines += ["", f"## Possibly contaminated (research windows before the knowledge cutoff {report.knowledge_cutoff})",
                  ""] + [f"- {item}" for item in report.possibly_contaminated]
    for suite in report.suites:
        failing = [c for c in suite.cases if c.successes < len(c.trials)]
        if not failing:
            continue
        lines += ["", f"## {suite.suite}: failures", ""]
        for c in failing:
            worst = next(t for t in c.trials if not t.passed)
            why = worst.error or "; ".join(f"{s.evaluator}: {s.detail}" for s in worst.scores if not s.passed)
            flag = " **[safety]**" if c.safety else ""
            lines.append(f"- `{c.name}`{flag} ({c.successes}/{len(c.trials)} right): {c.instruction}\n"
                         f"  - expected: `{json.dumps(_brief(c.expect), ensure_ascii=False)[:300]}`\n"
                         f"  - got: {why[:400]}")
    return "\n".join(lines) + "\n"


def _brief(expect: dict[str, Any]) -> dict[str, Any]:
    spec = expect.get("spec")
    if isinstance(spec, dict):
        return {"spec": spec.get("expect")}
    return expect


def html_report(report: EvalReport) -> str:
    """The same report as one self-contained HTML page (no scripts, no external files)."""
    k = report.k
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{s['mode']}</td><td>{s['cases']}</td><td>{s['pass^1']:.1%}</td>"
        f"<td>{s[f'pass^{k}']:.1%}</td><td>{'' if s['previous_pass^1'] is None else format(s['previous_pass^1'], '.1%')}"
        f"</td><td>{len(s['safety_failures'])}</td></tr>" for n, s in report.summary().items())
    failures = []
    for suite in report.suites:
        for c in suite.cases:
            if c.successes == len(c.trials):
                continue
            worst = next(t for t in c.trials if not t.passed)
            why = worst.error or "; ".join(f"{s.evaluator}: {s.detail}" for s in worst.scores if not s.passed)
            failures.append(f"<tr class='{'safety' if c.safety else ''}'><td>{html.escape(suite.suite)}</td>"
                            f"<td>{html.escape(c.name)}</td><td>{html.escape(c.instruction)}</td>"
                            f"<td><code>{html.escape(json.dumps(_brief(c.expect), ensure_ascii=False)[:300])}</code></td>"
                            f"<td>{html.escape(why[:500])}</td><td>{c.successes}/{len(c.trials)}</td></tr>")
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}tr.safety{background:#fde2e2}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>taorui eval</title><style>{style}</style></head>"
            f"<body><h1>taorui eval: {html.escape(report.backend)}{' / ' + html.escape(report.model) if report.model else ''}"
            f", k = {k}</h1><p>Started {report.started}, {report.seconds:.0f} s.</p>"
            f"<table><tr><th>suite</th><th>mode</th><th>cases</th><th>pass^1</th><th>pass^{k}</th><th>last pass^1</th>"
            f"<th>safety failures</th></tr>{rows}</table><h2>Failures</h2><table><tr><th>suite</th><th>case</th>"
            f"<th>instruction</th><th>expected</th><th>got</th><th>right</th></tr>{''.join(failures)}</table>"
            "</body></html>")


def write_reports(report: EvalReport, folder: Path) -> dict[str, str]:
    """report.json, report.md, report.html, and per suite the figures the next run compares with."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report.started.replace(":", "").replace("-", "")
    run = folder / stamp
    run.mkdir(parents=True, exist_ok=True)
    (run / "report.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    (run / "report.md").write_text(markdown(report), encoding="utf-8")
    (run / "report.html").write_text(html_report(report), encoding="utf-8")
    summary = report.summary()
    for suite in report.suites:
        last = {**summary[suite.suite], "failing": _failing(suite), "report": str(run)}
        (folder / f"last-{suite.suite}-{report.backend}.json").write_text(json.dumps(last, ensure_ascii=False),
                                                                           encoding="utf-8")
    return {"json": str(run / "report.json"), "markdown": str(run / "report.md"), "html": str(run / "report.html")}


def previous_figures(folder: Path, names: list[str], backend: str) -> dict[str, dict[str, Any]]:
    """The last report's figures of each suite on this backend (empty when none)."""
    out = {}
    for name in names:
        path = folder / f"last-{Path(name).stem}-{backend}.json"
        if path.is_file():
            out[Path(name).stem] = json.loads(path.read_text(encoding="utf-8"))
    return out
