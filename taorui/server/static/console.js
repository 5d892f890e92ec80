/* Taorui console: the pages' only script (no build step, no dependencies).
 *
 * Auth: the token pasted on the sign-in page lives in this tab's sessionStorage and goes out
 * as an `Authorization: Bearer` header on fetch calls; no cookie carries it, so nothing here
 * needs a CSRF token. The event stream is read with fetch (EventSource cannot send headers),
 * so the token never appears in a URL.
 * Safety: every piece of user or model text reaches the DOM through textContent (the `el`
 * helper); nothing uses innerHTML.
 */
"use strict";

(() => {
  const TOKEN_KEY = "taorui.console.token";
  const FLASH_KEY = "taorui.console.flash";
  const PAGE_PATHS = ["/chat", "/inbox", "/runs", "/trading", "/risk", "/audit", "/health"];
  const ROLES = ["viewer", "trader", "approver", "admin"];
  const $ = (id) => document.getElementById(id);

  // DOM ----------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** Replace a node's children; arrays are flattened and null/false left out (as in `el`). */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat(2).filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  const hasHan = (text) => /[\u3400-\u9fff\uf900-\ufaff]/.test(text || "");
  const langOf = (text, hint) => (hint === "zh" || (!hint && hasHan(text)) ? "zh-CN" : "en");

  function show(node, text, cls) {
    if (!node) return;
    node.textContent = text || "";
    if (cls !== undefined) node.className = cls;
    node.hidden = !text;
  }

  function kv(target, pairs) {
    target.replaceChildren();
    for (const [key, value] of pairs) {
      if (value === undefined) continue;
      target.append(el("dt", { text: key }), el("dd", { text: value === null || value === "" ? "—" : value }));
    }
  }

  // formatting ---------------------------------------------------------------------------
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  function fmtNum(v, digits = 2) {
    if (v === null || v === undefined) return "—";
    if (!isNum(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: Math.min(digits, 2) });
  }
  const fmtPct = (v, digits = 1) => (isNum(v) ? `${(v * 100).toFixed(digits)}%` : "—");
  function fmtTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString("en-GB", { hour12: false });
  }
  function fmtLeft(seconds) {
    if (!isNum(seconds)) return "no expiry";
    if (seconds <= 0) return "expired";
    const s = Math.floor(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return `${h ? `${h}:${two(m)}` : m}:${two(r)} left before it expires`;
  }
  function fmtBytes(n) {
    if (!isNum(n)) return "—";
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }
  function orderText(order) {
    if (!order) return "an order";
    const side = String(order.side || "").toUpperCase();
    const type = order.order_type || order.type || "market";
    const limit = order.limit_price !== null && order.limit_price !== undefined ? ` limit ${fmtNum(order.limit_price, 4)}` : "";
    return `${side} ${fmtNum(order.qty)} ${order.symbol || "?"} (${type}${limit})`;
  }
  const fillText = (f) => `Filled: ${String(f.side || "").toUpperCase()} ${fmtNum(f.qty)} ${f.symbol} @ ${fmtNum(f.price, 4)}`
    + (isNum(f.commission) ? ` (commission ${fmtNum(f.commission, 2)})` : "");

  // auth and the API ---------------------------------------------------------------------
  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const authHeader = () => ({ Authorization: `Bearer ${token() || ""}` });
  const roleAllows = (role, needed) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

  class ApiError extends Error {
    constructor(status, type, message) { super(message); this.status = status; this.type = type; }
  }

  const WORDS = {
    0: "The server did not answer", 400: "Not accepted", 401: "Not signed in", 403: "Not allowed",
    404: "Not found", 409: "Too late: it changed meanwhile", 422: "Not accepted", 500: "Server error",
    503: "Busy, try again",
  };
  function explain(err) {
    if (!(err instanceof ApiError)) return `Something went wrong: ${err && err.message ? err.message : err}`;
    return `${WORDS[err.status] || "Failed"} (${err.status || "no answer"}): ${err.message}`;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (message) sessionStorage.setItem(FLASH_KEY, message);
    const next = location.pathname === "/" ? "" : `?next=${encodeURIComponent(location.pathname)}`;
    location.assign(`/${next}`);
  }

  async function api(method, path, body) {
    const headers = { ...authHeader(), Accept: "application/json" };
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    let res;
    try { res = await fetch(path, init); } catch (e) {
      throw new ApiError(0, "Network", "is `taorui serve` still running?");
    }
    const data = await res.json().catch(() => null);
    if (res.status === 401) {
      signOut("The server refused your token (unknown, revoked or mistyped); sign in again.");
      throw new ApiError(401, "Unauthorized", "sign in again");
    }
    if (!res.ok) {
      const error = (data && data.error) || {};
      let message = error.message || res.statusText;
      if (data && Array.isArray(data.detail)) message = data.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
      throw new ApiError(res.status, error.type || "Error", message);
    }
    return data;
  }

  /** A file of the API (a run picture) as an object URL: <img src> cannot send the header. */
  async function blobUrl(path) {
    const res = await fetch(path, { headers: authHeader(), cache: "no-store", credentials: "omit" });
    if (!res.ok) throw new ApiError(res.status, "Error", `${path} answered ${res.status}`);
    return URL.createObjectURL(await res.blob());
  }

  function picture(path, caption) {
    const img = el("img", { alt: caption, loading: "lazy" });
    const fig = el("figure", {}, img, el("figcaption", { text: caption }));
    blobUrl(path).then((url) => { img.src = url; }).catch(() => { fig.replaceChildren(el("figcaption", { text: `${caption} (not readable)` })); });
    return fig;
  }

  /** Server-sent events read with fetch; calls onEvent for each event until the stream ends or signal aborts. */
  async function followEvents(params, onEvent, signal) {
    let res;
    try {
      res = await fetch(`/api/events?${new URLSearchParams(params)}`, { headers: authHeader(), signal, cache: "no-store", credentials: "omit" });
    } catch (e) { return; }
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
          if (!data) continue;
          let event;
          try { event = JSON.parse(data); } catch (e) { continue; }
          onEvent(event);
        }
      }
    } catch (e) { /* aborted or the connection dropped */ }
  }

  function flash(message) { show($("flash"), message); }

  // pages --------------------------------------------------------------------------------
  function nextPage() {
    const next = new URLSearchParams(location.search).get("next") || "";
    return PAGE_PATHS.includes(next) ? next : "/chat";
  }

  async function initIndex() {
    const form = $("sign-in");
    const error = $("sign-in-error");
    const signedIn = (me) => {
      $("signed-name").textContent = me.name;
      $("signed-role").textContent = me.role;
      $("signed-in").hidden = false;
      showWho(me);
    };
    if (token()) {
      try { signedIn(await api("GET", "/api/me")); } catch (e) { /* signOut already ran on a 401 */ }
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const value = $("token").value.trim();
      show(error, "");
      let res = null;
      try {
        res = await fetch("/api/me", { headers: { Authorization: `Bearer ${value}` }, cache: "no-store", credentials: "omit" });
      } catch (e) { /* no answer */ }
      if (!res || !res.ok) {
        show(error, !res ? "The server did not answer." : res.status === 401
          ? "That token was refused: unknown, revoked or mistyped." : `The server answered ${res.status}.`);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token").value = "";
      location.assign(nextPage());
    });
  }

  function showWho(me) {
    $("who-name").textContent = me.name;
    $("who-role").textContent = me.role;
    $("who").hidden = false;
  }

  // chat -----------------------------------------------------------------------------------
  function newThreadId() {
    const bytes = crypto.getRandomValues(new Uint8Array(6));
    return `t-web-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  const STATUS_LOOK = {
    done: ["done", "ok"], needs_approval: ["waiting for approval", "warn"], needs_clarification: ["question", "warn"],
    failed: ["failed", "bad"], running: ["running", "warn"],
  };

  function initChat(me) {
    const form = $("ask-form");
    const input = $("instruction");
    const send = $("ask-send");
    const conversation = $("conversation");
    const lastSeq = new Map();
    const watches = [];
    let continuing = null;

    if (!roleAllows(me.role, "trader")) {
      input.disabled = true;
      send.disabled = true;
      show($("thread-note"), `Signed in as ${me.name} (${me.role}): only traders, approvers and admins can ask.`);
    }
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
    });

    function bubble(title) {
      const status = el("span", { class: "state warn", text: "running" });
      const steps = el("ol", { class: "steps" });
      const body = el("div", { class: "body" });
      const node = el("li", { class: "msg agent" }, el("div", { class: "meta" }, el("strong", { text: title }), status), steps, body);
      conversation.append(node);
      return { node, status, steps, body };
    }

    function addStep(view, event) {
      lastSeq.set(event.thread_id, Math.max(lastSeq.get(event.thread_id) || 0, event.seq));
      if (event.kind === "ask") return;
      const label = event.kind === "graph" ? event.node : event.kind;
      view.steps.append(el("li", { class: "step" }, el("span", { class: "node", text: label }),
        el("span", { lang: langOf(event.text), text: event.text || "" })));
    }

    function renderResult(view, result) {
      const [label, cls] = STATUS_LOOK[result.status] || [result.status, "warn"];
      show(view.status, label, `state ${cls}`);
      view.node.dataset.status = result.status;
      const meta = view.node.querySelector(".meta");
      if (result.agent) meta.append(el("span", { text: `agent ${result.agent}` }));
      meta.append(el("span", { class: "mono", text: result.thread_id }));
      view.body.replaceChildren(el("div", { class: "answer", lang: langOf(result.answer, result.language), text: result.answer }));
      if (result.error) view.body.append(el("p", { class: "error", text: `${result.error.type}: ${result.error.message}` }));
      if (result.fills && result.fills.length) {
        view.body.append(el("div", { class: "fills" }, result.fills.map((f) => el("div", { class: "fill", text: fillText(f) }))));
      }
      if (result.status === "needs_approval") {
        view.body.append(el("p", { class: "notice" }, "Waiting for an approver in the ",
          el("a", { href: "/inbox", text: "approval inbox" }), "; this page shows the outcome when it is decided."));
      }
      const runs = result.run_ids || [];
      if (runs.length) {
        const links = el("p", { class: "small" }, "Runs: ");
        const pictures = el("div", { class: "pictures" });
        runs.forEach((id, i) => {
          links.append(i ? ", " : "", el("a", { href: `/runs#${encodeURIComponent(id)}`, text: id }));
          api("GET", `/api/runs/${encodeURIComponent(id)}`).then((run) => {
            for (const url of run.pictures) pictures.append(picture(url, `${id} · ${url.split("/").pop()}`));
          }).catch(() => {});
        });
        view.body.append(links, pictures);
      }
    }

    function watchDecision(threadId) {
      const ctrl = new AbortController();
      watches.push(ctrl);
      while (watches.length > 3) watches.shift().abort();  // a browser allows few open streams per host
      let view = null;
      const params = { thread_id: threadId, after: lastSeq.get(threadId) || 0, until_done: true, timeout_s: 3600 };
      followEvents(params, (event) => {
        view = view || bubble("After the decision");
        addStep(view, event);
      }, ctrl.signal).then(async () => {
        if (!view || ctrl.signal.aborted) return;
        try { renderResult(view, await api("GET", `/api/threads/${encodeURIComponent(threadId)}`)); } catch (e) {
          view.body.replaceChildren(el("p", { class: "error", text: explain(e) }));
        }
      });
    }

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      const threadId = continuing || newThreadId();
      conversation.append(el("li", { class: "msg you", lang: langOf(text) }, el("div", { class: "meta" }, me.name), text));
      input.value = "";
      send.disabled = true;
      const view = bubble("Taorui");
      const ctrl = new AbortController();
      const params = { thread_id: threadId, after: lastSeq.get(threadId) || 0, until_done: true, timeout_s: 900 };
      const stream = followEvents(params, (event) => addStep(view, event), ctrl.signal);
      try {
        const result = await api("POST", "/api/ask", { instruction: text, thread_id: threadId });
        await Promise.race([stream, new Promise((resolve) => setTimeout(resolve, 2000))]);
        renderResult(view, result);
        continuing = result.status === "needs_clarification" ? threadId : null;
        show($("thread-note"), continuing ? `Your next message answers the question (thread ${threadId}).` : "");
        if (result.status === "needs_approval") watchDecision(threadId);
      } catch (e) {
        show(view.status, "failed", "state bad");
        view.body.replaceChildren(el("p", { class: "error", text: explain(e) }));
      } finally {
        ctrl.abort();
        send.disabled = false;
        input.focus();
      }
    });
  }

  // approval inbox ---------------------------------------------------------------------------
  function initInbox(me) {
    const list = $("inbox-items");
    const cards = new Map();
    const canDecide = roleAllows(me.role, "approver");
    if (!canDecide) {
      show($("inbox-role-note"), `Signed in as ${me.name} (${me.role}): only approvers and admins can approve or reject.`);
    }

    function card(item) {
      const countdown = el("span", { class: "countdown" });
      const reason = el("input", { name: "reason", maxlength: 1000, placeholder: "reason (needed to reject)", "aria-label": "reason" });
      const approve = el("button", { type: "button", class: "approve", text: "Approve" });
      const reject = el("button", { type: "button", class: "danger", text: "Reject" });
      const outcome = el("div", { class: "outcome", role: "status" });
      const node = el("article", { class: "item", "data-id": item.id });
      const requests = item.requests || [];
      for (const r of requests) {
        node.append(el("div", { class: "order", text: orderText(r.order || r.intent) }),
          el("ul", { class: "reasons" }, (r.reasons || []).map((why) => el("li", {}, el("code", { text: why.code }), " ", el("span", { lang: langOf(why.message), text: why.message })))));
      }
      const ids = requests.map((r) => r.approval_id || r.id).filter(Boolean).join(", ");
      const agent = requests.map((r) => r.order && r.order.attribution && r.order.attribution.agent).find(Boolean);
      const SOURCES = { thread: "a chat thread, waiting for its orders", gate: "a gate request",
        cycle: `the trading cycle of portfolio ${item.portfolio}: approving decides all its waiting orders` };
      const context = el("dl", { class: "kv small" });
      kv(context, [["proposed by", item.proposed_by], ["instruction", item.instruction || null],
        ["agent", agent], ["source", SOURCES[item.source] || item.source],
        ["thread", item.thread_id || null], ["request", ids || null], ["expires", fmtTime(item.expires)]]);
      const instruction = context.querySelectorAll("dd")[1];
      if (instruction && item.instruction) instruction.lang = langOf(item.instruction);
      node.append(el("p", { class: "small" }, countdown), context);
      if (item.proposed_by === me.name && canDecide) {
        node.append(el("p", { class: "notice small", text: "You proposed this; another approver must approve it." }));
      }
      node.append(el("div", { class: "buttons" }, reason, approve, reject), outcome);
      if (!canDecide) {
        for (const b of [approve, reject]) { b.disabled = true; b.title = "needs the approver role"; }
        reason.disabled = true;
      }
      node.countdown = countdown;
      setDeadline(node, item.seconds_left);

      async function decide(approveIt) {
        const why = reason.value.trim();
        if (!approveIt && !why) { show(outcome, "A rejection needs a reason.", "outcome error"); return; }
        approve.disabled = reject.disabled = true;
        show(outcome, approveIt ? "Approving…" : "Rejecting…", "outcome muted");
        try {
          const verb = approveIt ? "approve" : "reject";
          const done = await api("POST", `/api/approvals/${encodeURIComponent(item.id)}/${verb}`, { reason: why });
          node.dataset.keep = "1";
          node.classList.add("decided");
          outcome.replaceChildren(el("p", { class: "result", text: `${approveIt ? "Approved" : "Rejected"} by ${done.by}: ${done.message}` }));
          if (done.fills && done.fills.length) outcome.append(el("div", { class: "fills" }, done.fills.map((f) => el("div", { class: "fill", text: fillText(f) }))));
          else if (approveIt) outcome.append(el("p", { class: "muted small", text: "No fill reported." }));
          if (done.thread && done.thread.answer) outcome.append(el("div", { class: "answer small", lang: langOf(done.thread.answer, done.thread.language), text: done.thread.answer }));
          node.countdown.textContent = "decided";
        } catch (e) {
          outcome.replaceChildren(el("p", { class: "result error", text: explain(e) }));
          if (e instanceof ApiError && e.status === 409) { node.dataset.keep = "1"; node.classList.add("failed"); }
          else { approve.disabled = reject.disabled = !canDecide; }
        }
      }
      approve.addEventListener("click", () => decide(true));
      reject.addEventListener("click", () => decide(false));
      return node;
    }

    function setDeadline(node, secondsLeft) {
      node.deadline = isNum(secondsLeft) ? Date.now() + secondsLeft * 1000 : null;
      tick(node);
    }
    function tick(node) {
      if (node.dataset.keep) return;
      node.countdown.textContent = node.deadline === null ? "no expiry" : fmtLeft((node.deadline - Date.now()) / 1000);
    }

    async function refresh() {
      let items;
      try { items = await api("GET", "/api/approvals"); } catch (e) { show($("inbox-note"), explain(e)); return; }
      const ids = new Set(items.map((i) => i.id));
      for (const [id, node] of cards) {
        if (!ids.has(id) && !node.dataset.keep) { node.remove(); cards.delete(id); }
      }
      for (const item of items) {
        const known = cards.get(item.id);
        if (known) { if (!known.dataset.keep) setDeadline(known, item.seconds_left); continue; }
        const node = card(item);
        cards.set(item.id, node);
        list.append(node);
      }
      $("inbox-empty").hidden = cards.size > 0;
      show($("inbox-note"), `${items.length} waiting · updated ${new Date().toLocaleTimeString("en-GB", { hour12: false })}`);
    }

    $("inbox-refresh").addEventListener("click", refresh);
    refresh();
    setInterval(refresh, 4000);
    setInterval(() => cards.forEach(tick), 1000);
  }

  // runs -------------------------------------------------------------------------------------
  const KEY_METRICS = ["total_return", "annualized_return", "sharpe", "sortino", "max_drawdown", "calmar", "volatility",
    "win_rate", "n_trades", "ic", "ic_mean", "icir", "rank_ic", "rank_ic_mean", "final_value"];
  const PCT_METRICS = /(return|drawdown|volatility|win_rate|exposure)$/;
  const metricText = (key, value) => (PCT_METRICS.test(key) && isNum(value) ? fmtPct(value, 2) : fmtNum(value, 3));

  function metricList(metrics, keys) {
    const dl = el("dl", { class: "metrics" });
    for (const key of keys) dl.append(el("div", {}, el("dt", { text: key }), el("dd", { text: metricText(key, metrics[key]) })));
    return dl;
  }

  function keyMetrics(metrics) {
    if (!metrics) return [];
    const scalar = (k) => isNum(metrics[k]) || (typeof metrics[k] === "string" && metrics[k].length < 40 && k !== "summary");
    const picked = KEY_METRICS.filter((k) => k in metrics && isNum(metrics[k]));
    return picked.length ? picked.slice(0, 8) : Object.keys(metrics).filter(scalar).slice(0, 8);
  }

  const stateClass = (s) => ({ done: "ok", failed: "bad", running: "warn" }[s] || "warn");

  function initRuns(me) {
    const list = $("runs-list");
    const detail = $("run-detail");
    const canRerun = roleAllows(me.role, "trader");

    async function refresh() {
      let runs;
      try { runs = await api("GET", "/api/runs?limit=60"); } catch (e) { flash(explain(e)); return; }
      list.replaceChildren(...runs.map(runCard));
      $("runs-empty").hidden = runs.length > 0;
    }

    function runCard(run) {
      const node = el("article", { class: "run", "data-id": run.id },
        el("h3", {}, el("a", { href: `#${encodeURIComponent(run.id)}`, text: run.id })),
        el("div", { class: "small muted" }, el("span", { class: `state ${stateClass(run.state)}`, text: run.state || "?" }), " ", fmtTime(run.modified)));
      const keys = keyMetrics(run.metrics);
      if (keys.length) node.append(metricList(run.metrics, keys));
      if (run.pictures.length) {
        const thumb = el("div", { class: "thumb" });
        node.append(thumb);
        lazy(thumb, () => thumb.append(picture(run.pictures[0], run.pictures[0].split("/").pop())));
      }
      node.append(el("a", { class: "small", href: `#${encodeURIComponent(run.id)}`, text: `details, config and ${run.files.length} files` }));
      return node;
    }

    async function showDetail(id) {
      if (!id) { detail.hidden = true; return; }
      let run;
      try { run = await api("GET", `/api/runs/${encodeURIComponent(id)}`); } catch (e) { flash(explain(e)); return; }
      const metrics = run.metrics || {};
      const scalars = Object.keys(metrics).filter((k) => metrics[k] === null || typeof metrics[k] !== "object");
      const nested = Object.keys(metrics).filter((k) => metrics[k] !== null && typeof metrics[k] === "object");
      const close = el("button", { type: "button", text: "Close", onclick: () => { history.replaceState(null, "", "/runs"); detail.hidden = true; } });
      const replayed = el("div", { class: "outcome", id: "replay-result", role: "status" });
      const again = el("button", { type: "button", id: "run-again", text: "Run again",
        title: canRerun ? "rerun from its manifest and compare the metrics (taorui replay)" : "needs the trader role",
        disabled: !canRerun, onclick: () => runAgain(run.id, again, replayed) });
      fill(detail,
        el("h2", {}, el("span", { class: "mono", text: run.id }), el("span", { class: `state ${stateClass(run.state)}`, text: run.state || "?" }), again, close),
        replayed,
        el("div", { class: "pictures" }, run.pictures.map((url) => picture(url, url.split("/").pop()))),
        el("h3", { text: "Metrics" }),
        scalars.length ? metricList(metrics, scalars.filter((k) => typeof metrics[k] !== "string" || metrics[k].length < 60)) : el("p", { class: "muted", text: "no metrics.json" }),
        typeof metrics.summary === "string" ? el("div", { class: "answer small", lang: langOf(metrics.summary), text: metrics.summary }) : null,
        nested.map((k) => el("details", {}, el("summary", { text: k }), el("pre", { text: JSON.stringify(metrics[k], null, 2) }))),
        el("h3", { text: "Config" }),
        el("pre", { class: "config", text: run.config ? JSON.stringify(run.config, null, 2) : "no config.json" }),
        el("details", {}, el("summary", { text: "status.json" }), el("pre", { text: JSON.stringify(run.status, null, 2) })),
        el("h3", { text: "Files" }),
        el("p", { class: "files" }, run.files.map((name) => el("button", {
          type: "button", class: "link-file", text: name,
          onclick: () => download(`/api/runs/${encodeURIComponent(run.id)}/files/${name.split("/").map(encodeURIComponent).join("/")}`, name),
        }))),
      );
      detail.hidden = false;
      detail.scrollIntoView({ block: "start" });
    }

    async function runAgain(id, button, box) {
      button.disabled = true;
      show(box, "Running it again…", "outcome muted");
      try {
        const r = await api("POST", `/api/runs/${encodeURIComponent(id)}/replay`, {});
        const verdict = r.verdict.replace(/_/g, " ");
        const cls = r.verdict === "different" ? "result error" : "result";
        box.replaceChildren(el("p", { class: cls }, `Replayed as `, el("a", { href: `#${encodeURIComponent(r.replay_run_id)}`, text: r.replay_run_id }),
          `: ${verdict} (${r.n_identical} identical, ${r.n_within_tolerance} within tolerance, ${r.n_different} different)`));
        const differing = r.metrics.filter((m) => m.status !== "identical" && m.status !== "ignored");
        if (differing.length) box.append(el("ul", { class: "small" }, differing.slice(0, 20).map((m) => el("li", { text: `${m.key}: ${m.original} → ${m.replayed} [${m.status}]` }))));
        box.className = "outcome";
        box.hidden = false;
        refresh();
      } catch (e) { box.replaceChildren(el("p", { class: "result error", text: explain(e) })); box.hidden = false; }
      button.disabled = !canRerun;
    }

    const current = () => decodeURIComponent(location.hash.slice(1));
    window.addEventListener("hashchange", () => showDetail(current()));
    $("runs-refresh").addEventListener("click", refresh);
    refresh();
    showDetail(current());
  }

  async function download(path, name) {
    try {
      const url = await blobUrl(path);
      const a = el("a", { href: url, download: name.split("/").pop() });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { flash(explain(e)); }
  }

  function lazy(node, load) {
    if (!("IntersectionObserver" in window)) { load(); return; }
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); load(); }
    }, { rootMargin: "200px" });
    seen.observe(node);
  }

  // trading ------------------------------------------------------------------------------------
  const DECISION_LOOK = (d) => (/sent|approved|filled|proposed_only/.test(d) ? "ok" : /pending|waiting|needs/.test(d) ? "warn" : "bad");

  function reasonList(reasons) {
    return el("ul", { class: "reasons" }, (reasons || []).map((r) => (typeof r === "string"
      ? el("li", { lang: langOf(r), text: r })
      : el("li", {}, el("code", { text: r.code }), " ", el("span", { lang: langOf(r.message), text: r.message })))));
  }
  const intentText = (d) => `${String(d.side || "").toUpperCase()} ${fmtNum(d.qty)} ${d.symbol}`;
  const emptyRow = (cols, text) => el("tr", {}, el("td", { colspan: cols, class: "muted", text }));

  function initTrading(me) {
    const table = $("trading-table");
    const detail = $("portfolio-detail");
    const runButton = $("cycle-run");
    const canRun = roleAllows(me.role, "trader");
    const cycleEvents = $("cycle-events");
    let shown = null;
    let running = false;
    if (!canRun) {
      for (const id of ["cycle-run", "cycle-day", "cycle-until"]) $(id).disabled = true;
      runButton.title = "needs the trader role";
      show($("cycle-note"), `Signed in as ${me.name} (${me.role}): running a cycle needs a trader, approver or admin.`);
    }

    function cycleEvent(event) {
      const done = event.kind === "trading_done";
      const label = done ? `finished: ${event.node}` : event.node;
      cycleEvents.append(el("li", { class: done ? `step done ${event.node === "failed" ? "error" : ""}` : "step",
        "data-kind": event.kind, "data-type": event.node },
        el("span", { class: "node", text: label }), el("span", { lang: langOf(event.text), text: event.text || "" })));
      cycleEvents.hidden = false;
      if (done) show($("cycle-result"), event.text, event.node === "failed" ? "result error" : "result");
    }

    $("cycle-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!shown || running || !canRun) return;
      const name = shown;
      const body = {};
      if ($("cycle-day").value) body.day = $("cycle-day").value;
      if ($("cycle-until").value) body.until = $("cycle-until").value;
      running = true;
      runButton.disabled = true;
      cycleEvents.replaceChildren();
      show($("cycle-result"), `Starting the cycle of ${name}…`, "result muted");
      try {
        const handle = await api("POST", `/api/trading/${encodeURIComponent(name)}/run`, body);
        show($("cycle-result"), `Running ${handle.run_id} (started by ${handle.by})…`, "result muted");
        await followEvents({ portfolio: name, after: handle.after, until_done: true, timeout_s: 3600 }, cycleEvent);
      } catch (e) {
        show($("cycle-result"), explain(e), "result error");
      } finally {
        running = false;
        runButton.disabled = !canRun;
      }
      await refresh();
    });

    async function refresh() {
      let overview;
      try { overview = await api("GET", "/api/trading"); } catch (e) { flash(explain(e)); return; }
      const rows = overview.portfolios.map((p) => el("tr", { "data-name": p.name },
        el("td", {}, el("a", { href: `#${encodeURIComponent(p.name)}`, text: p.name })),
        el("td", { class: "small", text: p.strategy || p.problem || "—" }), el("td", { text: p.mode || "—" }),
        el("td", {}, el("span", { class: `state ${TRADING_LOOK[p.trading_state] || "warn"}`, text: p.trading_state || "?" })),
        el("td", { text: fmtNum(p.value) }), el("td", { text: fmtNum(p.cash) }), el("td", { text: p.last_day || "never" }),
        el("td", {}, p.pending ? el("a", { href: "/inbox", text: `${p.pending} order(s) since ${p.paused_on}` }) : "—")));
      $("trading-list").replaceChildren(...rows);
      table.hidden = rows.length === 0;
      $("trading-empty").hidden = rows.length > 0;
      const current = decodeURIComponent(location.hash.slice(1)) || (overview.portfolios[0] && overview.portfolios[0].name);
      if (current) showPortfolio(current);
    }

    async function showPortfolio(name) {
      let v;
      try { v = await api("GET", `/api/trading/${encodeURIComponent(name)}`); } catch (e) { flash(explain(e)); return; }
      if (shown !== v.portfolio && !running) { cycleEvents.replaceChildren(); cycleEvents.hidden = true; show($("cycle-result"), ""); }
      shown = v.portfolio;
      const s = v.status, r = v.report, k = v.risk;
      $("pf-name").textContent = `${v.portfolio} · ${s.strategy} · ${s.mode}`;
      show($("pf-state"), s.trading_state, `state ${TRADING_LOOK[s.trading_state] || "warn"}`);
      show($("pf-waiting"), s.pending.length ? `${s.pending.length} order(s) of ${s.paused_on} wait for a person in the inbox.` : "");
      kv($("pf-pnl"), [["value", fmtNum(s.value)], ["cash", fmtNum(s.cash)], ["initial cash", fmtNum(r.initial_cash)],
        ["P&L after costs", fmtNum(r.pnl_after_costs)], ["P&L before costs", fmtNum(r.pnl_before_costs)],
        ["commissions", fmtNum(r.commissions)], ["total return", fmtPct(r.total_return, 2)], ["sharpe", fmtNum(r.sharpe, 2)],
        ["max drawdown", fmtPct(r.max_drawdown, 2)], ["benchmark return", fmtPct(r.benchmark_return, 2)], ["benchmark", r.benchmark],
        ["excess return", fmtPct(r.excess_return, 2)], ["days run", `${r.days} (${r.first_day || "—"} to ${r.last_day || "—"})`],
        ["orders sent / fills", `${r.orders_sent} / ${r.fills}`]]);
      kv($("pf-risk"), [["state", k.state], ["reason", k.state_reason], ["drawdown", fmtPct(k.drawdown_pct / 100, 2)],
        ["daily loss", fmtPct(k.daily_loss_pct / 100, 2)], ["orders today", fmtNum(k.orders_today)],
        ["pending approvals", fmtNum(k.pending_approvals)], ["policy hash", k.policy_hash]]);
      $("pf-positions").replaceChildren(...(v.positions.length ? v.positions.map((p) => el("tr", {}, el("td", { text: p.symbol }),
        el("td", { text: fmtNum(p.qty) }), el("td", { text: fmtNum(p.close, 4) }), el("td", { text: fmtNum(p.value) })))
        : [emptyRow(4, "no positions")]));
      $("pf-today-title").textContent = v.today ? `Decisions of ${v.today}` : "Today's decisions";
      $("pf-decisions").replaceChildren(...(v.decisions.length ? v.decisions.map((d) => el("tr", {}, el("td", { text: intentText(d) }),
        el("td", {}, el("span", { class: `state ${DECISION_LOOK(d.decision)}`, text: d.decision })), el("td", { text: d.by || "—" }),
        el("td", {}, reasonList(d.reasons)))) : [emptyRow(4, "no decisions yet")]));
      $("pf-blocked").replaceChildren(...(v.blocked.length ? v.blocked.slice(0, 200).map((b) => el("tr", {}, el("td", { text: b.day }),
        el("td", { text: intentText(b) }), el("td", { text: b.decision }), el("td", { text: b.by || "—" }), el("td", {}, reasonList(b.reasons))))
        : [emptyRow(5, "no blocked orders")]));
      $("pf-caveats").replaceChildren(...(r.caveats || []).map((c) => el("li", { lang: langOf(c), text: c })));
      detail.hidden = false;
    }

    window.addEventListener("hashchange", () => showPortfolio(decodeURIComponent(location.hash.slice(1))));
    $("trading-refresh").addEventListener("click", refresh);
    return refresh();
  }

  // risk ---------------------------------------------------------------------------------------
  const TRADING_LOOK = { active: "ok", reducing: "warn", halted: "bad" };

  function tree(value) {
    if (value === null || typeof value !== "object") return el("span", { text: value === null ? "—" : String(value) });
    if (Array.isArray(value)) {
      return value.every((v) => v === null || typeof v !== "object")
        ? el("span", { text: value.length ? value.join(", ") : "(none)" })
        : el("ul", { class: "tree" }, value.map((v) => el("li", {}, tree(v))));
    }
    return el("ul", { class: "tree" }, Object.entries(value).map(([k, v]) => el("li", {}, el("span", { class: "k", text: k }), tree(v))));
  }

  function initRisk(me) {
    const can = roleAllows(me.role, "approver");
    const form = $("kill-form");
    const result = $("kill-result");
    if (!can) {
      for (const id of ["kill-on", "kill-off", "kill-reason"]) $(id).disabled = true;
      show($("kill-role-note"), `Signed in as ${me.name} (${me.role}): the kill switch needs an approver or admin.`);
    }

    async function load() {
      let view;
      try { view = await api("GET", "/api/risk"); } catch (e) { flash(explain(e)); return; }
      const s = view.status;
      show($("risk-state"), s.state, `state ${TRADING_LOOK[s.state] || "warn"}`);
      kv($("risk-status"), [["reason", s.state_reason], ["changed by", s.state_changed_by], ["changed at", fmtTime(s.state_changed_at)],
        ["equity", fmtNum(s.equity)], ["cash", fmtNum(s.cash)], ["high-water mark", fmtNum(s.high_water_mark)],
        ["drawdown", fmtPct(s.drawdown_pct / 100, 2)], ["daily loss", fmtPct(s.daily_loss_pct / 100, 2)],
        ["orders today", fmtNum(s.orders_today)], ["orders last minute", fmtNum(s.orders_last_minute)],
        ["pending approvals", fmtNum(s.pending_approvals)], ["policy hash", s.policy_hash], ["as of", fmtTime(s.as_of)],
        ["account error", s.account_error]]);
      const policy = (view.policy && view.policy.policy) || view.policy || {};
      const { description, ...rest } = policy;
      fill($("risk-policy"), description ? el("p", { text: description }) : null, tree(rest));
    }

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const on = ev.submitter ? ev.submitter.value === "on" : true;
      const reason = $("kill-reason").value.trim();
      if (!reason) { show(result, "The kill switch needs a reason.", "result error"); return; }
      try {
        const done = await api("POST", "/api/risk/kill-switch", { on, reason });
        show(result, `Trading is now ${done.state}${done.changed ? "" : " (it already was)"}: ${done.reason}`, "result");
        $("kill-reason").value = "";
      } catch (e) { show(result, explain(e), "result error"); }
      load();
    });
    load();
  }

  // audit --------------------------------------------------------------------------------------
  function who(payload) {
    const a = payload.attribution || {};
    return payload.by || payload.approver || a.approver || payload.person || a.agent || "";
  }
  function what(payload) {
    const parts = [];
    if (payload.action) parts.push(payload.action);
    const order = payload.order || (payload.order_state && payload.order_state.order);
    if (order) parts.push(orderText(order));
    if (payload.symbol && !order) parts.push(`${String(payload.side || "").toUpperCase()} ${fmtNum(payload.qty)} ${payload.symbol}`);
    for (const key of ["decision", "status", "state", "to", "target", "instruction", "reason", "message"]) {
      const v = payload[key];
      if (typeof v === "string" && v) parts.push(key === "decision" || key === "status" || key === "state" ? v : `${key}: ${v}`);
    }
    const reasons = (payload.reasons || []).map((r) => r.code).filter(Boolean);
    if (reasons.length) parts.push(`reasons: ${reasons.join(", ")}`);
    return parts.join(" · ");
  }

  function initAudit() {
    const rows = $("audit-rows");
    const verifyBox = $("verify-result");

    async function load() {
      const log = $("audit-log").value;
      const n = Math.max(1, Math.min(1000, Number($("audit-n").value) || 50));
      let page;
      try { page = await api("GET", `/api/audit?${new URLSearchParams({ log, n })}`); } catch (e) { flash(explain(e)); return; }
      rows.replaceChildren(...page.records.slice().reverse().map((r) => {
        const text = what(r.payload || {});
        return el("tr", {}, el("td", { text: r.seq }), el("td", { class: "small nowrap", text: fmtTime(r.time) }),
          el("td", {}, el("code", { text: r.kind })), el("td", { text: who(r.payload || {}) }),
          el("td", { lang: langOf(text), text }),
          el("td", {}, el("details", {}, el("summary", { text: "row" }), el("pre", { text: JSON.stringify(r, null, 2) }))));
      }));
      if (!page.records.length) rows.append(el("tr", {}, el("td", { colspan: 6, class: "muted", text: "no rows yet" })));
    }

    async function verify() {
      let report;
      try { report = await api("POST", "/api/audit/verify"); } catch (e) { flash(explain(e)); return; }
      const g = report.guardrails;
      const c = report.console;
      const checked = Object.entries(g.checked || {}).map(([k, v]) => `${k} ${v}`).join(", ");
      fill(verifyBox,
        el("h2", {}, "Verification", el("span", { class: `state ${report.ok ? "ok" : "bad"}`, text: report.ok ? "ok" : "failed" })),
        el("p", { text: `guardrails log: ${g.records} rows, chain ${g.chain_ok ? "intact" : "BROKEN"}, anchored up to #${g.anchored_seq ?? "—"}`
          + (checked ? `; cross-checked ${checked}` : "") + (g.problem ? `; problem: ${g.problem}` : "") }),
        (g.cross_check || []).length ? el("ul", { class: "problems" }, g.cross_check.map((p) => el("li", { text: typeof p === "string" ? p : JSON.stringify(p) }))) : null,
        el("p", { text: `console log: ${c.records} rows, ${c.ok ? "intact" : "BROKEN"}, anchored up to #${c.anchored_seq ?? "—"}`
          + (c.problem ? `; problem: ${c.problem}` : "") }),
      );
      verifyBox.hidden = false;
    }

    $("audit-form").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    $("audit-verify").addEventListener("click", verify);
    load();
  }

  // health -------------------------------------------------------------------------------------
  function initHealth() {
    async function load() {
      let h;
      try { h = await api("GET", "/api/health"); } catch (e) { flash(explain(e)); return; }
      show($("health-ok"), h.ok ? "healthy" : "problems", `state ${h.ok ? "ok" : "bad"}`);
      $("health-problems").replaceChildren(...h.problems.map((p) => el("li", { text: p })));
      $("health-markets").replaceChildren(...h.markets.map((m) => el("tr", {}, el("td", { text: m.market }),
        el("td", { text: fmtNum(m.instruments) }), el("td", { text: m.newest_bar }), el("td", { text: fmtNum(m.days_since_newest) }),
        el("td", { text: m.synthetic ? "yes" : "no" }))));
      const b = h.broker || {};
      kv($("health-broker"), [["trading state", b.trading_state], ["equity", fmtNum(b.equity)], ["cash", fmtNum(b.cash)],
        ["pending approvals", fmtNum(b.pending_approvals)], ["account error", b.account_error || null]]);
      const cycles = Object.entries(h.last_cycles || {});
      kv($("health-cycles"), cycles.length ? cycles.map(([k, v]) => [k, v || "never"]) : [["portfolios", "none yet"]]);
      $("health-memory").textContent = h.memory_bytes === null ? "no memory folder yet" : `${fmtBytes(h.memory_bytes)} on disk`;
    }
    $("health-refresh").addEventListener("click", load);
    load();
  }

  // boot ---------------------------------------------------------------------------------------
  const PAGES = { chat: initChat, inbox: initInbox, runs: initRuns, trading: initTrading, risk: initRisk, audit: initAudit,
    health: initHealth };

  async function boot() {
    const page = document.body.dataset.page;
    const signOutButton = $("sign-out");
    if (signOutButton) signOutButton.addEventListener("click", () => signOut(""));
    const pending = sessionStorage.getItem(FLASH_KEY);
    if (pending) { sessionStorage.removeItem(FLASH_KEY); flash(pending); }
    if (page === "index") { await initIndex(); document.body.dataset.ready = "1"; return; }
    if (!token()) { location.replace(`/?next=${encodeURIComponent(location.pathname)}`); return; }
    let me;
    try { me = await api("GET", "/api/me"); } catch (e) { flash(explain(e)); return; }
    showWho(me);
    document.body.dataset.role = me.role;
    await PAGES[page](me);
    document.body.dataset.ready = "1";
  }

  boot();
})();
