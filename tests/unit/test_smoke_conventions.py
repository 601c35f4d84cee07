import socket

import pytest

pytestmark = pytest.mark.unit


def test_unit_tests_cannot_open_sockets():
    with pytest.raises(Exception):
        socket.create_connection(("127.0.0.1", 9), timeout=0.1)
