"""Safety rules for web tools: which URLs may be fetched and which search results may be shown.

Three rules, all on by default:

* **Schemes**: only ``http`` and ``https`` (no ``file://``, ``ftp://``, ``data:`` ...).
* **Targets**: no loopback, private, link-local, multicast, reserved or unspecified addresses. Host
  names are resolved and *every* address must be public; the direct HTTP fetcher checks every redirect
  hop itself. The static check reads a host the way a browser's URL parser (and a remote fetcher such as
  Jina Reader) would: percent-escapes and full-width characters are folded, and numeric IPv4 forms
  (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``) are addresses, not names. IPv6 addresses that
  embed an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64) are judged by the embedded address. Tests that talk to local servers opt in with ``allow_private`` (``True`` or a list of
  addresses/networks/host names).
* **Blocklist**: sites that host benchmark questions with their answers (BrowseComp, BrowseComp-ZH,
  xbench, ...), so that synthesis and evaluation cannot read the answer key. Applied to search results
  (dropped) and to fetches (refused). Users add entries with ``tools.blocklist``.

Blocklist entries are ``host`` (blocks the host and its sub-domains), ``host/path-prefix`` or a glob
over ``host/path`` (``*`` and ``?``), all case-insensitive.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from openseeker.errors import ConfigError, ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Where benchmark questions are published together with their answers (or their decryption keys).
# Our own list, kept deliberately wide: a false block costs one search result, a miss leaks the key.
DEFAULT_BLOCKLIST: tuple[str, ...] = (
    # BrowseComp: the official CSV and its copies
    "openaipublic.blob.core.windows.net/simple-evals/*",
    "github.com/openai/simple-evals*",
    "kaggle.com/*browsecomp*",
    "www.kaggle.com/*browsecomp*",
    # Hugging Face datasets (and their mirrors / dataset viewer) of deep-search benchmarks
    "huggingface.co/datasets/*browsecomp*",
    "huggingface.co/datasets/*browse-comp*",
    "huggingface.co/datasets/*browse_comp*",
    "huggingface.co/datasets/*xbench*",
    "huggingface.co/datasets/*deepsearch*",
    "huggingface.co/datasets/*gaia*",
    "huggingface.co/datasets/*webwalker*",
    "huggingface.co/datasets/cais/hle*",
    "hf-mirror.com/datasets/*browsecomp*",
    "hf-mirror.com/datasets/*xbench*",
    "datasets-server.huggingface.co",
    # GitHub repositories that ship the (encrypted or decrypted) sets and their decryption scripts
    "github.com/palin2018/browsecomp-zh*",
    "raw.githubusercontent.com/palin2018/browsecomp-zh*",
    "github.com/xbench-ai/xbench-evals*",
    "raw.githubusercontent.com/xbench-ai/xbench-evals*",
    "github.com/texttron/browsecomp-plus*",
    "github.com/*/browsecomp*",
    "raw.githubusercontent.com/*/browsecomp*",
    # Leaderboard/answer-discussion pages that quote benchmark items
    "paperswithcode.com/dataset/browsecomp*",
)


# the dots that IDNA (UTS #46) maps to "." in host names: ideographic, full-width and half-width
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _norm_host(host: str) -> str:
    """A host as URL parsers see it: percent-escapes decoded, full-width forms folded (NFKC), IDNA dots
    mapped, lower case, no trailing dot."""
    host = unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS)
    return host.lower().rstrip(".")


def _ipv4_number(part: str) -> int | None:
    """One part of a numeric IPv4 host as the WHATWG URL standard (and inet_aton) reads it."""
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isascii() and part.isdigit() else None
    except ValueError:
        return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host denotes by itself (no DNS): dotted, decimal, hex, octal and short IPv4 forms,
    and IPv6 literals; ``None`` for a host name."""
    host = _norm_host(host).strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None  # (a browser refuses such a URL outright; it cannot reach anything either)
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: IPv4 in the last 32 bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use translation prefixes
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT ::ffff:0:a.b.c.d


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, translated, 6to4, Teredo, NAT64)."""
    out: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)  # (server, client); the client address is de-obfuscated
    if ip in _NAT64 or ip in _IPV4_TRANSLATED or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        out.append(low32)
    return out


@dataclass
class Blocklist:
    """Blocked sites; see the module docstring for the entry syntax."""

    entries: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, extra: Iterable[str] = (), *, defaults: bool = True) -> Blocklist:
        """The default list (unless ``defaults=False``) plus ``extra`` entries."""
        entries = [*(DEFAULT_BLOCKLIST if defaults else ()), *extra]
        return cls(
            [e.strip().lower().removeprefix("https://").removeprefix("http://") for e in entries if e.strip()]
        )

    def __post_init__(self) -> None:
        # compiled once: search results and out-links are checked by the hundred per page
        self._globs = [
            (e, re.compile(fnmatch.translate(e))) for e in self.entries if any(c in e for c in "*?[")
        ]
        self._any_glob = (
            re.compile("|".join(f"(?:{rx.pattern})" for _, rx in self._globs)) if self._globs else None
        )
        self._hosts: dict[str, list[tuple[str, str]]] = {}
        for e in self.entries:
            if not any(c in e for c in "*?["):
                e_host, _, e_path = e.partition("/")
                self._hosts.setdefault(e_host, []).append((e, e_path))

    def match(self, url: str) -> str | None:
        """The entry that blocks ``url``, or ``None`` when it is allowed."""
        try:
            parts = urlsplit(url.strip())
            host = _norm_host(parts.hostname or "")
        except ValueError:
            return None
        if not host:
            return None
        path = (parts.path or "/").lower()
        labels = host.split(".")
        for i in range(len(labels)):  # the host and each parent domain
            for entry, e_path in self._hosts.get(".".join(labels[i:]), ()):
                if not e_path or path.startswith("/" + e_path):
                    return entry
        if self._any_glob is not None:
            target = host + path
            for t in (target, target.removeprefix("www.")):
                if self._any_glob.match(t):
                    return next(e for e, rx in self._globs if rx.match(t))
        return None


def _parse_allow(value: Any) -> tuple[bool, list[IPNetwork], set[str]]:
    """``allow_private`` option -> (allow everything, allowed networks, allowed host names)."""
    if value is None or value is False:
        return False, [], set()
    if value is True:
        return True, [], set()
    items = [value] if isinstance(value, str) else list(value)
    nets: list[IPNetwork] = []
    hosts: set[str] = set()
    for item in items:
        try:
            nets.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            hosts.add(_norm_host(str(item)))
    return False, nets, hosts


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is a public unicast address. An IPv6 address that embeds IPv4 addresses (see
    :func:`embedded_ipv4`) is public only if each of them is; NAT64 local-use prefixes never are."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        embedded = embedded_ipv4(ip)
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if embedded and not all(is_public_address(v4) for v4 in embedded):
            return False
        if ip in _NAT64:
            return True  # (a translator reaches the embedded address, which is public)
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass
class SafetyPolicy:
    """The URL rules of one toolset (built from ``ToolsConfig`` by :meth:`from_options`)."""

    blocklist: Blocklist = field(default_factory=Blocklist.build)
    enabled: bool = True
    allow_private: Any = False

    def __post_init__(self) -> None:
        self._allow_all, self._allow_nets, self._allow_hosts = _parse_allow(self.allow_private)

    @classmethod
    def from_options(cls, extra_blocklist: Iterable[str], options: dict[str, Any]) -> SafetyPolicy:
        """Build from ``tools.blocklist`` and ``tools.options.safety``.

        ``safety`` keys: ``enabled`` (default true; false turns off the target checks, never the
        blocklist), ``block_benchmark_hosts`` (default true), ``allow_private`` (default false).
        """
        opts = options.get("safety") or {}
        if not isinstance(opts, dict):
            raise ConfigError(
                "tools.options.safety must be a mapping (enabled, allow_private, block_benchmark_hosts)."
            )
        unknown = set(opts) - {"enabled", "allow_private", "block_benchmark_hosts"}
        if unknown:
            raise ConfigError(f"Unknown keys in tools.options.safety: {', '.join(sorted(unknown))}.")
        blocklist = Blocklist.build(extra_blocklist, defaults=bool(opts.get("block_benchmark_hosts", True)))
        return cls(blocklist, bool(opts.get("enabled", True)), opts.get("allow_private", False))

    # -- checks ---------------------------------------------------------------------------------------------

    def check_blocklist(self, url: str) -> None:
        """Raise :class:`ToolError` when ``url`` is on the blocklist."""
        entry = self.blocklist.match(url)
        if entry is not None:
            raise ToolError(
                f"The page {url} is blocked: it is on the list of sites that host benchmark answers "
                f"({entry}). Look for the information elsewhere."
            )

    def check_url(self, url: str) -> str:
        """Static checks (scheme, host, blocklist, literal addresses); returns the host. No DNS."""
        try:
            parts = urlsplit(url.strip())
        except ValueError as e:
            raise ToolError(f"Invalid URL {url!r}: {e}.") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise ToolError(f"Cannot visit {url!r}: only http and https URLs are allowed.")
        host = _norm_host(parts.hostname or "")
        if not host:
            raise ToolError(f"Cannot visit {url!r}: the URL has no host.")
        self.check_blocklist(url)
        if not self.enabled or self._host_allowed(host):
            return host
        if host == "localhost" or host.endswith(".localhost"):
            raise ToolError(f"Cannot visit {url!r}: local addresses are not allowed.")
        ip = literal_address(host)
        if ip is None:
            last = host.rsplit(".", 1)[-1]
            if last and _ipv4_number(last) is not None:
                # a browser reads a host ending in a number as an IPv4 address, and refuses it when it is
                # not a valid one ("999.1.1.1", "1.2.3.4.5"): no real name ends that way
                raise ToolError(f"Cannot visit {url!r}: {host!r} is not a valid address.")
            return host
        if not self._ip_allowed(ip):
            raise ToolError(f"Cannot visit {url!r}: {ip} is not a public address.")
        return str(ip)

    async def check_target(self, url: str) -> str | None:
        """Static checks plus DNS: every address the host resolves to must be public.

        Returns:
            The address to connect to when a host name was resolved (callers pin plain-HTTP connections
            to it, so that a second lookup cannot be rebound to a private address), else ``None``.
        """
        host = self.check_url(url)
        if not self.enabled or self._host_allowed(host):
            return None
        if literal_address(host) is not None:
            return None  # a literal address was checked by check_url
        port = urlsplit(url).port or 443
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as e:
            raise ToolError(f"Cannot visit {url!r}: the host name {host!r} does not resolve ({e}).") from None
        addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
        for addr in addresses:
            ip = ipaddress.ip_address(addr)
            if not self._ip_allowed(ip):
                raise ToolError(
                    f"Cannot visit {url!r}: {host} resolves to {ip}, which is not a public address."
                )
        if not addresses:
            raise ToolError(f"Cannot visit {url!r}: the host name {host!r} has no address.")
        return addresses[0]

    def _host_allowed(self, host: str) -> bool:
        return self._allow_all or host in self._allow_hosts

    def _ip_allowed(self, ip: IPAddress) -> bool:
        if self._allow_all or is_public_address(ip):
            return True
        return any(ip.version == net.version and ip in net for net in self._allow_nets)
