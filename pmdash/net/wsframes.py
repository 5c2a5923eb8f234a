"""RFC 6455 frames without I/O: a parser for what a server sends and an encoder for what a
client sends.

``FrameParser.feed(chunk)`` parses every complete frame in the chunk in one loop and hands each
message to ``on_message`` (text as ``str``, strictly UTF-8 decoded; binary as ``bytes``) and
each control frame to ``on_control``. A violation raises ``ProtocolError`` carrying the close
code to send (1002 protocol error, 1007 bad UTF-8, 1009 too big). No extension is negotiated, so
reserved bits are always an error.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPCODES = (CONTINUATION, TEXT, BINARY)
CONTROL_OPCODES = (CLOSE, PING, PONG)

NORMAL_CLOSURE = 1000
PROTOCOL_ERROR = 1002
NO_STATUS = 1005
INVALID_DATA = 1007
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011

_SENDABLE_CODES = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015)))
_U16 = struct.Struct("!H")
_U64 = struct.Struct("!Q")
_FIN = 0x80
_RSV = 0x70
_MASK_BIT = 0x80
_TEXT_FIN = _FIN | TEXT  # the common case: one whole text message in one frame

OnMessage = Callable[[str | bytes], None]
OnControl = Callable[[int, bytes], None]


class ProtocolError(Exception):
    """The server broke the protocol; ``code`` is the close code to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def valid_close_code(code: int) -> bool:
    """Whether a peer may put ``code`` in a close frame (RFC 6455 §7.4)."""
    return code in _SENDABLE_CODES or 3000 <= code <= 4999


def parse_close(payload: bytes) -> tuple[int, str]:
    """A close frame's (code, reason); an empty payload is (1005, "")."""
    if not payload:
        return NO_STATUS, ""
    if len(payload) < 2:
        raise ProtocolError(PROTOCOL_ERROR, "close frame with a 1-byte payload")
    (code,) = _U16.unpack_from(payload)
    if not valid_close_code(code):
        raise ProtocolError(PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode()
    except UnicodeDecodeError:
        raise ProtocolError(INVALID_DATA, "invalid UTF-8 in the close reason") from None
    return code, reason


def close_payload(code: int, reason: str = "") -> bytes:
    """A close frame's payload (empty for 1005, "no status")."""
    if code == NO_STATUS:
        return b""
    return _U16.pack(code) + reason.encode()[:123]


def encode_frame(opcode: int, payload: bytes, *, mask: bool = True) -> bytes:
    """One final frame; masked with a fresh random key unless ``mask`` is False."""
    n = len(payload)
    bit = _MASK_BIT if mask else 0
    if n < 126:
        head = bytes((_FIN | opcode, bit | n))
    elif n < 65536:
        head = bytes((_FIN | opcode, bit | 126)) + _U16.pack(n)
    else:
        head = bytes((_FIN | opcode, bit | 127)) + _U64.pack(n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    if not n:
        return head + key
    return head + key + apply_mask(payload, key)


def apply_mask(payload: bytes, key: bytes) -> bytes:
    """XOR ``payload`` with the repeated 4-byte ``key`` (masking and unmasking are the same)."""
    n = len(payload)
    stream = key * (n // 4 + 1)
    value = int.from_bytes(payload, "big") ^ int.from_bytes(stream[:n], "big")
    return value.to_bytes(n, "big")


class FrameParser:
    """Reassembles server-to-client messages from arbitrary chunks of the byte stream.

    ``max_size`` bounds a message (all its fragments) in bytes; ``None`` means no bound. After a
    ``CLOSE`` frame, or after :meth:`halt`, the rest of the stream is ignored. After a
    ``ProtocolError`` or an exception from a callback the parser is in no state to go on:
    :meth:`halt` it.
    """

    __slots__ = (
        "_buf",
        "_halted",
        "_limit",
        "_on_control",
        "_on_message",
        "_part_opcode",
        "_part_size",
        "_parts",
    )

    def __init__(self, on_message: OnMessage, on_control: OnControl, max_size: int | None) -> None:
        self._on_message = on_message
        self._on_control = on_control
        self._limit = (1 << 63) if max_size is None else max_size
        self._buf = bytearray()
        self._halted = False
        self._parts: list[bytes] = []
        self._part_opcode = 0  # TEXT or BINARY while a fragmented message is open
        self._part_size = 0

    @property
    def halted(self) -> bool:
        return self._halted

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete frame held back for the next chunk."""
        return len(self._buf)

    def halt(self) -> None:
        """Parse nothing more (the connection is closing)."""
        self._halted = True
        self._buf.clear()
        self._parts.clear()

    def feed(self, chunk: bytes) -> None:
        """Parse every complete frame in the stream so far; keep the incomplete tail."""
        if self._halted:
            return
        buf = self._buf
        data: bytes | bytearray
        if buf:
            buf += chunk
            data = buf
        else:
            data = chunk
        n = len(data)
        pos = 0
        limit = self._limit
        on_message = self._on_message
        fragmented = self._part_opcode != 0
        while n - pos >= 2:
            b0 = data[pos]
            length = data[pos + 1]
            if length < 126:
                start = pos + 2
            elif length == 126:
                if n - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                start = pos + 4
            elif length == 127:
                if n - pos < 10:
                    break
                (length,) = _U64.unpack_from(data, pos + 2)
                if length >> 63:
                    raise ProtocolError(PROTOCOL_ERROR, "frame length with the top bit set")
                start = pos + 10
            else:
                raise ProtocolError(PROTOCOL_ERROR, "masked frame from the server")
            end = start + length
            if b0 == _TEXT_FIN and not fragmented:
                if length > limit:
                    raise _too_big(length, limit)
                if end > n:
                    break
                try:
                    text = data[start:end].decode()
                except UnicodeDecodeError:
                    raise ProtocolError(INVALID_DATA, "invalid UTF-8 in a text message") from None
                on_message(text)
                pos = end
                if self._halted:
                    return
                continue
            self._check_header(b0, length)
            if end > n:
                break
            self._frame(b0, bytes(data[start:end]))
            pos = end
            if self._halted:
                return
            fragmented = self._part_opcode != 0
        if data is buf:
            del buf[:pos]
        elif pos < n:
            buf += chunk[pos:]

    def _check_header(self, b0: int, length: int) -> None:
        """Everything the header alone can violate (checked again until the frame is whole)."""
        if b0 & _RSV:
            raise ProtocolError(PROTOCOL_ERROR, "reserved bits set (no extension was negotiated)")
        opcode = b0 & 0x0F
        if opcode in CONTROL_OPCODES:
            if not b0 & _FIN:
                raise ProtocolError(PROTOCOL_ERROR, "fragmented control frame")
            if length > 125:
                raise ProtocolError(PROTOCOL_ERROR, "control frame longer than 125 bytes")
            return
        if opcode not in DATA_OPCODES:
            raise ProtocolError(PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if opcode == CONTINUATION:
            if not self._part_opcode:
                raise ProtocolError(PROTOCOL_ERROR, "continuation frame without a message")
        elif self._part_opcode:
            raise ProtocolError(PROTOCOL_ERROR, "new message inside a fragmented message")
        size = self._part_size + length
        if size > self._limit:
            raise _too_big(size, self._limit)

    def _frame(self, b0: int, payload: bytes) -> None:
        """A whole frame other than the common unfragmented text frame (header checked)."""
        opcode = b0 & 0x0F
        if opcode >= CLOSE:
            if opcode == CLOSE:
                self.halt()  # nothing after a close frame counts
            self._on_control(opcode, payload)
            return
        if opcode != CONTINUATION:
            if b0 & _FIN:
                self._deliver(opcode, payload)
                return
            self._part_opcode = opcode
            self._parts = [payload]
            self._part_size = len(payload)
            return
        self._parts.append(payload)
        self._part_size += len(payload)
        if b0 & _FIN:
            opcode = self._part_opcode
            whole = b"".join(self._parts)
            self._parts = []
            self._part_opcode = 0
            self._part_size = 0
            self._deliver(opcode, whole)

    def _deliver(self, opcode: int, payload: bytes) -> None:
        if opcode == TEXT:
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                raise ProtocolError(INVALID_DATA, "invalid UTF-8 in a text message") from None
            self._on_message(text)
        else:
            self._on_message(payload)


def _too_big(size: int, limit: int) -> ProtocolError:
    return ProtocolError(MESSAGE_TOO_BIG, f"message of {size} bytes over the limit of {limit}")
