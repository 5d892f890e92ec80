"""The console's pages in a real headless browser: Debian's chromium driven by Playwright's
Python client (no browser download: ``executable_path`` is the system's chromium), against
``create_app`` served by uvicorn on 127.0.0.1 in a thread, over a fresh test home.

The flows of issue 18: a trader asks an order with approval, an approver (another token, in
another browser context) sees it in the inbox, approves it, and the fill appears (in the inbox
and in the trader's chat); a viewer cannot approve (the button is disabled, and forcing it
shows the API's refusal in words); the kill switch halts and the next order is rejected.

With ``TAORUI_SCREENSHOTS=1`` the tests write a screenshot of each page to docs/console/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from taorui.server import TokenStore, create_app
from taorui.server._auth import TOKEN_FILE
from taorui.wiring import AppContext
from tests._graph_env import cheap_member
from tests._server_env import PEOPLE, app_context

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "console"
INSTALL = ("The browser tests need Debian's chromium and Playwright's Python client: run scripts/setup.sh "
           "(as root or with sudo), or `apt-get install -y chromium chromium-driver` and "
           "`.venv/bin/pip install playwright==1.65.2`. Never run `playwright install` (it downloads a browser).")
TIMEOUT_MS = 15_000


@dataclass
class Live:
    """The served console: its base URL, composition root and a token per person."""

    base: str
    ctx: AppContext
    tokens: dict[str, str]

    def api(self, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response:
        """A direct API call as ``who`` (to set up a scene the page then shows)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.request(method, self.base + path, headers=headers, timeout=60, **kwargs)


def _missing() -> str | None:
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package playwright is not installed")
    return "; ".join(problems) + ". " + INSTALL if problems else None


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path) -> Iterator[Live]:
    """``create_app`` over a fresh home, served by uvicorn on a free port of 127.0.0.1."""
    import uvicorn

    home = tmp_path_factory.mktemp("console") / "home"
    home.mkdir()
    subprocess.run(["cp", "-al", str(sample_data_dir), str(home / "data")], check=True)
    ctx = app_context(home)
    store = TokenStore(ctx.settings.state_dir / TOKEN_FILE)
    tokens = {name: store.add(name, role).token for name, role in PEOPLE.items()}
    app = create_app(ctx, tokens=store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", ctx, tokens)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser | None]:
    """Debian's chromium, headless, launched by Playwright (nothing downloaded); None when
    chromium or Playwright is missing (each test then fails, saying how to install them)."""
    if _missing():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class Session:
    """One person's browser context; collects the page's script errors (CSP violations included)."""

    def __init__(self, browser: Browser | None, live: Live, who: str) -> None:
        if browser is None:  # a failure, not a skip: the suite's setup installs them
            pytest.fail(_missing() or "no browser", pytrace=False)
        self.live = live
        self.context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", self._console)
        self.who = who

    def _console(self, message: ConsoleMessage) -> None:
        # an API refusal the page shows in words is logged by chromium as a failed load: not a fault
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def sign_in(self, path: str, shot: str | None = None) -> Page:
        """Sign in through the sign-in page and land on ``path``."""
        page = self.page
        page.goto(f"{self.live.base}/?next={path}")
        page.wait_for_selector("body[data-ready='1']")
        if shot:
            screenshot(page, shot)
        page.fill("#token", self.live.tokens[self.who])
        page.click("#sign-in button[type=submit]")
        page.wait_for_url(self.live.base + path)
        page.wait_for_selector("body[data-ready='1']")
        return page

    def close(self) -> None:
        """Close the context; the page must not have logged an error."""
        self.context.close()
        assert self.errors == [], self.errors


def screenshot(page: Page, name: str) -> None:
    """docs/console/NAME.png, only with TAORUI_SCREENSHOTS=1 (so a test run leaves the tree clean)."""
    if os.environ.get("TAORUI_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let pictures decode
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _expect() -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _waiting_thread(live: Live, who: str) -> str:
    symbol, _ = cheap_member(live.ctx.data)
    answer = live.api("POST", "/api/ask", who, json={"instruction": f"buy 100 {symbol}, ask me before ordering"})
    assert answer.status_code == 200 and answer.json()["status"] == "needs_approval", answer.text
    return str(answer.json()["thread_id"])


# the pages ---------------------------------------------------------------------------------

def test_pages_are_served_with_a_strict_policy_and_no_secrets(live: Live) -> None:
    for path in ("/", "/chat", "/inbox", "/runs", "/trading", "/risk", "/audit", "/health"):
        page = httpx.get(live.base + path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert not any(token.split("_", 2)[2] in page.text for token in live.tokens.values())  # the whole secret (it may hold "_")
        assert "<script src=\"/static/console.js\"" in page.text
    script = httpx.get(live.base + "/static/console.js").text
    assert "innerHTML" not in script.replace("never innerHTML", "").replace("nothing uses innerHTML", "")
    assert "insertAdjacentHTML" not in script and "document.write" not in script
    schema = httpx.get(live.base + "/openapi.json").json()
    assert all(p.startswith("/api/") for p in schema["paths"])


def test_a_chinese_ask_streams_its_steps_and_shows_pictures_and_run_links(browser: Browser | None, live: Live) -> None:
    expect = _expect()
    alice = Session(browser, live, "alice")
    page = alice.sign_in("/chat", shot="sign-in")
    page.fill("#instruction", "回测 GOLD 的动量策略")
    page.click("#ask-send")
    reply = page.locator(".msg.agent").first
    expect(reply).to_have_attribute("data-status", "done")
    expect(reply.locator(".steps li")).not_to_have_count(0)
    expect(reply.locator(".answer")).to_have_attribute("lang", "zh-CN")
    expect(reply.locator(".answer")).to_contain_text("回测")
    picture = reply.locator(".pictures img").first
    expect(picture).to_have_attribute("src", re.compile("^blob:"))
    page.wait_for_function("() => [...document.querySelectorAll('.pictures img')].every(i => i.naturalWidth > 0)")
    screenshot(page, "chat")
    run_link = reply.locator("a[href^='/runs#backtest-']").first
    run_id = run_link.inner_text()
    run_link.click()
    page.wait_for_selector("body[data-ready='1']")
    detail = page.locator("#run-detail")
    expect(detail).to_contain_text(run_id)
    expect(detail.locator("pre.config")).to_contain_text('"strategy": "momentum"')
    page.wait_for_function("() => [...document.querySelectorAll('#run-detail img')].some(i => i.naturalWidth > 0)")
    expect(page.locator(f"article.run[data-id='{run_id}']")).to_contain_text("sharpe")
    page.click("#run-again")  # "run again": the replay of `taorui replay`, compared with the original
    expect(page.locator("#replay-result")).to_contain_text("identical")
    screenshot(page, "runs")
    alice.close()


def test_an_ask_waits_in_the_inbox_and_an_approver_fills_it(browser: Browser | None, live: Live) -> None:
    expect = _expect()
    symbol, _ = cheap_member(live.ctx.data)
    fills_before = len(live.ctx.broker.fills())
    alice = Session(browser, live, "alice")
    chat = alice.sign_in("/chat")
    chat.fill("#instruction", f"buy 100 {symbol}, ask me before ordering")
    chat.click("#ask-send")
    asked = chat.locator(".msg.agent").first
    expect(asked).to_have_attribute("data-status", "needs_approval")
    expect(asked.locator(".steps li")).not_to_have_count(0)
    expect(asked).to_contain_text("approval inbox")
    thread_id = asked.locator(".meta .mono").inner_text()

    bob = Session(browser, live, "bob")
    inbox = bob.sign_in("/inbox")
    item = inbox.locator(f"article.item[data-id='{thread_id}']")
    expect(item).to_contain_text(f"BUY 100 {symbol}")
    expect(item).to_contain_text("person_asked")
    expect(item).to_contain_text("alice")
    expect(item.locator(".countdown")).to_contain_text("left")
    screenshot(inbox, "inbox")
    item.locator("input[name=reason]").fill("fine by me")
    item.get_by_role("button", name="Approve").click()
    expect(item.locator(".fills")).to_contain_text(f"Filled: BUY 100 {symbol}")
    expect(item).to_contain_text("Approved by bob")
    assert len(live.ctx.broker.fills()) == fills_before + 1

    outcome = chat.locator(".msg.agent").nth(1)  # the trader's chat follows the thread to its end
    expect(outcome).to_have_attribute("data-status", "done")
    expect(outcome).to_contain_text("approved by bob")
    expect(outcome.locator(".fills")).to_contain_text(f"Filled: BUY 100 {symbol}")
    screenshot(chat, "chat-approved")
    alice.close()
    bob.close()


def test_a_viewer_cannot_approve_and_an_approver_not_their_own(browser: Browser | None, live: Live) -> None:
    expect = _expect()
    orders_before = len(live.ctx.broker.orders())
    theirs = _waiting_thread(live, "alice")
    vic = Session(browser, live, "vic")
    inbox = vic.sign_in("/inbox")
    item = inbox.locator(f"article.item[data-id='{theirs}']")
    expect(item.get_by_role("button", name="Approve")).to_be_disabled()
    expect(inbox.locator("#inbox-role-note")).to_contain_text("only approvers")
    # forcing the button on changes nothing: the API refuses, and the page says so in words
    inbox.evaluate("() => document.querySelectorAll('article.item button').forEach(b => { b.disabled = false; })")
    item.get_by_role("button", name="Approve").click()
    expect(item.locator(".outcome")).to_contain_text("Not allowed (403)")
    expect(item.locator(".outcome")).to_contain_text("vic is a viewer")
    vic.close()

    own = _waiting_thread(live, "carol")
    carol = Session(browser, live, "carol")
    inbox = carol.sign_in("/inbox")
    mine = inbox.locator(f"article.item[data-id='{own}']")
    expect(mine).to_contain_text("You proposed this")
    mine.get_by_role("button", name="Approve").click()
    expect(mine.locator(".outcome")).to_contain_text("another approver must decide it")
    # rejecting needs a reason; with one, nothing is sent
    other = inbox.locator(f"article.item[data-id='{theirs}']")
    other.get_by_role("button", name="Reject").click()
    expect(other.locator(".outcome")).to_contain_text("needs a reason")
    other.locator("input[name=reason]").fill("not today")
    other.get_by_role("button", name="Reject").click()
    expect(other.locator(".outcome")).to_contain_text("Rejected by carol")
    carol.close()
    live.api("POST", f"/api/approvals/{own}/reject", "bob", json={"reason": "tidy up"})
    assert len(live.ctx.broker.orders()) == orders_before


def test_the_kill_switch_halts_and_the_next_order_is_rejected(browser: Browser | None, live: Live) -> None:
    expect = _expect()
    symbol, _ = cheap_member(live.ctx.data)
    orders_before = len(live.ctx.broker.orders())
    vic = Session(browser, live, "vic")
    risk = vic.sign_in("/risk")
    expect(risk.locator("#kill-on")).to_be_disabled()
    vic.close()

    bob = Session(browser, live, "bob")
    risk = bob.sign_in("/risk")
    expect(risk.locator("#risk-state")).to_have_text("active")
    risk.fill("#kill-reason", "drill: 演练")
    risk.click("#kill-on")
    expect(risk.locator("#kill-result")).to_contain_text("Trading is now halted")
    expect(risk.locator("#risk-state")).to_have_text("halted")
    expect(risk.locator("#risk-policy")).to_contain_text("max_notional")
    screenshot(risk, "risk")

    alice = Session(browser, live, "alice")
    chat = alice.sign_in("/chat")
    chat.fill("#instruction", f"buy 100 {symbol}")
    chat.click("#ask-send")
    reply = chat.locator(".msg.agent").first
    expect(reply).not_to_have_attribute("data-status", "running")
    expect(reply.locator(".answer")).to_contain_text(re.compile("halted", re.I))
    expect(reply.locator(".fills")).to_have_count(0)
    assert len(live.ctx.broker.orders()) == orders_before
    alice.close()

    risk.fill("#kill-reason", "drill over")
    risk.click("#kill-off")
    expect(risk.locator("#risk-state")).to_have_text("active")
    bob.close()


def test_the_audit_verifies_and_health_shows_each_market(browser: Browser | None, live: Live) -> None:
    expect = _expect()
    bob = Session(browser, live, "bob")
    audit = bob.sign_in("/audit")
    expect(audit.locator("#audit-rows tr").first).to_be_visible()
    audit.click("#audit-verify")
    expect(audit.locator("#verify-result")).to_contain_text("Verification")
    expect(audit.locator("#verify-result .state")).to_have_text("ok")
    audit.select_option("#audit-log", "console")
    audit.click("#audit-form button[type=submit]")
    expect(audit.locator("#audit-rows")).to_contain_text("approve")
    screenshot(audit, "audit")
    health = audit
    health.goto(live.base + "/health")
    health.wait_for_selector("body[data-ready='1']")
    expect(health.locator("#health-markets tr")).not_to_have_count(0)
    expect(health.locator("#health-broker")).to_contain_text("active")
    screenshot(health, "health")
    bob.close()


def test_the_trading_page_shows_positions_decisions_and_blocked_orders(browser: Browser | None, live: Live) -> None:
    from datetime import UTC, date, datetime

    from graphs.trading import CycleDecision
    from taorui_engines.trading import FactorStrategy, PortfolioSpec, TradingMode

    expect = _expect()
    desk = live.ctx.trading_desk
    desk.create(PortfolioSpec(name="rev5", strategy=FactorStrategy(expression="Ref($close,5)/$close-1"),
                              mode=TradingMode.SUPERVISED, initial_cash=100_000.0, created=datetime.now(UTC),
                              created_by="alice"))
    first = desk.run("rev5", date(2024, 1, 2), date(2024, 1, 2))
    keep = first.pending[0].intent
    desk.decide("rev5", CycleDecision(approve=False, by="carol", reason="only the first", orders={keep.key: True}))
    desk.run("rev5", date(2024, 1, 3), date(2024, 1, 3))  # fills the approved order; the day waits again

    vic = Session(browser, live, "vic")
    page = vic.sign_in("/trading")
    row = page.locator("#trading-list tr[data-name='rev5']")
    expect(row).to_contain_text("supervised")
    expect(row).to_contain_text("since 2024-01-03")
    detail = page.locator("#portfolio-detail")
    expect(detail.locator("#pf-positions")).to_contain_text(keep.symbol)
    expect(detail.locator("#pf-pnl")).to_contain_text("P&L after costs")
    expect(detail.locator("#pf-today-title")).to_have_text("Decisions of 2024-01-03")
    expect(detail.locator("#pf-blocked")).to_contain_text("rejected_by_person")
    expect(detail.locator("#pf-waiting")).to_contain_text("wait for a person")
    expect(detail.locator("#cycle-run")).to_be_disabled()  # a viewer cannot run the cycle
    screenshot(page, "trading")
    vic.close()

    bob = Session(browser, live, "bob")
    inbox = bob.sign_in("/inbox")
    item = inbox.locator("article.item[data-id='cycle:rev5']")
    expect(item).to_contain_text("trading cycle of portfolio rev5")
    item.locator("input[name=reason]").fill("fine")
    item.get_by_role("button", name="Approve").click()
    expect(item).to_contain_text("Approved by bob")
    assert not desk.status("rev5").pending
    bob.close()


def test_the_trading_page_runs_the_next_cycle_and_streams_its_events(browser: Browser | None, live: Live) -> None:
    from datetime import UTC, datetime

    from taorui_engines.trading import FactorStrategy, PortfolioSpec, TradingMode

    expect = _expect()
    live.ctx.trading_desk.create(PortfolioSpec(name="run1", strategy=FactorStrategy(expression="Ref($close,5)/$close-1"),
                                               mode=TradingMode.SUPERVISED, initial_cash=100_000.0,
                                               created=datetime.now(UTC), created_by="alice"))
    alice = Session(browser, live, "alice")
    page = alice.sign_in("/trading")
    page.locator("#trading-list tr[data-name='run1'] a").click()
    expect(page.locator("#pf-name")).to_contain_text("run1")
    page.fill("#cycle-day", "2024-01-02")
    page.click("#cycle-run")
    expect(page.locator("#cycle-events li[data-type='data_updated']")).to_contain_text("2024-01-02")
    expect(page.locator("#cycle-events li[data-kind='trading_done']")).to_contain_text("wait for a person")
    expect(page.locator("#pf-waiting")).to_contain_text("of 2024-01-02 wait for a person")  # the page refreshed
    alice.close()
