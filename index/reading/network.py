"""The connections fetches make: to checked addresses only, and within one deadline per fetch.

httpx (through httpcore) connects where a URL's host resolves to, and bounds each read on its own.
Two things it can't do are done here, in the network backend beneath it:

- The host is resolved once, each address checked against the `AddressPolicy`, and the connection
  made to an address that passed, so a name that resolves to a public address when checked and an
  internal one when connected to (DNS rebinding) reaches nothing. Every connection is checked:
  the first, and each redirect's.
- Every connect, read and write of a fetch shares its deadline (`Deadline`), so a server that sends
  its headers a byte a second, or a body that never ends, holds a fetch no longer than its timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from index.errors import AddressRefused
from index.reading.addresses import AddressPolicy, IPAddress


class Deadline:
    """When the fetch under way must end (`time.monotonic()`); None between fetches."""

    def __init__(self) -> None:
        self.at: float | None = None

    def left(self, timeout: float | None, timeout_error: type[Exception]) -> float | None:
        """The time an operation may take: `timeout`, or less if the deadline comes first."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise timeout_error("the fetch's time is up")
        return left if timeout is None else min(timeout, left)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, connected only to addresses the policy allows, within a deadline."""

    def __init__(self, policy: AddressPolicy, deadline: Deadline) -> None:
        self.policy = policy
        self.deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port, self.deadline.left(timeout, httpcore.ConnectTimeout))
        allowed = [ip for ip in addresses if self.policy.refusal(host, ip) is None]
        if not allowed:
            # The same words whether anything listens there or not: nothing was sent to find out.
            kinds = [f"{ip}: {self.policy.refusal(host, ip)}" for ip in addresses]
            if len(addresses) == 1 and _is_ip(host.strip("[]")):
                what = f"{addresses[0]} is an internal address ({self.policy.refusal(host, addresses[0])})"
            else:
                what = f"{host} resolves to internal addresses only ({', '.join(kinds)})"
            raise AddressRefused(f"refused: {what}, not opted in")
        failure: httpcore.ConnectError | None = None
        for ip in allowed:
            try:
                stream = self._sockets.connect_tcp(
                    str(ip),
                    port,
                    timeout=self.deadline.left(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self.deadline)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise AddressRefused("refused: not a network address")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
        """The addresses `host` names, resolved once; a name server that doesn't answer within
        `timeout` is a connect timeout."""
        literal = host.strip("[]")
        if _is_ip(literal):
            return [ipaddress.ip_address(literal)]
        found: list[Any] = []
        failed: list[OSError] = []

        def resolve() -> None:
            try:
                found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            except OSError as exc:
                failed.append(exc)

        # A thread of its own: getaddrinfo has no timeout, and the name server is anyone's.
        worker = threading.Thread(target=resolve, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise httpcore.ConnectTimeout(f"no answer from the name server for {host}")
        if failed or not found:
            raise httpcore.ConnectError(f"no address found for {host}")
        # getaddrinfo's order (the system's preference), each address once.
        ips = dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found)
        return list(ips)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # The certificate is checked against the host's name, not the address connected to.
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def guarded_transport(backend: GuardedBackend) -> httpx.HTTPTransport:
    """httpx's own transport over `backend`.

    httpx builds its connection pool without a way to pass a network backend, so the pool is made
    again with one: the same pool, with the same defaults, and TLS verified as httpx does.
    """
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=backend,
    )
    return transport


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
