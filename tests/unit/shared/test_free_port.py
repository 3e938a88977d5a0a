"""A private server's port is never one the kernel hands to outgoing connections (no server, no broker)."""

from __future__ import annotations

import socket

from shared.servers import LOWEST_PORT, ephemeral_range, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_bindable() -> None:
    low, high = ephemeral_range()
    assert LOWEST_PORT < low <= high
    for _ in range(50):
        port = free_port()
        assert LOWEST_PORT <= port < low  # bind(0) would have given one in [low, high]: a client's next port
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", port))


def test_a_port_a_server_listens_on_is_not_given() -> None:
    taken = []
    for _ in range(20):  # hold twenty ports the way a server does; none comes back while held
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", free_port()))
        s.listen()
        taken.append(s)
    try:
        held = {s.getsockname()[1] for s in taken}
        assert all(free_port() not in held for _ in range(200))
    finally:
        for s in taken:
            s.close()
