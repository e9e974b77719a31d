"""Which network addresses a fetch may connect to: public ones, and the internal ones opted in.

A page, a feed, a feed's entry or a redirect names its address, and whoever wrote it may point it at
the machine newsbot runs on (127.0.0.1, [::1]), its network (10.x, 192.168.x, fc00::/7) or a
cloud's metadata service (169.254.169.254): what newsbot reads there could then be searched by
anyone who may ask it. So every address is checked as it is connected to, after the name is
resolved, and anything not public is refused unless `AddressPolicy.allowed` opts it in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def internal_kind(ip: IPAddress) -> str | None:
    """What kind of internal address `ip` is ("loopback", "private", ...), or None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "IPv4-mapped"
        # Addresses that carry an IPv4 address inside: as internal as the one they carry.
        embedded = ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )
        if embedded is not None and internal_kind(embedded):
            return f"{internal_kind(embedded)}, embedded"
        if ip in _ULA:
            return "unique local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip in _CGNAT:
        return "shared (CGNAT)"
    if ip.is_private:
        return "private"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, and the internal ones opted in by host name or by network."""

    hosts: frozenset[str] = frozenset()  # names (lower case) that may resolve to internal addresses
    networks: tuple[IPNetwork, ...] = ()  # internal addresses that may be reached whatever the name

    @classmethod
    def allowing(cls, entries: Iterable[str]) -> AddressPolicy:
        """A policy that opts in each entry: a host name, an address or a CIDR range
        ("cms.intranet", "127.0.0.1", "10.20.0.0/16"); ValueError names one that is none."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if "/" in name or not all(part and _is_label(part) for part in name.split(".")):
                raise ValueError(f"{entry!r} is neither a host name, an address nor a CIDR range")
            hosts.add(name)
        return cls(frozenset(hosts), tuple(networks))

    def refusal(self, host: str, ip: IPAddress) -> str | None:
        """Why `ip`, which `host` resolved to, may not be connected to; None when it may."""
        kind = internal_kind(ip)
        if kind is None or host.lower().rstrip(".") in self.hosts:
            return None
        if any(ip.version == net.version and ip in net for net in self.networks):
            return None
        return kind


def _is_label(part: str) -> bool:
    return len(part) <= 63 and all(c.isalnum() or c in "-_" for c in part)
