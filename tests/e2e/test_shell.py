"""`frontline shell` (= `make shell`): every guided flow runs end to end in `rasa shell`,
driven through a real pseudo-terminal (pexpect), the way a trainer uses it.

Rasa's shell shows the buttons of the last message as an arrow-key menu; the
walker picks "Type out your own message..." and types the option number, which is
what a worker types in the web chat too. The path is the shortest one to an end
step, computed by the same flow engine the action server runs.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time

import pexpect  # in the test extras and the lock: a missing install fails here, never a skip
import pytest

from tests.e2e.conftest import ROOT, free_port

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
MENU, INPUT = r"Use arrow keys", r"Your input ->"


def plain(text: str) -> str:
    return ANSI.sub("", text or "")


class Shell:
    def __init__(self, child):
        self.child = child
        self.transcript: list[str] = []

    def say(self, text: str, quiet: float = 2.0, timeout: float = 90.0, expect: str | None = None) -> str:
        """Type ``text`` at the prompt (leaving a button menu first) and return what the bot
        printed: everything up to a prompt after which the terminal stays quiet, and, when
        ``expect`` is given, after that text has appeared (a slow reply is waited for instead
        of returning the redrawn menu of the previous step)."""
        if self.child.expect([MENU, INPUT]) == 0:
            self.child.send("\x1b[A")  # up from the first entry wraps to "Type out your own message..."
            self.child.send("\r")
            self.child.expect(INPUT)
        self.child.sendline(text)
        seen, prompted, deadline = "", False, time.monotonic() + timeout
        while time.monotonic() < deadline:
            i = self.child.expect([MENU, INPUT, pexpect.TIMEOUT], timeout=quiet)
            seen += self.child.before if isinstance(self.child.before, str) else ""
            if i == 2:
                if prompted and len(plain(seen).replace(text, "").split()) > 3 and (
                        expect is None or expect in " ".join(plain(seen).split())):
                    break
                continue
            prompted = True
            self.pending = i
        else:
            raise AssertionError(f"no reply to {text!r} in {timeout}s: {plain(seen)[-500:]}")
        # the prompt was consumed: put its marker back for the next say()
        self.child.buffer = (MENU if self.pending == 0 else INPUT) + self.child.buffer
        reply = plain(seen)
        self.transcript.append(f">>> {text}\n{reply}")
        return reply


def settle(child, quiet: float = 1.5, limit: float = 60.0) -> str:
    """Everything the terminal prints until it has been quiet for ``quiet`` seconds."""
    out, deadline = "", time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            out += child.read_nonblocking(65536, timeout=quiet)
        except pexpect.TIMEOUT:
            break
    return out


def stop(child) -> None:
    """Leave any button menu for the input prompt, then type "/stop" there and wait for the exit.

    The state is read from the *last* prompt the terminal drew once it is quiet, never from the
    first match: questionary redraws "(Use arrow keys)" on every key press, so a match on that
    redraw after the menu was already answered made the old teardown press up and Enter at the
    input prompt (an empty message, whose reply could open a new menu that then swallowed
    "/stop"). A key sent while prompt_toolkit checks the terminal can be eaten, so each step is
    taken only after the terminal settles, and "/stop" is retried if the shell is still running.
    """
    out = child.buffer  # say() puts the last prompt's marker back here
    child.buffer = ""
    for _ in range(3):
        for _ in range(8):
            out += settle(child)
            if out.rfind(INPUT) > out.rfind("Use arrow keys"):
                break
            child.send("\x1b[A")  # up from the first entry wraps to "Type out your own message..."
            time.sleep(0.5)
            child.send("\r")
            out = ""
        else:
            raise AssertionError("still in a button menu after eight tries")
        child.sendline("/stop")
        try:
            child.expect(pexpect.EOF, timeout=45)
            child.close()
            return
        except pexpect.TIMEOUT:
            out = child.buffer
            child.buffer = ""
    raise AssertionError("frontline shell did not stop after three /stop")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shell")
    data = tmp / "var"
    data.mkdir()
    if (ROOT / "var" / "index").exists():
        shutil.copytree(ROOT / "var" / "index", data / "index", symlinks=True)
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data), "FRONTLINE_ACTIONS_PORT": str(free_port()),
           "FRONTLINE_WARM_AT_IMPORT": "1", "RASA_TELEMETRY_ENABLED": "false", "TERM": "xterm"}
    child = pexpect.spawn(sys.executable, ["-m", "frontline.cli", "shell"], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=240, dimensions=(60, 200))
    log = open(tmp / "shell.log", "w")
    child.logfile_read = log
    child.expect("Bot loaded")
    child.timeout = 90
    s = Shell(child)
    yield s
    if child.isalive():  # "/stop" is how rasa shell ends (Ctrl-C inside its button menu crashes Rasa 3.6)
        stop(child)
        assert child.exitstatus == 0, f"frontline shell exited with {child.exitstatus}"
    log.close()
    artifacts = ROOT / "var" / "test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "rasa-shell-transcript.txt").write_text("\n".join(s.transcript))


@pytest.mark.parametrize("flow_id", ["safeguarding-adult", "safeguarding-child", "domestic-abuse",
                                     "immigration-advice-boundaries", "eviction-homelessness"])
def test_each_flow_runs_to_its_case_note_in_rasa_shell(shell, flow_id):
    from knowledge_base import flows as F

    flow = F.default_engine().flows[flow_id]
    path = min(F.all_paths(flow), key=len)
    reply = shell.say('/start_flow{"flow_id": "%s"}' % flow_id)
    assert flow.critical[0] in reply.replace("\r", "")
    turn = F.start(flow_id)
    for hop in path[:-1]:
        answer = str(hop.choice + 1) if hop.choice is not None else "1"
        turn = F.answer(turn.state, answer)
        step = turn.view.text.split("\n")[0][:60]
        reply = shell.say(answer, expect=" ".join(step.split()))
        # the shell shows the step the engine says comes next (the same engine, fed the same answers)
        assert step in " ".join(reply.split()), reply
    assert "Case note" in reply, reply
    if flow_id == "eviction-homelessness":
        assert "You can refer the resident to" in reply


def test_a_question_mid_shell_gets_an_answer(shell):
    reply = shell.say("how do i refer to CAB")
    assert "Citizens Advice" in reply, reply
