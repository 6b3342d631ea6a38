"""A progress bar for ``grade`` on stderr: done/total, failures, rate and ETA.

On a terminal the bar redraws one line in place (``\\r``) and lines printed
through ``ProgressBar.echo`` appear above it; elsewhere (a log file, CI) each
update is one plain line, at most one every ``interval`` seconds plus the last.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class ProgressBar:
    """``start(total, skipped)``, then ``done(row)`` per submission (kept rows included), then ``finish()``."""

    def __init__(
        self, stream: TextIO | None = None, *, width: int = 28, interval: float = 2.0, tty: bool | None = None
    ):
        self.stream = stream or sys.stderr
        self.width = width
        self.interval = interval
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = 0
        self.count = 0
        self.failures = 0
        self.skipped = 0
        self._started = time.monotonic()
        self._last_plain = 0.0
        self._shown = False
        self._lock = threading.Lock()

    def start(self, total: int, skipped: int = 0) -> None:
        with self._lock:
            self.total, self.count, self.skipped = total, skipped, skipped
            self._started = time.monotonic()
            self._draw(force=True)

    def done(self, row) -> None:
        """One more submission finished; a row kept from an earlier run (``row.skipped``) was counted by ``start``."""
        if getattr(row, "skipped", False):
            return
        with self._lock:
            self.count += 1
            if getattr(row, "status", "graded") != "graded":
                self.failures += 1
            self._draw(force=self.count >= self.total)

    def echo(self, line: str, stream: TextIO | None = None) -> None:
        """Print ``line`` (to ``stream``, default stdout) without tearing the bar."""
        out = stream or sys.stdout
        with self._lock:
            if self.tty and self._shown:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
            out.write(line + "\n")
            out.flush()
            if self.tty and self._shown:
                self._draw(force=True)

    def finish(self) -> None:
        with self._lock:
            if self.tty and self._shown:
                self.stream.write("\n")
                self.stream.flush()
            self._shown = False

    def line(self) -> str:
        """The bar's text: ``[#####.....] 12/40 graded, 1 failed, 3.1/min, ETA 00:42``."""
        total = max(self.total, 1)
        filled = int(self.width * min(self.count, total) / total)
        bar = "#" * filled + "." * (self.width - filled)
        graded = self.count - self.skipped
        elapsed = time.monotonic() - self._started
        rate = graded / elapsed * 60 if elapsed > 0 and graded else 0.0
        left = self.total - self.count
        eta = _clock(left * elapsed / graded) if graded else "--:--"
        skipped = f" ({self.skipped} unchanged)" if self.skipped else ""
        return (
            f"[{bar}] {self.count}/{self.total}{skipped}, {self.failures} failed, "
            f"{rate:.1f}/min, elapsed {_clock(elapsed)}, ETA {eta if left else '00:00'}"
        )

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
            self._shown = True
        elif force or now - self._last_plain >= self.interval:
            self.stream.write("grade: " + self.line() + "\n")
            self._last_plain = now
        else:
            return
        self.stream.flush()
