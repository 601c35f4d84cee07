"""The supervisor with real child processes on loopback."""

import signal
import socket
import subprocess
import sys
import time

import pytest

from frontline.settings import Settings
from frontline.supervisor import Service, StartupError, Supervisor

pytestmark = pytest.mark.integration


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_service(name, port):
    return Service(name, f"{name} server", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                   port, "127.0.0.1", f"http://127.0.0.1:{port}/", {})


def crashing_service(port):
    return Service("crashy", "crashy server", [sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(3)"],
                   port, "127.0.0.1", f"http://127.0.0.1:{port}/", {})


def test_port_in_use_is_named(tmp_path):
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        sup = Supervisor(Settings(data_dir=tmp_path), services=[http_service("web", port)])
        with pytest.raises(StartupError, match=f"port {port} is in use, so the web server cannot start"):
            sup.check_ports()


def test_all_start_and_stop_together(tmp_path):
    services = [http_service("a", free_port()), http_service("b", free_port())]
    sup = Supervisor(Settings(data_dir=tmp_path), services=services, ready_timeout=30)
    try:
        sup.start()
        sup.wait_ready()
        assert all(s.proc.poll() is None for s in services)
    finally:
        sup.stop()
    assert all(s.proc.poll() is not None for s in services)


def test_a_crash_stops_the_others_with_a_clear_message(tmp_path):
    good = http_service("good", free_port())
    sup = Supervisor(Settings(data_dir=tmp_path), services=[good, crashing_service(free_port())], ready_timeout=30)
    try:
        sup.start()
        with pytest.raises(StartupError, match=r"crashy server stopped unexpectedly \(exit code 3\).*crashy.log"):
            sup.wait_ready()
    finally:
        sup.stop()
    assert good.proc.poll() is not None


def test_ctrl_c_stops_every_child(tmp_path):
    """Run the supervisor loop in a child process and send it SIGINT like Ctrl-C."""
    port = free_port()
    code = (
        "import sys; from frontline.settings import Settings; "
        "from frontline.supervisor import Supervisor, Service; "
        f"svc = Service('web', 'web server', [sys.executable, '-m', 'http.server', '{port}', '--bind', '127.0.0.1'], "
        f"{port}, '127.0.0.1', 'http://127.0.0.1:{port}/', {{}}); "
        f"sys.exit(Supervisor(Settings(data_dir=__import__('pathlib').Path(r'{tmp_path}')), services=[svc]).run_forever())"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = ""
    deadline = time.monotonic() + 90
    while "All processes are up" not in out and time.monotonic() < deadline:
        out += proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + rest
    assert "stopped" in rest
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # the child released its port
