"""The paper broker: a persistent simulated account that fills against the data center.

Public API (implements :class:`taorui_engines.brokers.models.Broker`)::

    broker = PaperBroker(state_dir / "paper_broker.sqlite", data_center,
                         config=PaperConfig(initial_cash=100_000),   # optional
                         clock=lambda: replay_time)                  # optional, injected
    state = broker.submit(Order(key="cycle-2010-01-04-SP500", symbol="SP500",
                                side="buy", qty=10))                 # ACCEPTED or REJECTED
    fills = broker.settle(datetime(2010, 1, 5))   # fill open orders on bars up to this time
    fill = broker.fill_at(key, price=1132.5, time=...)  # or fill at a price you give
    broker.cancel(key); broker.order(key); broker.orders(open_only=True); broker.fills()
    broker.positions(); broker.cash(); broker.value(); broker.snapshot(); broker.has_key(key)
    broker.reset()                  # empty account, same config; seen keys are kept
    broker.check_consistency()      # [] when cash and positions reconcile with the fills

Semantics (docs/brokers.md has the full page):

- **Idempotency.** ``submit`` of a key the broker has seen raises
  :class:`~taorui_engines.errors.DuplicateOrderKeyError` (an ``InvalidInputError``) and
  changes nothing. Keys are remembered forever, across restarts and across ``reset``.
- **Rejections.** An order the account cannot take (a sell beyond the position when shorting
  is off, fractional units when they are off) is recorded with status ``REJECTED`` and a
  reason; its key counts as seen. Input that is not an order for this broker at all (unknown
  symbol, a creation time before the last settled day) raises and records nothing.
- **Fills.** Times are naive market wall-clock times (an aware time keeps its wall clock).
  An order created on calendar day D fills no earlier than the open of the first bar dated
  after D, when :meth:`PaperBroker.settle` is called with an ``asof`` on or after that bar's
  date. Market orders fill at the open moved against the trader by ``slippage``; limit
  orders at the open if it is through the limit, else at the limit if the bar reaches it.
  One bar fills at most ``participation`` x its volume; the rest waits for the next bar.
  A buy that cash cannot pay fills the affordable part and the rest is cancelled.
- **Persistence.** SQLite (WAL, ``synchronous=FULL``), one transaction per state change: a
  restarted process sees the same cash, positions, orders and seen keys.
- **Clock.** Nothing reads the wall clock except the default ``clock`` argument; the trading
  cycle injects its own (a replay clock over history).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.brokers import _paper_db as db
from taorui_engines.brokers._fills import (
    QTY_EPS,
    Bar,
    PositionBook,
    affordable_qty,
    bar_fill_price,
    volume_cap,
)
from taorui_engines.brokers.models import (
    AccountSnapshot,
    Fill,
    Order,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    Position,
)
from taorui_engines.data import DataCenter
from taorui_engines.errors import (
    DuplicateOrderKeyError,
    InvalidArgumentError,
    InvalidDateRangeError,
    NotFoundError,
)
from taorui_engines.sqlstore import SqlConnection

__all__ = ["Clock", "PaperBroker", "PaperConfig"]

logger = logging.getLogger(__name__)

#: A function returning "now" (naive market wall-clock time, or aware).
Clock = Callable[[], datetime]

_OPEN = (OrderStatus.ACCEPTED.value, OrderStatus.PARTIALLY_FILLED.value)
#: Days of bars loaded before ``asof`` to find the last close of a held symbol.
_MARK_LOOKBACK_DAYS = 40


class PaperConfig(BaseModel):
    """How the paper account behaves. Fixed when the account is created (reset to change)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_cash: float = Field(default=100_000.0, gt=0, le=1e12, description="Starting cash.")
    commission_rate: float = Field(
        default=0.001, ge=0, le=0.05, description="Commission as a fraction of traded value."
    )
    slippage: float = Field(
        default=0.0005, ge=0, le=0.05,
        description="Fraction by which a fill at the open moves against the trader.",
    )
    participation: float = Field(
        default=0.1, gt=0, le=1, description="Largest fraction of a bar's volume one order may take."
    )
    allow_short: bool = Field(default=False, description="Whether sells may exceed the position.")
    fractional: bool = Field(default=False, description="Whether quantities may be fractional.")


def _naive(moment: datetime) -> datetime:
    """Drop tzinfo but keep the wall clock: broker times are market wall-clock times."""
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def _local_now() -> datetime:
    return datetime.now()


def _finite_positive(value: float, what: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"{what} must be a positive finite number, got {value!r}")
    return float(value)


class PaperBroker:
    """A simulated account persisted in SQLite at ``path``, filling against ``data``.

    ``config`` applies when the file is new; reopening an account with a different config
    is refused (reset the account to change it). ``clock`` gives the time stamped on
    submissions without a ``created`` time and on state changes.
    """

    def __init__(
        self,
        path: Path,
        data: DataCenter,
        config: PaperConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.path = Path(path)
        self._data = data
        self._clock = clock or _local_now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.config = self._open(config)

    # account life cycle ----------------------------------------------------------------
    def _open(self, config: PaperConfig | None) -> PaperConfig:
        with db.connect(self.path) as conn:
            db.create_schema(conn)
            with db.transaction(conn):
                stored = _meta(conn, "config")
                if stored is None:
                    chosen = config or PaperConfig()
                    self._write_fresh_meta(conn, chosen)
                    logger.info("created paper account %s with %.2f cash", self.path, chosen.initial_cash)
                    return chosen
        existing = PaperConfig.model_validate_json(stored)
        if config is not None and config != existing:
            raise InvalidArgumentError(
                f"the paper account {self.path} was created with {existing.model_dump()}; "
                "reset it (`taorui broker reset --paper`) to use another configuration"
            )
        return existing

    @staticmethod
    def _write_fresh_meta(conn: SqlConnection, config: PaperConfig) -> None:
        _set_meta(conn, "schema_version", str(db.SCHEMA_VERSION))
        _set_meta(conn, "config", config.model_dump_json())
        _set_meta(conn, "cash", repr(config.initial_cash))
        _set_meta(conn, "last_asof", "")

    def reset(self, initial_cash: float | None = None) -> None:
        """Empty the account (orders, fills, positions) and restore the starting cash.

        Seen idempotency keys are kept on purpose: an order replayed after a reset is still
        refused rather than sent a second time.
        """
        config = self.config
        if initial_cash is not None:
            config = config.model_copy(update={"initial_cash": _finite_positive(initial_cash, "cash")})
            config = PaperConfig.model_validate(config.model_dump())
        with db.connect(self.path) as conn, db.transaction(conn):
            for table in ("orders", "fills", "positions"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._write_fresh_meta(conn, config)
        self.config = config
        logger.info("reset paper account %s to %.2f cash", self.path, config.initial_cash)

    # submit / cancel -------------------------------------------------------------------
    def submit(self, order: Order) -> OrderState:
        """Record ``order``: ``ACCEPTED`` (waits for :meth:`settle`) or ``REJECTED`` with a reason.

        Raises :class:`DuplicateOrderKeyError` for a seen key, ``UnknownSymbolError`` for a
        symbol not in the data center, and ``InvalidArgumentError`` for a creation time
        before the last settled day; in those cases nothing is recorded.
        """
        self._check_tradable(order.symbol)
        created = _naive(order.created) if order.created is not None else self._now()
        stamped = order.model_copy(update={"created": created})
        with db.connect(self.path) as conn, db.transaction(conn):
            if conn.execute("SELECT 1 FROM seen_keys WHERE key=?", (order.key,)).fetchone():
                raise DuplicateOrderKeyError(order.key)
            _refuse_backdated(conn, created)
            reason = self._rejection(conn, stamped)
            status = OrderStatus.REJECTED if reason else OrderStatus.ACCEPTED
            now = self._now().isoformat()
            conn.execute("INSERT INTO seen_keys(key, first_seen) VALUES (?, ?)", (order.key, now))
            conn.execute(
                "INSERT INTO orders(key, order_json, submitted, status, reason, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (order.key, stamped.model_dump_json(), created.isoformat(), status.value, reason, now),
            )
            state = _order_state(_order_row(conn, order.key))
        logger.info("paper order %s %s %s x%g: %s", order.key, order.side.value, order.symbol,
                    order.qty, status.value)
        return state

    def _check_tradable(self, symbol: str) -> None:
        info = self._data.info(symbol)
        if info.freq != "day" or "open" not in info.fields:
            raise InvalidArgumentError(
                f"{info.symbol} has no daily open prices; the paper broker fills at daily opens"
            )

    def _rejection(self, conn: SqlConnection, order: Order) -> str | None:
        """Why the account cannot take ``order`` (None when it can)."""
        if not self.config.fractional and abs(order.qty - round(order.qty)) > QTY_EPS:
            return f"fractional quantity {order.qty} while fractional trading is off"
        if order.side is OrderSide.SELL and not self.config.allow_short:
            held = _position_qty(conn, order.symbol)
            pending = _pending_sells(conn, order.symbol)
            if order.qty > held - pending + QTY_EPS:
                return (f"sell of {order.qty:g} {order.symbol} exceeds the {held - pending:g} units "
                        "held and not already being sold; shorting is off")
        return None

    def cancel(self, key: str) -> OrderState:
        """Cancel an open order; cancelling a cancelled order returns it unchanged."""
        with db.connect(self.path) as conn, db.transaction(conn):
            row = _order_row(conn, key)
            if row["status"] == OrderStatus.CANCELLED.value:
                return _order_state(row)
            if row["status"] not in _OPEN:
                raise InvalidArgumentError(f"order {key!r} is {row['status']}; only open orders can be cancelled")
            _set_order(conn, key, OrderStatus.CANCELLED, "cancelled on request", self._now())
            state = _order_state(_order_row(conn, key))
        logger.info("paper order %s cancelled", key)
        return state

    # fills -------------------------------------------------------------------------------
    def settle(self, asof: datetime) -> list[Fill]:
        """Fill open orders on every bar dated after their submission and on or before ``asof``.

        Bars are taken in date order across all orders (older orders first on a date), so
        cash is spent in the order it would have been. Calling it again with the same
        ``asof`` fills nothing twice. Afterwards held positions are marked at the last
        close on or before ``asof``.
        """
        day = _naive(asof).date()
        with db.connect(self.path) as conn:
            last = _last_asof(conn)
            if last is not None and day < last:
                raise InvalidArgumentError(f"settle({day}) goes back before the last settled day {last}")
            open_rows = conn.execute(
                "SELECT * FROM orders WHERE status IN (?, ?) ORDER BY seq", _OPEN
            ).fetchall()
            held = [r["symbol"] for r in conn.execute("SELECT symbol FROM positions")]
        bars = self._load_bars(open_rows, held, day)
        fills = [f for d, _, key in _events(open_rows, bars) if (f := self._fill_on_bar(key, bars, d))]
        self._mark(bars, day)
        if fills:
            logger.info("paper settle to %s: %d fill(s)", day, len(fills))
        return fills

    def _load_bars(self, open_rows: list[Any], held: list[str], day: date) -> dict[str, list[Bar]]:
        """Daily bars per symbol from the earliest needed date up to ``day``."""
        mark_start = day - timedelta(days=_MARK_LOOKBACK_DAYS)
        starts: dict[str, date] = {s: mark_start for s in held}
        for row in open_rows:
            symbol = Order.model_validate_json(row["order_json"]).symbol
            first = _first_eligible(row)
            starts[symbol] = min(starts.get(symbol, first), first)
        wanted = {s: start for s, start in starts.items() if start <= day}
        if not wanted:
            return {}
        # One read for every symbol (a read per symbol costs a store round trip each).
        try:
            frame = self._data.get_price(sorted(wanted), min(wanted.values()).isoformat(), day.isoformat())
        except InvalidDateRangeError:
            return {s: [] for s in wanted}
        out: dict[str, list[Bar]] = {s: [] for s in wanted}
        cols = frame[["symbol", "date", "open", "high", "low", "close", "volume"]].itertuples(index=False)
        for sym, d, o, h, lo, c, v in cols:
            bar_day = d.date()
            if sym in out and bar_day >= wanted[sym] and math.isfinite(o):
                out[sym].append(Bar(bar_day, o, h, lo, c, v))
        return out

    def _fill_on_bar(self, key: str, bars: dict[str, list[Bar]], day: date) -> Fill | None:
        """One order on one bar: one transaction (the fill, the order, cash and position)."""
        with db.connect(self.path) as conn, db.transaction(conn):
            row = _order_row(conn, key)
            if row["status"] not in _OPEN or (row["last_bar"] and row["last_bar"] >= day.isoformat()):
                return None  # cancelled meanwhile, or this bar was used by an earlier settle
            order = Order.model_validate_json(row["order_json"])
            bar = next(b for b in bars[order.symbol] if b.date == day)
            conn.execute("UPDATE orders SET last_bar=? WHERE key=?", (day.isoformat(), key))
            price = bar_fill_price(order, bar, self.config.slippage)
            if price is None:
                return None
            qty = self._bar_qty(conn, row, order, bar, price)
            if qty is None:
                return None
            return self._record_fill(conn, row, order, qty, price, datetime.combine(day, time()))

    def _bar_qty(
        self, conn: SqlConnection, row: Any, order: Order, bar: Bar, price: float
    ) -> float | None:
        """Quantity this bar fills; cancels the order when cash or position has run out."""
        remaining = order.qty - row["filled_qty"]
        capped = volume_cap(remaining, bar.volume, self.config.participation, self.config.fractional)
        if capped <= QTY_EPS:
            return None  # no volume to take on this bar; try the next one
        qty, short_of = self._account_limit(conn, order, capped, price)
        if qty <= QTY_EPS:
            _set_order(conn, order.key, OrderStatus.CANCELLED, f"{short_of} on {bar.date}", self._now())
            return None
        return qty

    def _account_limit(
        self, conn: SqlConnection, order: Order, qty: float, price: float
    ) -> tuple[float, str]:
        """Cut ``qty`` to what cash (buys) or the position (sells, no shorting) allows."""
        if order.side is OrderSide.BUY:
            cash = _cash(conn)
            return affordable_qty(qty, price, self.config.commission_rate, cash, self.config.fractional), (
                "insufficient cash"
            )
        if self.config.allow_short:
            return qty, ""
        return min(qty, max(_position_qty(conn, order.symbol), 0.0)), "no position left to sell"

    def _record_fill(
        self, conn: SqlConnection, row: Any, order: Order, qty: float, price: float,
        when: datetime,
    ) -> Fill:
        """Write the fill and move cash, position and order together (caller's transaction)."""
        n = conn.execute("SELECT COUNT(*) FROM fills WHERE order_key=?", (order.key,)).fetchone()[0]
        commission = qty * price * self.config.commission_rate
        fill = Fill(fill_id=f"{order.key}:{n + 1}", order_key=order.key, symbol=order.symbol,
                    side=order.side, qty=qty, price=price, commission=commission, time=when)
        conn.execute(
            "INSERT INTO fills(fill_id, order_key, symbol, side, qty, price, commission, time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (fill.fill_id, fill.order_key, fill.symbol, fill.side.value, qty, price, commission,
             when.isoformat()),
        )
        direction = 1.0 if order.side is OrderSide.BUY else -1.0
        _set_meta(conn, "cash", repr(_cash(conn) - direction * qty * price - commission))
        _apply_position(conn, order, qty, price, when)
        self._advance_order(conn, row, order, qty, price)
        return fill

    def _advance_order(
        self, conn: SqlConnection, row: Any, order: Order, qty: float, price: float
    ) -> None:
        filled = row["filled_qty"] + qty
        avg = ((row["avg_fill_price"] or 0.0) * row["filled_qty"] + price * qty) / filled
        status = OrderStatus.FILLED if order.qty - filled <= QTY_EPS else OrderStatus.PARTIALLY_FILLED
        conn.execute("UPDATE orders SET filled_qty=?, avg_fill_price=? WHERE key=?", (filled, avg, order.key))
        reason = None
        if status is OrderStatus.PARTIALLY_FILLED and order.side is OrderSide.BUY:
            cash_left = _cash(conn)
            if cash_left < price * (1 + self.config.commission_rate):  # the rest cannot be paid
                status, reason = OrderStatus.CANCELLED, "rest cancelled: insufficient cash"
        _set_order(conn, order.key, status, reason, self._now())

    def fill_at(self, key: str, price: float, when: datetime, qty: float | None = None) -> Fill:
        """Fill (part of) an open order at a price you give, e.g. a live quote.

        No slippage or volume cap is applied: ``price`` is the execution price. Commission
        is. Refused (nothing changes) when the order is not open, ``when`` is before its
        submission, the price violates its limit, or cash/position cannot take it.
        """
        price = _finite_positive(price, "price")
        moment = _naive(when)
        with db.connect(self.path) as conn, db.transaction(conn):
            row = _order_row(conn, key)
            order = Order.model_validate_json(row["order_json"])
            fill_qty = self._check_explicit_fill(conn, row, order, price, moment, qty)
            fill = self._record_fill(conn, row, order, fill_qty, price, moment)
        logger.info("paper order %s filled %g at %.4f (given price)", key, fill_qty, price)
        return fill

    def _check_explicit_fill(
        self, conn: SqlConnection, row: Any, order: Order, price: float,
        moment: datetime, qty: float | None,
    ) -> float:
        if row["status"] not in _OPEN:
            raise InvalidArgumentError(f"order {order.key!r} is {row['status']}, not open")
        if moment < datetime.fromisoformat(row["submitted"]):
            raise InvalidArgumentError(f"fill time {moment} is before the order's submission {row['submitted']}")
        remaining = order.qty - row["filled_qty"]
        fill_qty = remaining if qty is None else _finite_positive(qty, "qty")
        if fill_qty > remaining + QTY_EPS:
            raise InvalidArgumentError(f"qty {fill_qty:g} exceeds the {remaining:g} units still open")
        if order.type is OrderType.LIMIT and order.limit_price is not None:
            buy = order.side is OrderSide.BUY
            if (buy and price > order.limit_price) or (not buy and price < order.limit_price):
                raise InvalidArgumentError(f"price {price} is through the limit {order.limit_price}")
        allowed, short_of = self._account_limit(conn, order, fill_qty, price)
        if allowed + QTY_EPS < fill_qty:
            raise InvalidArgumentError(f"cannot fill {fill_qty:g} {order.symbol}: {short_of}")
        return fill_qty

    def _mark(self, bars: dict[str, list[Bar]], day: date) -> None:
        """Set each held symbol's last price to its last close on or before ``day``."""
        with db.connect(self.path) as conn, db.transaction(conn):
            for row in conn.execute("SELECT symbol FROM positions").fetchall():
                known = [b for b in bars.get(row["symbol"], []) if b.date <= day]
                if known:
                    conn.execute(
                        "UPDATE positions SET last_price=?, last_time=? WHERE symbol=?",
                        (known[-1].close, datetime.combine(known[-1].date, time()).isoformat(), row["symbol"]),
                    )
            last = _last_asof(conn)
            if last is None or day > last:
                _set_meta(conn, "last_asof", day.isoformat())

    # reads -------------------------------------------------------------------------------
    def order(self, key: str) -> OrderState:
        """One order by key (``NotFoundError`` when unknown)."""
        with db.connect(self.path) as conn:
            return _order_state(_order_row(conn, key))

    def orders(self, open_only: bool = False) -> list[OrderState]:
        """Orders in submission order (open ones only if asked)."""
        sql = "SELECT * FROM orders" + (" WHERE status IN (?, ?)" if open_only else "") + " ORDER BY seq"
        with db.connect(self.path) as conn:
            return [_order_state(r) for r in conn.execute(sql, _OPEN if open_only else ())]

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """Executions, oldest first; ``since`` keeps those at or after that time."""
        with db.connect(self.path) as conn:
            rows = conn.execute("SELECT * FROM fills ORDER BY seq").fetchall()
        out = [_fill(r) for r in rows]
        return out if since is None else [f for f in out if f.time >= _naive(since)]

    def positions(self) -> list[Position]:
        """Non-zero positions, by symbol."""
        with db.connect(self.path) as conn:
            rows = conn.execute("SELECT * FROM positions ORDER BY symbol").fetchall()
        return [Position(symbol=r["symbol"], qty=r["qty"], avg_price=r["avg_price"],
                         last_price=r["last_price"]) for r in rows]

    def cash(self) -> float:
        """Free cash."""
        with db.connect(self.path) as conn:
            return _cash(conn)

    def value(self) -> float:
        """Cash plus positions at their last price (average price where none is known)."""
        held = sum(p.qty * (p.last_price if p.last_price is not None else p.avg_price)
                   for p in self.positions())
        return self.cash() + held

    def has_key(self, key: str) -> bool:
        """True if an order with this key was ever submitted (even before a reset)."""
        with db.connect(self.path) as conn:
            return conn.execute("SELECT 1 FROM seen_keys WHERE key=?", (key,)).fetchone() is not None

    def snapshot(self) -> AccountSnapshot:
        """Cash, positions and value, stamped with the broker's clock."""
        return AccountSnapshot(cash=self.cash(), positions=tuple(self.positions()),
                               value=self.value(), time=self._now())

    def last_settled(self) -> date | None:
        """The latest ``asof`` day :meth:`settle` has processed (None before the first)."""
        with db.connect(self.path) as conn:
            return _last_asof(conn)

    def realized_pnl(self) -> float:
        """P&L realised by closing trades since the last reset, before commission."""
        books: dict[str, PositionBook] = {}
        total = 0.0
        for fill in self.fills():
            signed = fill.qty if fill.side is OrderSide.BUY else -fill.qty
            total += books.setdefault(fill.symbol, PositionBook()).apply(signed, fill.price)
        return total

    def check_consistency(self) -> list[str]:
        """Recompute cash, positions and filled quantities from the fills; list mismatches."""
        fills = self.fills()
        problems = _cash_problems(self.config.initial_cash, self.cash(), fills)
        problems += _position_problems(self.positions(), fills)
        problems += _order_problems(self.orders(), fills)
        return problems

    def _now(self) -> datetime:
        return _naive(self._clock())


# row helpers -----------------------------------------------------------------------------
def _meta(conn: SqlConnection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
    return None if row is None else str(row["value"])


def _set_meta(conn: SqlConnection, name: str, value: str) -> None:
    conn.execute("INSERT INTO meta(name, value) VALUES (?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET value=excluded.value", (name, value))


def _cash(conn: SqlConnection) -> float:
    return float(_meta(conn, "cash") or "nan")


def _last_asof(conn: SqlConnection) -> date | None:
    text = _meta(conn, "last_asof")
    return date.fromisoformat(text) if text else None


def _refuse_backdated(conn: SqlConnection, created: datetime) -> None:
    last = _last_asof(conn)
    if last is not None and created.date() < last:
        raise InvalidArgumentError(
            f"order time {created} is before the last settled day {last}: bars up to then are "
            "already used, so the order could fill in the past"
        )


def _position_qty(conn: SqlConnection, symbol: str) -> float:
    row = conn.execute("SELECT qty FROM positions WHERE symbol=?", (symbol,)).fetchone()
    return 0.0 if row is None else float(row["qty"])


def _pending_sells(conn: SqlConnection, symbol: str) -> float:
    total = 0.0
    for row in conn.execute("SELECT order_json, filled_qty FROM orders WHERE status IN (?, ?)", _OPEN):
        order = Order.model_validate_json(row["order_json"])
        if order.symbol == symbol and order.side is OrderSide.SELL:
            total += order.qty - row["filled_qty"]
    return total


def _order_row(conn: SqlConnection, key: str) -> Any:
    row = conn.execute("SELECT * FROM orders WHERE key=?", (key,)).fetchone()
    if row is None:
        raise NotFoundError(f"no order with key {key!r} at this paper broker")
    return row  # type: ignore[no-any-return]


def _set_order(
    conn: SqlConnection, key: str, status: OrderStatus, reason: str | None, now: datetime
) -> None:
    conn.execute("UPDATE orders SET status=?, reason=COALESCE(?, reason), updated=? WHERE key=?",
                 (status.value, reason, now.isoformat(), key))


def _order_state(row: Any) -> OrderState:
    return OrderState(
        order=Order.model_validate_json(row["order_json"]),
        status=OrderStatus(row["status"]),
        filled_qty=row["filled_qty"],
        avg_fill_price=row["avg_fill_price"],
        reason=row["reason"],
        updated=datetime.fromisoformat(row["updated"]),
    )


def _fill(row: Any) -> Fill:
    return Fill(fill_id=row["fill_id"], order_key=row["order_key"], symbol=row["symbol"],
                side=OrderSide(row["side"]), qty=row["qty"], price=row["price"],
                commission=row["commission"], time=datetime.fromisoformat(row["time"]))


def _apply_position(conn: SqlConnection, order: Order, qty: float, price: float, when: datetime) -> None:
    row = conn.execute("SELECT * FROM positions WHERE symbol=?", (order.symbol,)).fetchone()
    book = PositionBook() if row is None else PositionBook(row["qty"], row["avg_price"])
    book.apply(qty if order.side is OrderSide.BUY else -qty, price)
    if abs(book.qty) <= QTY_EPS:
        conn.execute("DELETE FROM positions WHERE symbol=?", (order.symbol,))
        return
    conn.execute(
        "INSERT INTO positions(symbol, qty, avg_price, last_price, last_time) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(symbol) DO UPDATE SET qty=excluded.qty, avg_price=excluded.avg_price, "
        "last_price=excluded.last_price, last_time=excluded.last_time",
        (order.symbol, book.qty, book.avg_price, price, when.isoformat()),
    )


def _first_eligible(row: Any) -> date:
    """First calendar day whose bar may fill this order (after submission and last used bar)."""
    first = datetime.fromisoformat(row["submitted"]).date() + timedelta(days=1)
    if row["last_bar"]:
        first = max(first, date.fromisoformat(row["last_bar"]) + timedelta(days=1))
    return first


def _events(open_rows: Iterable[Any], bars: dict[str, list[Bar]]) -> list[tuple[date, int, str]]:
    """(bar date, order seq, key) for every bar an open order may use, in time order."""
    out = []
    for row in open_rows:
        symbol = Order.model_validate_json(row["order_json"]).symbol
        first = _first_eligible(row)
        out += [(b.date, row["seq"], row["key"]) for b in bars.get(symbol, []) if b.date >= first]
    return sorted(out)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def _cash_problems(initial: float, cash: float, fills: list[Fill]) -> list[str]:
    expected = initial
    for f in fills:
        expected += (-1 if f.side is OrderSide.BUY else 1) * f.qty * f.price - f.commission
    return [] if _close(expected, cash) else [f"cash {cash} != {expected} from the fills"]


def _position_problems(positions: list[Position], fills: list[Fill]) -> list[str]:
    books: dict[str, PositionBook] = {}
    for f in fills:
        books.setdefault(f.symbol, PositionBook()).apply(f.qty if f.side is OrderSide.BUY else -f.qty, f.price)
    expected = {s: b for s, b in books.items() if abs(b.qty) > QTY_EPS}
    stored = {p.symbol: p for p in positions}
    problems = [f"position set {sorted(stored)} != {sorted(expected)}"] if set(stored) != set(expected) else []
    for symbol in set(stored) & set(expected):
        p, b = stored[symbol], expected[symbol]
        if not (_close(p.qty, b.qty) and _close(p.avg_price, b.avg_price)):
            problems.append(f"{symbol}: stored {p.qty}@{p.avg_price}, fills give {b.qty}@{b.avg_price}")
    return problems


def _order_problems(orders: list[OrderState], fills: list[Fill]) -> list[str]:
    filled: dict[str, float] = {}
    for f in fills:
        filled[f.order_key] = filled.get(f.order_key, 0.0) + f.qty
    return [f"order {o.order.key}: filled_qty {o.filled_qty} != {filled.get(o.order.key, 0.0)}"
            for o in orders if not _close(o.filled_qty, filled.get(o.order.key, 0.0))]
