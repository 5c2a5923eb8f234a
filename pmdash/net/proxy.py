"""Which proxy, if any, a URL goes through, and an HTTP ``CONNECT`` tunnel through one.

The environment decides, as it does for curl, urllib and websockets: ``wss://`` and
``https://`` use ``https_proxy``, ``ws://`` and ``http://`` use ``http_proxy``, and either falls
back to ``all_proxy`` (the lower-case name wins over the upper-case one). ``no_proxy`` lists
hosts reached directly: ``*``, a name and its subdomains (``example.com``, ``.example.com``), an
IP address, a CIDR block, any of them with ``:PORT``. Loopback (``localhost``, 127.0.0.0/8,
``::1``) is always reached directly: the embedded exchange and ``pmdash sim`` live there.

Only ``http://`` proxies are supported. A proxy's credentials (``http://user:pass@host:port``)
go into its ``Proxy-Authorization`` header and nowhere else: no message or ``repr`` shows them.

Why not ``urllib.request.getproxies()`` / ``proxy_bypass()``: they do not behave the same
(Python 3.11, checked): ``proxy_bypass_environment`` knows no CIDR block (``10.0.0.0/8`` does
not match 10.1.2.3) and no ``host:PORT`` entry for a subdomain; ``getproxies_environment``
lets an empty ``https_proxy`` hide a set ``HTTPS_PROXY`` and loses which variable a value came
from (our messages name it); and ``getproxies()`` reads the system's settings on macOS and
Windows when the environment sets none, which curl does not. The websockets library's own
proxy support belongs to its asyncio client, not to the sans-I/O protocol used here.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from pmdash.loopback import is_loopback_host

_MAX_HEAD = 16 * 1024
_DIRECT_SCHEMES = {"ws": "http", "http": "http", "wss": "https", "https": "https"}


class ProxyConfigError(ValueError):
    """A proxy variable cannot be used. The message names the variable, never its value."""


class ProxyError(ConnectionError):
    """The proxy could not be reached or would not open the tunnel."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Proxy:
    """An ``http://`` proxy, and the variable it came from (for messages)."""

    host: str
    port: int
    source: str = "proxy"
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        """``host:port``, to name the proxy in a message (no credentials)."""
        return _authority(self.host, self.port)

    @property
    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` value, or ``None`` without credentials."""
        if not self.username and not self.password:
            return None
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def url(self) -> str:
        """The proxy as a URL with its credentials, for urllib's ``ProxyHandler`` only."""
        if self.username or self.password:
            cred = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@"
        else:
            cred = ""
        return f"http://{cred}{self.where}"


def parse_proxy(value: str, source: str) -> Proxy:
    """``http://[user:pass@]host[:port]`` (scheme optional, port 80 by default)."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ProxyConfigError(f"{source} is not a proxy URL like http://HOST:PORT") from None
    scheme = parts.scheme.lower()
    if scheme != "http":
        raise ProxyConfigError(
            f"{source}: {scheme}:// proxies are not supported; set an http:// proxy"
            " (or add the host to NO_PROXY)"
        )
    if not host:
        raise ProxyConfigError(f"{source} names no proxy host (want http://HOST:PORT)")
    return Proxy(
        host=host,
        port=80 if port is None else port,
        source=source,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy the environment sets for ``url``, or ``None`` to connect directly.

    Raises :class:`ProxyConfigError` when the variable that applies cannot be used.
    """
    env = os.environ if environ is None else environ
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None  # the caller's own URL check says what is wrong with it
    kind = _DIRECT_SCHEMES.get(parts.scheme.lower())
    if kind is None or not host or is_loopback_host(host):
        return None
    if port is None:
        port = 443 if kind == "https" else 80
    if _bypassed(host, port, _variable(env, "no_proxy")[1]):
        return None
    source, value = _variable(env, f"{kind}_proxy")
    if not value:
        source, value = _variable(env, "all_proxy")
    if not value:
        return None
    return parse_proxy(value, source)


def _variable(env: Mapping[str, str], name: str) -> tuple[str, str]:
    """(the variable's name as set, its value): lower case first, then upper case."""
    for candidate in (name, name.upper()):
        value = env.get(candidate, "").strip()
        if value:
            return candidate, value
    return name.upper(), ""


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    name = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    for entry in no_proxy.replace(",", " ").split():
        entry = entry.lower()
        if entry == "*":
            return True
        entry, want_port = _split_port(entry)
        if want_port is not None and want_port != port:
            continue
        entry = entry.strip("[]").lstrip(".").rstrip(".")
        if not entry:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if name == entry or name.endswith("." + entry):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port`` -> (host, port); an IPv6 address or CIDR block keeps its colons."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return entry, None


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connect_request(proxy: Proxy, host: str, port: int) -> bytes:
    """The ``CONNECT`` request for a tunnel to ``host:port``."""
    target = _authority(host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    auth = proxy.authorization
    if auth is not None:
        lines.append(f"Proxy-Authorization: {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def check_connect_response(head: bytes, proxy: Proxy, host: str, port: int) -> None:
    """Raise :class:`ProxyError` unless ``head`` (the status line and headers) is a 2xx."""
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = status_line.partition(" ")
    code_text, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not (code_text.isdigit() and len(code_text) == 3):
        raise ProxyError(f"proxy {proxy.where} did not answer CONNECT with HTTP")
    code = int(code_text)
    if 200 <= code < 300:
        return
    reason = "".join(c for c in reason if " " <= c <= "~")[:80].strip()
    if code == 407:
        if proxy.authorization is None:
            fix = f"put credentials in {proxy.source} (http://USER:PASSWORD@HOST:PORT)"
        else:
            fix = f"check the credentials in {proxy.source}"
        raise ProxyError(f"proxy {proxy.where} wants authentication (HTTP 407): {fix}", code)
    raise ProxyError(
        f"proxy {proxy.where} refused a tunnel to {_authority(host, port)}: "
        f"HTTP {code} {reason}".rstrip(),
        code,
    )


async def open_tunnel(proxy: Proxy, host: str, port: int) -> socket.socket:
    """A connected, non-blocking socket through which bytes reach ``host:port``.

    Raises :class:`ProxyError`. The caller bounds the time it may take.
    """
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(proxy.host, proxy.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ProxyError(f"cannot resolve proxy {proxy.where} ({proxy.source}): {exc}") from None
    sock: socket.socket | None = None
    failure: OSError | None = None
    for family, kind, proto, _, address in infos:
        candidate = socket.socket(family, kind, proto)
        try:
            candidate.setblocking(False)
            await loop.sock_connect(candidate, address)
        except OSError as exc:
            candidate.close()
            failure = exc
            continue
        except BaseException:
            candidate.close()
            raise
        sock = candidate
        break
    if sock is None:
        why = (failure.strerror or str(failure)) if failure is not None else "no address"
        raise ProxyError(f"cannot reach proxy {proxy.where} ({proxy.source}): {why}")
    try:
        await loop.sock_sendall(sock, connect_request(proxy, host, port))
        head, more = await _read_head(loop, sock, proxy)
        check_connect_response(head, proxy, host, port)  # an error page may carry a body
        if more:  # bytes before the client spoke belong to neither the proxy nor the server
            raise ProxyError(f"proxy {proxy.where} sent data before the tunnel opened")
    except OSError as exc:
        sock.close()
        if isinstance(exc, ProxyError):
            raise
        raise ProxyError(f"proxy {proxy.where} dropped the tunnel: {exc}") from None
    except BaseException:
        sock.close()
        raise
    return sock


async def _read_head(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, proxy: Proxy
) -> tuple[bytes, bool]:
    """The proxy's answer up to its blank line, and whether more bytes came after it."""
    buffer = b""
    while True:
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            raise ProxyError(f"proxy {proxy.where} closed the connection during CONNECT")
        buffer += chunk
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            return buffer[:end], end + 4 != len(buffer)
        if len(buffer) > _MAX_HEAD:
            raise ProxyError(f"proxy {proxy.where} sent an answer header over {_MAX_HEAD} bytes")
