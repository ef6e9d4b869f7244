"""Measuring UI-thread stalls (the stall test and benchmarks/bench_gui.py)."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Slot

__all__ = ["StallMeter"]


class StallMeter(QObject):
    """Measures how long the UI thread goes without running its event loop.

    A timer asks to fire every ``interval_ms``; when the UI thread is busy (a slot
    that takes long, a worker holding the GIL), the next tick comes late. The
    longest gap between ticks, less the interval, is the longest stall a user
    could have felt as a frozen window.
    """

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self.ticks = 0
        self.max_gap_ms = 0.0
        self.gaps_over_50ms = 0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    @property
    def longest_stall_ms(self) -> float:
        return max(0.0, self.max_gap_ms - self.interval_ms)

    @Slot()
    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            gap = (now - self._last) * 1000.0
            self.max_gap_ms = max(self.max_gap_ms, gap)
            if gap - self.interval_ms > 50.0:
                self.gaps_over_50ms += 1
        self._last = now
        self.ticks += 1
