"""``frontline``: run and operate the assistant.

    frontline run                     start action server, Rasa and the front door
    frontline shell                   chat in this terminal (rasa shell + the action server)
    frontline train [--force]         train the Rasa model if the bot data or config changed
    frontline users add NAME --role R front-door accounts (password from stdin)
    frontline referrals process-queue|purge|stats
    frontline conversations delete SENDER | purge [--days N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="frontline", description="Run and operate the frontline assistant.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run", help="start all three processes; Ctrl-C stops them")
    sub.add_parser("shell", help="chat in this terminal: rasa shell with the action server (nothing stored)")
    t = sub.add_parser("train", help="train the Rasa model if the bot changed")
    t.add_argument("--force", action="store_true")
    from referrals.cli import add_referral_parsers  # `frontline referrals process-queue|purge|stats`
    from web.users import add_users_parser  # `frontline users add|list`: web front-door accounts

    from .retention import add_conversation_parsers  # `frontline conversations delete|purge`

    add_users_parser(sub)
    add_referral_parsers(sub)
    add_conversation_parsers(sub)
    args = p.parse_args(argv)
    if getattr(args, "handler", None) is not None:  # subcommands registered by other packages
        return args.handler(args)
    try:
        if args.cmd in ("run", "shell"):
            from .supervisor import StartupError, Supervisor, run_shell

            try:
                return Supervisor().run_forever() if args.cmd == "run" else run_shell()
            except StartupError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return exc.exit_code
        if args.cmd == "train":
            from .training import train

            train(force=args.force)
            return 0
    except subprocess.CalledProcessError as exc:
        print(f"frontline: {exc.cmd[0]} failed with exit code {exc.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
