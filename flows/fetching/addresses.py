"""Where fetching may go: a host's addresses are resolved (once per run) and every one must be
public, or inside a network the settings allow; checked for every hop of a redirect chain
before it is requested. (httpx resolves the name again when it connects; a DNS answer that
changes between the two lookups is not caught: run behind an egress proxy where that matters.)"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from .errors import ForbiddenAddressError, HostNotFoundError


class AddressGuard:
    """Checks URLs against the address rules, with the resolved addresses cached."""

    def __init__(self, allowed_networks: tuple[str, ...] = ()) -> None:
        self._networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
        self._addresses: dict[tuple[str, int], list[str]] = {}

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self._networks):
            return True
        return ip.is_global and not ip.is_multicast

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (host, port)
        addresses = self._addresses.get(key)
        if addresses is None:
            try:
                ipaddress.ip_address(host)
                addresses = [host]
            except ValueError:
                try:
                    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
                except socket.gaierror as exc:
                    raise HostNotFoundError(
                        url, f"DNS lookup failed for {host}: {exc.strerror or exc}"
                    ) from exc
                addresses = sorted({str(info[4][0]) for info in infos})
            self._addresses[key] = addresses
        for address in addresses:
            if not self.allows(address):
                raise ForbiddenAddressError(
                    url, f"{host} resolves to {address}, a non-public address that is not allowed"
                )


class GuardedTransport(httpx.AsyncBaseTransport):
    """The transport under the client: every request's address is checked by the guard before
    a connection is opened, whoever sends it (a page, a redirect hop, robots.txt)."""

    def __init__(self, guard: AddressGuard, inner: httpx.AsyncBaseTransport) -> None:
        self._guard = guard
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._guard.check(str(request.url))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
