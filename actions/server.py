"""Run the rasa-sdk action server in a single process.

rasa-sdk's own runner starts Sanic's worker manager, which spawns a worker
that imports the actions again: the embedding model would load twice, and
the 'spawn' start method clashes with torch having fixed 'fork'. One process
per action server is also Rasa's scale-out shape (run more of them behind the
endpoint). Listens on 127.0.0.1 unless FRONTLINE_ACTIONS_HOST says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os

from rasa_sdk.endpoint import create_app

from actions.conversation import ConversationExecutor
from actions.security import protect


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m actions.server")
    p.add_argument("--port", type=int, default=int(os.environ.get("FRONTLINE_ACTIONS_PORT", 5055)))
    p.add_argument("--host", default=os.environ.get("FRONTLINE_ACTIONS_HOST", "127.0.0.1"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    executor = ConversationExecutor()  # knows the conversation of each call (search log)
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    protect(app, args.host)  # with FRONTLINE_ACTIONS_SECRET set, /webhook needs the Bearer secret
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
