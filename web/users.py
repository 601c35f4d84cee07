"""``frontline users``: manage staff accounts of the web front door.

    frontline users add NAME --role worker|trainer|admin   (password from stdin, or asked for on a terminal)
    frontline users list

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


def handle_users(args: argparse.Namespace) -> int:
    try:
        if args.users_cmd == "add":
            add(args.name, args.role, read_password())
            print(f"added {args.role} {args.name}")
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
