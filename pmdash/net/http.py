"""A small async HTTP GET for JSON APIs: standard library only (urllib in a worker thread).

It goes through the proxy the environment sets for the URL, as the feeds do (``proxy.py``:
loopback always direct, ``no_proxy`` honoured, credentials never shown)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from pmdash.net.proxy import Proxy, ProxyConfigError, proxy_for
from pmdash.printable import printable

USER_AGENT = "pmdash/0.1"
MAX_BODY = 32 * 2**20
_MESSAGE_CHARS = 200


class HttpError(Exception):
    """A GET that did not yield a usable body. ``status`` is ``None`` when no HTTP response
    came back (refused, timed out, bad URL)."""

    def __init__(self, status: int | None, url: str, message: str) -> None:
        self.status = status
        self.url = url
        self.message = printable(message)  # often the server's own words, printed as they are
        where = f"HTTP {status} from {url}" if status is not None else url
        super().__init__(f"{printable(where)}: {self.message}")


def build_url(base: str, path: str, params: Mapping[str, str | int | bool] | None = None) -> str:
    """``base`` + ``path`` (slash-joined) + an encoded query string."""
    url = base.rstrip("/") + "/" + path.lstrip("/")
    if params:
        query = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in params.items()}
        url += "?" + urllib.parse.urlencode(query)
    return url


async def get_bytes(
    url: str,
    *,
    timeout: float = 10.0,
    max_bytes: int = MAX_BODY,
    proxy: Proxy | bool = True,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of a ``200`` answer to ``GET url``; any other outcome raises ``HttpError``.
    ``proxy``: ``True`` the one the environment sets for ``url``, ``False`` none, or that one.
    ``headers``: sent as well (e.g. signed auth headers; never part of an error message).
    """
    try:
        via = proxy_for(url) if proxy is True else (proxy if isinstance(proxy, Proxy) else None)
    except ProxyConfigError as exc:
        raise HttpError(None, url, str(exc)) from None
    try:
        async with asyncio.timeout(timeout):
            extra = dict(headers or {})

            def work(url: str, timeout: float, max_bytes: int, via: Proxy | None) -> bytes:
                return _get(url, timeout, max_bytes, via, extra)

            return await _in_daemon_thread(work, url, timeout, max_bytes, via)
    except TimeoutError:
        raise HttpError(None, url, f"no answer within {timeout:g} s") from None


async def _in_daemon_thread(
    work: Callable[[str, float, int, Proxy | None], bytes],
    url: str,
    timeout: float,
    max_bytes: int,
    via: Proxy | None,
) -> bytes:
    """``work(...)`` in a daemon thread of its own. Not ``asyncio.to_thread``: a request
    cancelled mid-way (a run that ends, an App that quits) would keep ``asyncio.run`` waiting
    for the default executor until urllib's own timeout; a daemon thread is left to end alone.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bytes] = loop.create_future()

    def settle(result: bytes | None, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result or b"")

    def run() -> None:
        try:
            result, error = work(url, timeout, max_bytes, via), None
        except BaseException as exc:  # handed to the awaiting task, which raises it
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="pmdash-http", daemon=True).start()
    return await done


async def get_json(
    url: str, *, timeout: float = 10.0, max_bytes: int = MAX_BODY, proxy: Proxy | bool = True
) -> Any:
    """``GET url`` and decode the JSON body; a body that is not JSON raises ``HttpError``."""
    body = await get_bytes(url, timeout=timeout, max_bytes=max_bytes, proxy=proxy)
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise HttpError(200, url, f"body is not JSON ({exc}): {_snippet(body)}") from None


def _get(
    url: str, timeout: float, max_bytes: int, via: Proxy | None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    )
    # Our choice of proxy, not urllib's own reading of the environment (which would send
    # loopback through the proxy and ignore all_proxy).
    proxies = {} if via is None else {"http": via.url(), "https": via.url()}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
    through = "" if via is None else f" (through proxy {via.where} from {via.source})"
    try:
        with opener.open(request, timeout=timeout) as response:
            body: bytes = response.read(max_bytes + 1)
            status = response.status
    except urllib.error.HTTPError as exc:
        with exc:
            message = _error_message(exc.read(64 * 1024), exc.reason)
        raise HttpError(exc.code, url, message) from None
    except urllib.error.URLError as exc:
        raise HttpError(None, url, f"cannot connect{through}: {exc.reason}") from None
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        what = f"{type(exc).__name__}: {exc}".rstrip(": ")
        raise HttpError(None, url, what + through) from None
    except ValueError as exc:
        raise HttpError(None, url, f"invalid URL: {exc}") from None
    if len(body) > max_bytes:
        raise HttpError(status, url, f"body larger than {max_bytes} bytes")
    if status != 200:
        raise HttpError(status, url, f"unexpected status: {_snippet(body)}")
    return body


def _error_message(body: bytes, reason: object) -> str:
    """The server's own words: ``{"error": "..."}`` when it sends that, else the body start."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            text = data.get(key)
            if isinstance(text, str):
                return text[:_MESSAGE_CHARS]
    return _snippet(body) or str(reason)


def _snippet(body: bytes) -> str:
    return body[:_MESSAGE_CHARS].decode("utf-8", "replace").strip()
