"""The JSON decoder of every response body (`types.loads`): with msgspec installed (the
`speed` extra) the same values as `json.loads`, for any JSON and any bytes at all (big
integers, floats at the edges of their range, escapes and lone surrogates included),
and the same errors; `json.loads` alone without it; msgspec not imported until a body
is decoded."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.clients import TOKEN
from support.decoders import DECODERS, decoding_with
from support.samples import INSTANCE
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import AsyncFluidstack
from fluidstack_client._generated.management import types

pytestmark = pytest.mark.fuzz

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with what JSON makes hard: escapes, control characters, astral characters and
# lone surrogates (which json.loads accepts, escaped or as UTF-8 with surrogatepass).
texts = st.text(
    st.characters(codec=None, exclude_categories=())
    | st.sampled_from(['"', "\\", "/", "\b", "\x00", "\u2028", "\ud800", "\udfff", "😀"]),
    max_size=12,
)
# Number texts as a server may write them: integers of any size, long mantissas,
# exponents in and out of float's range (1e400 is inf to json.loads), -0.
number_texts = st.from_regex(
    r"-?(0|[1-9][0-9]{0,45})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats()
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=16,
)


def _encodings(value: Any) -> list[bytes]:
    """`value` as JSON bytes the ways a server may send it: ASCII with escapes, and raw
    UTF-8 (a lone surrogate as its three bytes, as json.loads reads them back)."""
    escaped = json.dumps(value).encode()
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return [escaped, raw]


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0; NaN is NaN; -0.0 is
    not 0.0; dict keys in the same order)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _outcome(decode: Any, body: bytes) -> tuple[str, Any]:
    try:
        return ("value", decode(body))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return ("error", type(exc))


def _agree(body: bytes) -> None:
    plain, fast = _outcome(DECODERS["json"], body), _outcome(DECODERS["msgspec"], body)
    assert plain[0] == fast[0], (body, plain, fast)
    if plain[0] == "value":
        assert _same(plain[1], fast[1]), (body, plain[1], fast[1])
    else:
        assert plain[1] is fast[1], (body, plain, fast)


def test_msgspec_is_the_fast_decoder_here() -> None:
    """The dev and lowest venvs install the speed extra: the fast path is what is tested."""
    assert DECODERS["msgspec"] is not json.loads
    assert DECODERS["msgspec"](b"[1]") == [1]


@EXAMPLES
@given(value=values)
def test_any_json_decodes_to_the_same_values(value: Any) -> None:
    for body in _encodings(value):
        _agree(body)


@EXAMPLES
@given(number=number_texts, wrap=st.sampled_from(["{}", "[{}]", '{{"a":{}}}']))
def test_any_number_decodes_to_the_same_value(number: str, wrap: str) -> None:
    _agree(wrap.format(number).encode())


@EXAMPLES
@given(body=st.binary(max_size=64))
def test_any_bytes_decode_or_fail_the_same(body: bytes) -> None:
    _agree(body)


@pytest.mark.parametrize(
    "body",
    [
        b"NaN",
        b"[Infinity, -Infinity]",
        b"1e400",
        b'"\\ud800"',
        b'"\xed\xa0\x80"',
        b"\xef\xbb\xbf[1]",
        "[1]".encode("utf-16"),
        b'{"a": 1, "a": 2}',
        b"[1,]",
        b"",
        b"123456789012345678901234567890123456789",
        b"-0",
        b"0.1000000000000000055511151231257827021181583404541015625",
        b"5e-324",
        b"2.4703282292062328e-324",
    ],
)
def test_what_msgspec_refuses_or_reads_differently_is_json_loads_to_decide(body: bytes) -> None:
    _agree(body)


def test_without_msgspec_the_decoder_is_json_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # `import msgspec` raises ImportError
    monkeypatch.setitem(sys.modules, "msgspec.json", None)
    assert types._first_decoder() is json.loads


def test_msgspec_is_imported_with_the_first_body_not_the_package() -> None:
    code = (
        "import sys; from fluidstack_client import AsyncFluidstack, Fluidstack;"
        "assert 'msgspec' not in sys.modules, 'imported with the package';"
        "from fluidstack_client._generated.management.types import loads;"
        "assert loads(b'[1]') == [1]; assert 'msgspec' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("decoder", sorted(DECODERS))
async def test_a_list_with_what_json_makes_hard_parses_the_same(
    server: ScriptedServer, decoder: str
) -> None:
    """Through the client over loopback: fields the spec does not name keep big
    integers, floats and lone surrogates exactly as `json.loads` reads them."""
    odd = {
        "x_big": 2**100,
        "x_float": 0.1,
        "x_tiny": 5e-324,
        "x_inf": float("inf"),
        "x_surrogate": "\ud800",
        "x_text": 'a "q" \\ \u2028 😀',
    }
    body = json.dumps([{**INSTANCE, **odd}]).encode()
    server.default = Reply(body=body)
    with decoding_with(decoder):
        async with AsyncFluidstack(TOKEN, base_url=server.url) as fs:
            [instance] = await fs.instances.list()
    for key, value in odd.items():
        assert _same(instance[key], value), key
