"""The Qlib binary store of one market, written atomically as numbered versions.

Layout of ``<data_dir>/markets/<market>/``::

    versions/v000001/            a complete Qlib store (read by Qlib's file provider)
        calendars/day.txt        one date per line ("1min.txt" for minute bars)
        instruments/all.txt      SYMBOL<TAB>start<TAB>end; one file per universe too
        features/<sym>/<f>.day.bin   float32 LE: [start index into calendar, values...]
        meta.json                provenance, universes, version (our catalog)
    current -> versions/v000001  symlink; replaced with os.replace (atomic on POSIX)

Why versions: a Qlib binary file is indexed by calendar position, so adding one instrument
with new dates can shift every other file. Rather than patch files in place (and leave a
half-written store when killed), each ingest writes a complete new version next to the old
one, fsyncs it, and swaps the ``current`` link in one rename. Readers that resolved the old
version keep reading it; the previous version is kept for them and older ones are pruned.
Unchanged files are hard-linked, not copied, when the calendar did not move.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from taorui_engines.data._models import InstrumentInfo, MarketMeta
from taorui_engines.errors import InternalError

logger = logging.getLogger(__name__)

_KEEP_VERSIONS = 2
_CAL_FMT = {"day": "%Y-%m-%d", "1min": "%Y-%m-%d %H:%M:%S"}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class MarketStore:
    """Reads and writes the versions of one market's store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.market = root.name

    @property
    def current_link(self) -> Path:
        """The ``current`` symlink (may not exist yet)."""
        return self.root / "current"

    def current_version(self) -> Path | None:
        """Resolved folder of the live version, or None for an empty market."""
        link = self.current_link
        if not link.is_symlink() and not link.exists():
            return None
        target = link.resolve()
        return target if (target / "meta.json").exists() else None

    def meta(self) -> MarketMeta | None:
        """The live version's ``meta.json``."""
        version = self.current_version()
        if version is None:
            return None
        return MarketMeta.model_validate_json((version / "meta.json").read_text())

    # reading raw series (used to rebuild versions and by tests) -----------------------
    @staticmethod
    def read_calendar(version: Path, freq: str) -> pd.DatetimeIndex:
        """Calendar of ``freq`` in a version folder (empty if none)."""
        path = version / "calendars" / f"{freq}.txt"
        if not path.exists():
            return pd.DatetimeIndex([])
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        return pd.DatetimeIndex(pd.to_datetime(lines))

    @staticmethod
    def read_field(version: Path, symbol: str, field: str, freq: str) -> tuple[int, np.ndarray]:
        """(start index, float32 values) of one field file."""
        path = version / "features" / symbol.lower() / f"{field}.{freq}.bin"
        raw = np.fromfile(path, dtype="<f4")
        if raw.size == 0:
            raise InternalError(f"empty feature file {path}")
        return int(raw[0]), raw[1:]

    def read_series(self, version: Path, info: InstrumentInfo) -> pd.DataFrame:
        """All fields of one instrument as a float64 frame on its own trading dates."""
        cal = self.read_calendar(version, info.freq)
        cols: dict[str, np.ndarray] = {}
        start = stop = 0
        for field in info.fields:
            start, values = self.read_field(version, info.symbol, field, info.freq)
            stop = start + len(values)
            cols[field] = values.astype("float64")
        frame = pd.DataFrame(cols, index=cal[start:stop])
        frame.index.name = "date"
        return frame.dropna(subset=["close"]) if "close" in frame else frame

    # writing a new version --------------------------------------------------------------
    def write_version(
        self,
        meta: MarketMeta,
        series: Mapping[str, pd.DataFrame],
        carried: Mapping[str, InstrumentInfo],
        before_swap: object = None,
    ) -> Path:
        """Write a complete new version and make it current.

        ``series`` are frames to write (new or changed instruments); ``carried`` are
        instruments copied from the live version unchanged. ``before_swap`` is a test hook
        (a callable) run after the files are written and before the link moves.
        """
        old = self.current_version()
        versions = self.root / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        number = (meta.version or 0) + 1
        final = versions / f"v{number:06d}"
        tmp = versions / f".tmp-v{number:06d}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        try:
            self._build(tmp, old, meta.model_copy(update={"version": number}), series, carried)
            if final.exists():  # a leftover from a crash after rename but before the swap
                shutil.rmtree(final)
            os.rename(tmp, final)
            _fsync_dir(versions)
            if callable(before_swap):
                before_swap()
            self._swap_current(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(final)
        return final

    def _build(
        self,
        tmp: Path,
        old: Path | None,
        meta: MarketMeta,
        series: Mapping[str, pd.DataFrame],
        carried: Mapping[str, InstrumentInfo],
    ) -> None:
        (tmp / "calendars").mkdir(parents=True)
        (tmp / "instruments").mkdir()
        (tmp / "features").mkdir()
        freqs = {info.freq for info in meta.instruments.values()}
        for freq in sorted(freqs):
            self._build_freq(tmp, old, meta, freq, series, carried)
        self._write_instruments(tmp, meta)
        _write_file(tmp / "meta.json", meta.model_dump_json(indent=2).encode())
        _fsync_dir(tmp)

    def _build_freq(
        self,
        tmp: Path,
        old: Path | None,
        meta: MarketMeta,
        freq: str,
        series: Mapping[str, pd.DataFrame],
        carried: Mapping[str, InstrumentInfo],
    ) -> None:
        new_frames = {s: f for s, f in series.items() if meta.instruments[s].freq == freq}
        keep = {s: i for s, i in carried.items() if i.freq == freq}
        old_cal = self.read_calendar(old, freq) if old is not None else pd.DatetimeIndex([])
        dates = [old_cal] if keep else []
        dates += [frame.index for frame in new_frames.values()]
        calendar = pd.DatetimeIndex(sorted(set().union(*[set(d) for d in dates])))
        cal_text = "\n".join(calendar.strftime(_CAL_FMT[freq])) + "\n"
        _write_file(tmp / "calendars" / f"{freq}.txt", cal_text.encode())
        same_calendar = old is not None and calendar.equals(old_cal)
        for symbol, info in keep.items():
            if same_calendar:
                self._link_instrument(old, tmp, info)  # type: ignore[arg-type]
            else:
                frame = self.read_series(old, info)  # type: ignore[arg-type]
                self._write_instrument(tmp, symbol, frame, calendar, freq)
        for symbol, frame in new_frames.items():
            self._write_instrument(tmp, symbol, frame, calendar, freq)

    @staticmethod
    def _link_instrument(old: Path, tmp: Path, info: InstrumentInfo) -> None:
        src = old / "features" / info.symbol.lower()
        dst = tmp / "features" / info.symbol.lower()
        dst.mkdir(parents=True, exist_ok=True)
        for field in info.fields:
            name = f"{field}.{info.freq}.bin"
            try:
                os.link(src / name, dst / name)
            except OSError:
                shutil.copy2(src / name, dst / name)

    @staticmethod
    def _write_instrument(
        tmp: Path, symbol: str, frame: pd.DataFrame, calendar: pd.DatetimeIndex, freq: str
    ) -> None:
        positions = calendar.get_indexer(frame.index)
        if (positions < 0).any():
            raise InternalError(f"{symbol}: dates missing from the rebuilt calendar")
        start, stop = int(positions[0]), int(positions[-1]) + 1
        folder = tmp / "features" / symbol.lower()
        folder.mkdir(parents=True, exist_ok=True)
        for field in frame.columns:
            values = np.full(stop - start, np.nan, dtype="<f4")
            values[positions - start] = frame[field].to_numpy(dtype="float64")
            payload = np.concatenate([np.array([start], dtype="<f4"), values]).tobytes()
            _write_file(folder / f"{field}.{freq}.bin", payload)

    @staticmethod
    def _write_instruments(tmp: Path, meta: MarketMeta) -> None:
        def line(info: InstrumentInfo) -> str:
            return f"{info.symbol}\t{info.start}\t{info.end}"

        rows = [line(i) for _, i in sorted(meta.instruments.items())]
        _write_file(tmp / "instruments" / "all.txt", ("\n".join(rows) + "\n").encode())
        for name, universe in meta.universes.items():
            members = [line(meta.instruments[m]) for m in sorted(universe.members)]
            _write_file(tmp / "instruments" / f"{name}.txt", ("\n".join(members) + "\n").encode())

    def _swap_current(self, final: Path) -> None:
        tmp_link = self.root / f".current-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp_link.unlink()
        os.symlink(Path("versions") / final.name, tmp_link)
        os.replace(tmp_link, self.current_link)
        _fsync_dir(self.root)
        logger.info("market %s now at %s", self.market, final.name)

    def _prune(self, live: Path) -> None:
        versions = sorted(p for p in (self.root / "versions").glob("v*") if p.is_dir())
        for stale in versions[:-_KEEP_VERSIONS]:
            if stale != live:
                shutil.rmtree(stale, ignore_errors=True)
        for leftover in (self.root / "versions").glob(".tmp-*"):
            pid = leftover.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
