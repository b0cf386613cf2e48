"""Reading a response body within a size cap.

httpx decodes `Content-Encoding` a whole network chunk at a time with no output
limit, so 306 bytes of stacked gzip can become gigabytes in one call. The client
therefore reads the raw bytes and decodes them here, in pieces of at most
`PIECE` bytes per layer, counting as it goes: memory for a body stays within its
cap plus a few pieces, whatever the encoding claims.
"""

from __future__ import annotations

import zlib

# Error bodies are only ever shown as a message: read this much and no more.
MAX_ERROR_BODY = 64 * 1024
# A token endpoint answers a few KB (a JWT and its lifetime): a bigger answer is refused
# at this, not at max_response_size (64 MiB by default, for the API's lists).
MAX_TOKEN_RESPONSE = 1024 * 1024
PIECE = 64 * 1024
MAX_CODINGS = 4  # stacked Content-Encodings; legal, but nothing real sends more than one
# gzip members per coding: RFC 1952 allows several, servers send one. Each costs a copy
# of what follows it in the piece, and an empty one adds nothing to the decoded size.
MAX_GZIP_MEMBERS = 64
ACCEPT_ENCODING = "gzip, deflate"  # what the client asks for, and can decode boundedly

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


# Parsed JSON costs ~50-70 bytes of Python objects per value: a body may hold one
# value per this many bytes of the cap, which bounds the parse near 4x the cap. (A
# real ListInstances has one per ~28 bytes of body; `[{},{},...]` one per 3, and
# would take ~25x its size.)
BYTES_PER_JSON_VALUE = 16


def check_json_density(content: bytes, limit: int) -> None:
    """BodyTooLarge if parsing `content` would build more JSON values than the cap
    allows (counted by commas: fast, and an over-estimate only inside strings)."""
    most = limit // BYTES_PER_JSON_VALUE
    if len(content) > most and content.count(b",") > most:
        raise BodyTooLarge(
            f"the body holds over {most:,} JSON values, more than max_response_size allows to parse"
        )


class BodyTooLarge(Exception):
    """The body (raw or decoded) is larger than the cap."""


class Undecodable(Exception):
    """The body's Content-Encoding is unknown or its bytes do not decode."""


class _Inflate:
    """One layer of decoding. `deflate` is meant to be zlib-wrapped, but some servers
    send raw deflate: the first two bytes tell (a zlib header is a multiple of 31
    with compression method 8), so they are held until both are there."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._z = None if coding == "deflate" else zlib.decompressobj(_WBITS[coding])
        self._head = b""
        self._members = 1

    def decompress(self, data: bytes, limit: int) -> bytes:
        if self._z is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return b""
            wrapped = data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            self._head = b""
        try:
            return self._z.decompress(data, limit)
        except zlib.error as exc:
            raise Undecodable(
                f"the body is labelled {self._coding} but does not decode: {exc}"
            ) from None

    @property
    def tail(self) -> bytes:
        return b"" if self._z is None else self._z.unconsumed_tail

    @property
    def complete(self) -> bool:
        return self._z is not None and self._z.eof

    def next_member(self) -> bytes:
        """After a gzip member ends, what follows it: the next member (RFC 1952 allows
        several), decoded by a fresh decompressor. b"" for anything else."""
        if self._z is None or not self._z.eof or not self._coding.endswith("gzip"):
            return b""
        rest = self._z.unused_data
        if rest:
            self._members += 1
            if self._members > MAX_GZIP_MEMBERS:
                raise Undecodable(f"the body has more than {MAX_GZIP_MEMBERS} gzip members")
            self._z = zlib.decompressobj(_WBITS[self._coding])
        return rest


def _layers(content_encoding: str) -> list[_Inflate]:
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    unknown = [c for c in codings if c not in _WBITS]
    if unknown or len(codings) > MAX_CODINGS:
        what = ", ".join(unknown) if unknown else f"{len(codings)} stacked encodings"
        raise Undecodable(f"unsupported Content-Encoding ({what[:100]})")
    # Decoded in the reverse of the order they were applied.
    return [_Inflate(c) for c in reversed(codings)]


class BodyReader:
    """Feed it raw chunks; `result()` is the decoded body.

    Over `limit` bytes (raw or decoded) it raises BodyTooLarge, or, with
    `truncate=True` (error bodies), keeps the first `limit` bytes and reports
    `done` so the caller stops reading.
    """

    def __init__(self, content_encoding: str | None, limit: int, *, truncate: bool = False):
        self._layers = _layers(content_encoding) if content_encoding else []
        self._limit = limit
        self._truncate = truncate
        self._parts: list[bytes] = []
        self._fed = [0] * len(self._layers)  # input each coding has taken
        self._size = 0
        self.done = False
        self.truncated = False

    def feed(self, chunk: bytes) -> None:
        if self.done:
            return
        self._push(0, chunk)

    def _push(self, level: int, data: bytes) -> None:
        if level == len(self._layers):
            self._emit(data)
            return
        # Compressed input that decodes to (almost) nothing can still be endless, on the
        # wire or out of an outer coding: each coding takes at most this much.
        self._fed[level] += len(data)
        if self._fed[level] > 2 * self._limit + PIECE:
            self._over()
            return
        layer = self._layers[level]
        while not self.done:
            out = layer.decompress(data, PIECE)
            if out:
                self._push(level + 1, out)
            data = layer.tail or layer.next_member()
            # Input left (the rest of a piece, or the next gzip member, even after an
            # empty one) goes in again. So does none after a full piece: zlib may hold
            # more output back (a long repeat cut at the piece boundary) until asked.
            if not data and len(out) < PIECE:
                break

    def _emit(self, data: bytes) -> None:
        room = self._limit - self._size
        if len(data) > room:
            self._parts.append(data[:room])
            self._size = self._limit
            self._over()
            return
        self._parts.append(data)
        self._size += len(data)

    def _over(self) -> None:
        if not self._truncate:
            raise BodyTooLarge(f"the body is larger than {self._limit:,} bytes")
        self.done = self.truncated = True

    def result(self) -> bytes:
        if any(self._fed) and not self.truncated and not all(z.complete for z in self._layers):
            raise Undecodable("the compressed body ends before its compressed stream does")
        return self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
