"""`frontline users add`: password from stdin, policy, one clean line and an exit code."""

from __future__ import annotations

import io

import pytest

from frontline.cli import main
from web import auth
from web.db import make_sessionmaker

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path))
    return tmp_path


def run(monkeypatch, argv, stdin):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_add_reads_the_password_from_stdin_and_stores_an_argon2_hash(data_dir, monkeypatch, capsys):
    assert run(monkeypatch, ["users", "add", "wendy", "--role", "worker"], "correct horse battery staple\n") == 0
    assert "added worker wendy" in capsys.readouterr().out
    with make_sessionmaker(data_dir)() as s:
        user = auth.get_user(s, "wendy")
        assert user.role == "worker" and user.password_hash.startswith("$argon2id$")
        assert auth.verify_password(user, "correct horse battery staple")
        assert not auth.verify_password(user, "correct horse battery stapler")


@pytest.mark.parametrize("password,why", [
    ("", "empty"), ("   ", "empty"), ("short1!", "too short"), ("password1234", "too easy"),
    ("wendywendy123", "too easy"), ("aaaaaaaaaaaaaaaa", "too few different"),
])
def test_weak_passwords_are_refused_with_one_line_and_exit_code_1(data_dir, monkeypatch, capsys, password, why):
    assert run(monkeypatch, ["users", "add", "wendy", "--role", "worker"], password + "\n") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and why in err and err.startswith("frontline users: password refused")
    with make_sessionmaker(data_dir)() as s:
        assert auth.get_user(s, "wendy") is None


def test_duplicate_and_bad_names_are_refused(data_dir, monkeypatch, capsys):
    assert run(monkeypatch, ["users", "add", "wendy", "--role", "admin"], "correct horse battery staple\n") == 0
    assert run(monkeypatch, ["users", "add", "wendy", "--role", "admin"], "correct horse battery staple\n") == 1
    assert "already exists" in capsys.readouterr().err
    assert run(monkeypatch, ["users", "add", "bad name", "--role", "admin"], "correct horse battery staple\n") == 1
    assert "invalid username" in capsys.readouterr().err


def test_unknown_role_is_an_argument_error(data_dir, monkeypatch):
    with pytest.raises(SystemExit) as exc:
        run(monkeypatch, ["users", "add", "wendy", "--role", "boss"], "correct horse battery staple\n")
    assert exc.value.code == 2


def test_list_shows_accounts_without_hashes(data_dir, monkeypatch, capsys):
    run(monkeypatch, ["users", "add", "terry", "--role", "trainer"], "correct horse battery staple\n")
    capsys.readouterr()
    assert run(monkeypatch, ["users", "list"], "") == 0
    out = capsys.readouterr().out
    assert "terry\ttrainer\tactive" in out and "argon2" not in out


def test_no_account_exists_until_one_is_added(data_dir):
    with make_sessionmaker(data_dir)() as s:
        assert auth.get_user(s, "admin") is None
