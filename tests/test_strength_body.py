"""Content-Encoding as a server may send it: each coding the client accepts or refuses
(and what the refusal says), raw and wrapped deflate told apart, what follows the end
of a stream, and the size cap's message. Real servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
import samples
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIResponseValidationError,
    InternalServerError,
    ResponseTooLargeError,
)
from fluidstack_client._body import (
    MAX_CODINGS,
    MAX_GZIP_MEMBERS,
    PIECE,
    BodyReader,
    BodyTooLarge,
    Undecodable,
    check_json_density,
)

KEYS = [samples.SSH_KEY]
BODY = json.dumps(KEYS).encode()


def raw_deflate(data: bytes, level: int = 6) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _keys(mode: str, server: ScriptedServer, body: bytes, coding: str, **options: Any) -> Any:
    server.default = Reply(body=body, headers={"Content-Encoding": coding})
    return run(mode, server.url, lambda fs: fs.keys.list(), **options)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("identity", lambda b: b),
        ("gzip, ", gzip.compress),
        (" , gzip", gzip.compress),
        ("identity, gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),
        ("gzip, deflate", lambda b: zlib.compress(gzip.compress(b))),
    ],
)
def test_accepted_codings(mode: str, coding: str, encode: object, server: ScriptedServer) -> None:
    body = encode(BODY)  # type: ignore[operator]
    assert [k.name for k in _keys(mode, server, body, coding)] == ["laptop"]


@pytest.mark.parametrize("mode", MODES)
def test_raw_deflate_that_looks_like_a_zlib_header_by_its_checksum_alone(
    mode: str, server: ScriptedServer
) -> None:
    # A stored block of 54 bytes: its first two bytes (01 36) are a multiple of 31, but
    # the first is no zlib header (compression method 8): it is raw deflate.
    key = {"name": "k", "key": "ssh-ed25519 " + "A" * 16}
    body = json.dumps([key]).encode()
    encoded = raw_deflate(body, level=0)
    assert encoded[:2] == b"\x01\x36"
    assert int.from_bytes(encoded[:2], "big") % 31 == 0
    assert [k.key for k in _keys(mode, server, encoded, "deflate")] == [key["key"]]


@pytest.mark.parametrize("mode", MODES)
def test_a_two_byte_deflate_stream_is_decoded(mode: str, server: ScriptedServer) -> None:
    empty = raw_deflate(b"")
    assert len(empty) == 2
    with pytest.raises(APIResponseValidationError) as info:
        _keys(mode, server, empty, "deflate")
    # It decoded (to nothing): the complaint is about the empty body, not the encoding.
    assert info.value.message.startswith("200 with a body that does not match the spec (")
    assert "compressed" not in info.value.message


@pytest.mark.parametrize("mode", MODES)
def test_bytes_after_the_end_of_a_deflate_stream_are_ignored(
    mode: str, server: ScriptedServer
) -> None:
    body = zlib.compress(BODY) + b"trailing bytes"
    assert [k.name for k in _keys(mode, server, body, "deflate")] == ["laptop"]


@pytest.mark.parametrize("mode", MODES)
def test_several_gzip_members_are_one_body(mode: str, server: ScriptedServer) -> None:
    half = len(BODY) // 2
    body = gzip.compress(BODY[:half]) + gzip.compress(BODY[half:])
    assert [k.name for k in _keys(mode, server, body, "gzip")] == ["laptop"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("coding", "what"),
    [
        ("br", "br"),
        ("br, zstd", "br, zstd"),
        ("gzip, compress", "compress"),
        ("x" * 150, "x" * 100),
        (", ".join(["gzip"] * (MAX_CODINGS + 1)), f"{MAX_CODINGS + 1} stacked encodings"),
    ],
)
def test_refused_codings_say_which(
    mode: str, coding: str, what: str, server: ScriptedServer
) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        _keys(mode, server, BODY, coding)
    assert info.value.message == (
        f"200 unsupported Content-Encoding ({what}); body starts: (empty)"
    )
    assert info.value.response.content == b""


@pytest.mark.parametrize("mode", MODES)
def test_an_error_body_that_does_not_decode_is_left_out(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(500, body=b"not really brotli", headers={"Content-Encoding": "br"})
    with pytest.raises(InternalServerError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_retries=0)
    assert info.value.message == "Internal Server Error"
    assert info.value.response.content == b""
    assert info.value.body is None


@pytest.mark.parametrize("mode", MODES)
def test_a_body_over_the_cap_without_a_length_says_so(mode: str, server: ScriptedServer) -> None:
    big = json.dumps([samples.SSH_KEY] * 20).encode()
    with pytest.raises(ResponseTooLargeError) as info:
        _keys(mode, server, gzip.compress(big), "gzip", max_response_size=500)
    assert info.value.message == (
        "200 response not read: the body is larger than 500 bytes (max_response_size=500 "
        "bytes; raise it on the client if such answers are expected)"
    )


def test_the_reader_by_itself() -> None:
    reader = BodyReader("deflate", 1000)
    for byte in zlib.compress(BODY):  # one byte at a time: the zlib header is split
        reader.feed(bytes([byte]))
    assert reader.result() == BODY
    truncating = BodyReader(None, 5, truncate=True)
    truncating.feed(b"0123456789")
    assert (truncating.result(), truncating.done, truncating.truncated) == (b"01234", True, True)


@pytest.mark.parametrize("mode", MODES)
def test_a_success_body_that_does_not_decode_keeps_no_echo_of_the_token(
    mode: str, server: ScriptedServer
) -> None:
    # A 2xx whose gzip is broken, from a server that echoes the token in a header: the
    # error names the problem, holds an empty body, and carries no copy of the token.
    server.default = Reply(
        body=b"not gzip at all",
        headers={"Content-Encoding": "gzip", "X-Echo": f"Bearer {TOKEN}"},
    )
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_retries=0)
    error = info.value
    assert str(error).endswith("; body starts: (empty)")
    assert error.response.content == b""
    assert error.response.headers["X-Echo"] == "Bearer [REDACTED]"
    for text in (str(error), repr(error), str(error.response.headers.raw)):
        assert TOKEN not in text


# -- gzip members, and the reader's counting ---------------------------------------------

EMPTY_MEMBER = gzip.compress(b"", mtime=0)  # 20 bytes that decode to nothing


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_gzip_member_before_the_body_is_skipped(mode: str, server: ScriptedServer) -> None:
    # RFC 1952 allows several members; a proxy that flushes early may send an empty one.
    keys = _keys(mode, server, EMPTY_MEMBER + gzip.compress(BODY), "gzip")
    assert [(k.name, k.key) for k in keys] == [(k["name"], k["key"]) for k in KEYS]


def _feed(reader: BodyReader, data: bytes, size: int = 1000) -> None:
    for start in range(0, len(data), size):
        reader.feed(data[start : start + size])


EMPTY_BLOCK = b"\x00\x00\x00\xff\xff"  # a stored deflate block of no bytes


def test_compressed_input_is_capped_even_when_it_decodes_to_nothing() -> None:
    # Raw input may reach twice the cap plus one piece: 13,508 empty blocks exactly.
    limit = 1002
    assert len(EMPTY_BLOCK) * 13508 == 2 * limit + PIECE
    reader = BodyReader("deflate", limit)
    _feed(reader, EMPTY_BLOCK * 13508)
    assert not reader.done
    with pytest.raises(BodyTooLarge) as info:
        reader.feed(EMPTY_BLOCK)
    assert str(info.value) == "the body is larger than 1,002 bytes"


def test_an_outer_coding_cannot_feed_an_inner_one_without_end() -> None:
    # ~10 KB on the wire: gzip around gzip around 10 MB of empty deflate blocks. Each
    # coding takes the same budget of input as the wire gets.
    body = gzip.compress(gzip.compress(EMPTY_BLOCK * 2_000_000))
    assert len(body) < 20_000
    with pytest.raises(BodyTooLarge):
        _feed(BodyReader("deflate, gzip, gzip", 1000), body)


def test_a_flood_of_gzip_members_is_refused() -> None:
    reader = BodyReader("gzip", 1000)
    reader.feed(EMPTY_MEMBER * (MAX_GZIP_MEMBERS - 1) + gzip.compress(b"ok"))
    assert reader.result() == b"ok"
    with pytest.raises(Undecodable) as info:
        _feed(BodyReader("gzip, gzip", 10**6), gzip.compress(EMPTY_MEMBER * 1000))
    assert str(info.value) == "the body has more than 64 gzip members"


def test_the_decoded_size_is_counted_across_chunks() -> None:
    reader = BodyReader(None, 100)
    reader.feed(b"a" * 40)
    reader.feed(b"b" * 40)
    with pytest.raises(BodyTooLarge):
        reader.feed(b"c" * 40)
    exact = BodyReader(None, 100)  # the cap itself is allowed
    exact.feed(b"a" * 60)
    exact.feed(b"b" * 40)
    assert (exact.result(), exact.done, exact.truncated) == (b"a" * 60 + b"b" * 40, False, False)


def test_a_reader_raises_over_its_cap_unless_told_to_truncate() -> None:
    with pytest.raises(BodyTooLarge):
        BodyReader(None, 5).feed(b"0123456789")


def test_an_empty_body_labelled_gzip_is_empty() -> None:
    assert BodyReader("gzip", 100).result() == b""


def test_output_held_back_at_a_piece_boundary_is_drained() -> None:
    # This raw deflate stream is taken whole by the first call, which gives exactly one
    # piece: zlib holds the rest back until asked again, with no input left.
    body = b'{"message":"' + b"a" * 65523 + b'"}'
    encoded = raw_deflate(body)
    assert len(encoded) < 200
    reader = BodyReader("deflate", 10 * PIECE)
    reader.feed(encoded)
    assert reader.result() == body


def test_a_compressed_body_cut_short_does_not_decode() -> None:
    reader = BodyReader("gzip", 1000)
    reader.feed(gzip.compress(BODY)[:-8])  # no trailer
    with pytest.raises(Undecodable) as info:
        reader.result()
    assert str(info.value) == "the compressed body ends before its compressed stream does"


def test_json_density_is_counted_by_commas_within_the_cap() -> None:
    limit = 1000  # at most 62 values: 1000 // 16
    check_json_density(b'"' + b"x" * 2000 + b'"', limit)  # long, but one value
    check_json_density(b"[" + b",".join([b"1"] * 63) + b"]", limit)  # 62 commas
    with pytest.raises(BodyTooLarge) as info:
        check_json_density(b"[" + b",".join([b"1"] * 64) + b"]", limit)  # 63 commas
    assert str(info.value) == (
        "the body holds over 62 JSON values, more than max_response_size allows to parse"
    )
