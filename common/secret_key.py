"""The server secret, shared by the front door (session sender ids) and referrals (reply
links): ``FRONTLINE_SECRET_KEY`` if set, else a random key kept in ``<data dir>/secret_key``,
created once with mode 0600 and kept across restarts (so sender ids and reply links
survive a restart). Several processes may start at once: the key is written to a private
temporary file and linked into place, so a reader never sees a half-written key and
every process ends up with the same one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV = "FRONTLINE_SECRET_KEY"
FILE_NAME = "secret_key"


def load_secret(data_dir: Path | str) -> bytes:
    env = os.environ.get(ENV)
    if env:
        return env.encode()
    path = Path(data_dir) / FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: fails if another process got there first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip().encode()
