"""Whether a host or URL names this machine only: the one check the proxy choice, the embedded
exchange's listen address and the command line's hints share."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``, a trailing dot or IPv6 brackets allowed),
    ``127.0.0.0/8`` or ``::1``; not ``""`` or ``0.0.0.0``, which listen on every interface."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is this machine (see ``is_loopback_host``)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return is_loopback_host(host)
