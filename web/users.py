"""``frontline users``: manage staff accounts of the web front door.

    frontline users add NAME --role worker|trainer|admin   (password from stdin, or asked for on a terminal)
    frontline users list
    frontline users disable NAME          a leaver: signed out everywhere now, cannot sign in
    frontline users enable NAME
    frontline users reset-password NAME   (new password from stdin or a prompt; signs them out)
    frontline users set-role NAME --role worker|trainer|admin   (signs them out)
    frontline users sign-out NAME         end every session of the user now

There is no default account and no default password.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from sqlalchemy import select

from .db import ROLES

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


class UserCommandError(Exception):
    exit_code = 1


def add_users_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("users", help="manage staff accounts of the web front door")
    usub = p.add_subparsers(dest="users_cmd", required=True)
    a = usub.add_parser("add", help="add a staff account (password from standard input or a prompt)")
    a.add_argument("name", help="username: letters, digits, . _ @ -")
    a.add_argument("--role", required=True, choices=ROLES)
    usub.add_parser("list", help="list staff accounts")
    for cmd, what in (("disable", "disable a leaver's account and end their sessions now"),
                      ("enable", "enable a disabled account"),
                      ("reset-password", "set a new password (from standard input or a prompt) and end their sessions"),
                      ("sign-out", "end every session of the user now"),
                      ("remove", "remove the account and end its sessions (its referrals keep the name)")):
        usub.add_parser(cmd, help=what).add_argument("name")
    r = usub.add_parser("set-role", help="change a role (their sessions end; the new role applies at next sign-in)")
    r.add_argument("name")
    r.add_argument("--role", required=True, choices=ROLES)
    p.set_defaults(handler=handle_users)
    return p


def read_password(stdin=None) -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise UserCommandError("the two passwords are different")
        return first
    return stdin.readline().rstrip("\r\n")


def _sessionmaker():
    from .config import data_dir_from_env
    from .db import make_sessionmaker

    return make_sessionmaker(data_dir_from_env())


def add(name: str, role: str, password: str) -> None:
    from .auth import WeakPasswordError, add_user, get_user

    if not NAME_RE.match(name):
        raise UserCommandError(f"invalid username {name!r}: use 2-64 letters, digits, '.', '_', '@' or '-'")
    with _sessionmaker()() as db:
        if get_user(db, name) is not None:
            raise UserCommandError(f"user {name!r} already exists")
        try:
            add_user(db, name, role, password)
        except WeakPasswordError as exc:
            raise UserCommandError(f"password refused: {exc}") from exc


def change(args: argparse.Namespace) -> str:
    """One account change; the line to print."""
    from . import auth

    with _sessionmaker()() as db:
        try:
            if args.users_cmd == "disable":
                return f"disabled {args.name}; {auth.set_active(db, args.name, False)} session(s) ended"
            if args.users_cmd == "enable":
                auth.set_active(db, args.name, True)
                return f"enabled {args.name}"
            if args.users_cmd == "reset-password":
                if auth.get_user(db, args.name) is None:
                    raise auth.AccountError(f"no user {args.name!r} (see `frontline users list`)")
                n = auth.reset_password(db, args.name, read_password())
                return f"new password set for {args.name}; {n} session(s) ended"
            if args.users_cmd == "remove":
                return f"removed {args.name}; {auth.remove_user(db, args.name)} session(s) ended"
            if args.users_cmd == "set-role":
                return f"{args.name} is now {args.role}; {auth.set_role(db, args.name, args.role)} session(s) ended"
            user = auth.get_user(db, args.name)
            if user is None:
                raise auth.AccountError(f"no user {args.name!r} (see `frontline users list`)")
            return f"{auth.end_user_sessions(db, user)} session(s) of {args.name} ended"
        except auth.WeakPasswordError as exc:
            raise UserCommandError(f"password refused: {exc}") from exc
        except auth.AccountError as exc:
            raise UserCommandError(str(exc)) from exc


def handle_users(args: argparse.Namespace) -> int:
    try:
        if args.users_cmd == "add":
            add(args.name, args.role, read_password())
            print(f"added {args.role} {args.name}")
            return 0
        if args.users_cmd in ("disable", "enable", "reset-password", "sign-out", "set-role", "remove"):
            print(change(args))
            return 0
        if args.users_cmd == "list":
            from .db import User

            with _sessionmaker()() as db:
                for u in db.scalars(select(User).order_by(User.name)):
                    print(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}")
            return 0
    except UserCommandError as exc:
        print(f"frontline users: {exc}", file=sys.stderr)
        return exc.exit_code
    return 2
