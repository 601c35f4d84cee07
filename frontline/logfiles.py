"""The processes' log files under ``$FRONTLINE_DATA_DIR/logs``, one file per day, purged
with the other logs (``FRONTLINE_LOG_RETENTION_DAYS``).

    DailyLog(path)              ``name.log`` is today's; at the first line of a new day it
                                is renamed ``name.log.YYYY-MM-DD`` and a new one started
    purge_log_files(dir, days)  delete the dated files older than ``days``; files deleted
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Callable

_DATED = re.compile(r"^.+\.log\.(\d{4}-\d{2}-\d{2})$")


class DailyLog:
    def __init__(self, path: Path, today: Callable[[], dt.date] = dt.date.today):
        self.path, self.today = Path(path), today
        self.day = dt.date.fromtimestamp(self.path.stat().st_mtime) if self.path.exists() else today()
        self._fh = open(self.path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def _rotate(self) -> None:
        self._fh.close()
        dated = self.path.with_name(f"{self.path.name}.{self.day.isoformat()}")
        if dated.exists():  # started twice on one day: keep both, in order
            with open(dated, "a", encoding="utf-8") as out:
                out.write(self.path.read_text(encoding="utf-8", errors="replace"))
            self.path.unlink()
        else:
            self.path.rename(dated)
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, line: str) -> None:
        with self._lock:
            today = self.today()
            if today != self.day:
                self._rotate()
                self.day = today
            self._fh.write(line)
            self._fh.flush()

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def purge_log_files(logs_dir: Path, older_than_days: int, today: dt.date | None = None) -> int:
    """Delete ``*.log.YYYY-MM-DD`` files whose day is more than ``older_than_days`` ago."""
    logs_dir = Path(logs_dir)
    if not logs_dir.is_dir():
        return 0
    cutoff = (today or dt.date.today()) - dt.timedelta(days=older_than_days)
    n = 0
    for f in logs_dir.iterdir():
        m = _DATED.match(f.name)
        if m and dt.date.fromisoformat(m.group(1)) < cutoff:
            f.unlink()
            n += 1
    return n
