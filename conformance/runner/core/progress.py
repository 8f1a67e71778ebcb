"""Showing a run while it goes: every finished case (session, cell) is a
line on `out` at once, flushed; on a terminal a live status line on `err`
says what is running and for how long (rewritten in place, erased before
any other line); and whatever runs long - a case, a driver step - is
announced while it hangs:

    still waiting for driver step "initiator stateful receive" (my-driver, 20 s)

(on a terminal in the status line, elsewhere as lines on `err`, every 20
s).

    with Progress(out, err, total=85) as p:
        p.start("API-CREATE-200")
        p.finish("API-CREATE-200", "PASS", "PASS   API-CREATE-200 ...")
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter
from typing import Callable, Dict, List, Optional, Tuple

from .text import printable



def _announce_every() -> float:
    """Seconds between announcements of a long wait: 20, or
    $TIGRESS_ANNOUNCE_EVERY (the tests shorten it)."""
    try:
        return max(0.1, float(os.environ.get("TIGRESS_ANNOUNCE_EVERY", 20)))
    except ValueError:
        return 20.0


ANNOUNCE_EVERY = _announce_every()
TICK = 1.0                  # seconds between redraws of the status line


def is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """`unit`: what is counted ("case", "session", "cell"); `waits`: a
    function listing other long waits, [(what, monotonic start)] (the
    driver steps in flight: core.driver.in_flight)."""

    def __init__(self, out, err, total: int = 0, unit: str = "case",
                 live: Optional[bool] = None,
                 waits: Optional[Callable[[], List[Tuple[str, float]]]]
                 = None, announce_every: float = ANNOUNCE_EVERY):
        self.out, self.err = out, err
        self.live = is_terminal(err) if live is None else live
        self.total = total
        self.unit = unit
        self.done = 0
        self.verdicts: Counter = Counter()
        self.waits = waits
        self.announce_every = announce_every
        self._running: Dict[str, float] = {}
        self._announced: Dict[tuple, int] = {}
        self._shown = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- lifetime --------------------------------------------------------------
    def __enter__(self) -> "Progress":
        self._thread = threading.Thread(target=self._ticker, daemon=True,
                                        name="progress")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2 * TICK)
            self._thread = None
        with self._lock:
            self._erase()

    # -- what the run reports --------------------------------------------------
    def line(self, text: str, stream=None) -> None:
        """A permanent line (on `out` unless another stream is given)."""
        s = stream or self.out
        with self._lock:
            self._erase()
            s.write(printable(text, keep="\n") + "\n")
            s.flush()
            self._draw()

    def start(self, name: str) -> None:
        with self._lock:
            self._running[name] = time.monotonic()
            self._draw()

    def finish(self, name: str, verdict: Optional[str] = None,
               text: Optional[str] = None) -> None:
        """`name` is done (with `verdict`, counted in the status line);
        `text`, when given, is its line on `out`."""
        with self._lock:
            self._running.pop(name, None)
            self.done += 1
            if verdict:
                self.verdicts[verdict] += 1
            if text is not None:
                self.line(text)
            else:
                self._draw()

    # -- the status line and the announcements ---------------------------------------
    def _long_waits(self) -> List[Tuple[str, float, float]]:
        """[(what, seconds, start)] of what runs or is waited for now."""
        now = time.monotonic()
        waits = [("running %s" % n, now - t0, t0)
                 for n, t0 in self._running.items()]
        if self.waits is not None:
            waits += [("waiting for %s" % what, now - t0, t0)
                      for what, t0 in self.waits()]
        return waits

    def status_text(self) -> str:
        counts = ", ".join("%d %s" % (n, v) for v, n in
                           sorted(self.verdicts.items()))
        s = "[%d/%d %ss]" % (self.done, self.total, self.unit) if \
            self.total else "[%d %ss]" % (self.done, self.unit)
        if counts:
            s += " " + counts
        waits = sorted(self._long_waits(), key=lambda w: -w[1])
        if waits:
            what, secs, _ = waits[0]
            s += " - %s (%d s)" % (what, secs)
            if len(waits) > 1:
                s += " +%d more" % (len(waits) - 1)
        return s

    def _ticker(self) -> None:
        while not self._stop.wait(TICK):
            with self._lock:
                self._announce()
                self._draw()

    def _announce(self) -> None:
        """Lines for what has been waited on for another 20 s (not on a
        terminal: the status line shows it there)."""
        if self.live:
            return
        for what, secs, t0 in self._long_waits():
            n = int(secs // self.announce_every)
            if n >= 1 and self._announced.get((what, t0), 0) < n:
                self._announced[(what, t0)] = n
                self.err.write("still %s (%g s)\n" % (
                    what, round(n * self.announce_every, 1)))
                self.err.flush()

    def _width(self) -> int:
        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)

    def _draw(self) -> None:
        if not self.live or self._stop.is_set():
            return
        self.err.write("\r\x1b[K" + printable(self.status_text())[
            :self._width()])
        self.err.flush()
        self._shown = True

    def _erase(self) -> None:
        if self._shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._shown = False
