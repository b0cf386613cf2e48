"""What an exception tells the person who catches it, to the character: the message,
the attributes, the request and response kept on it, and how long server text may be.
Each scenario goes through a real server on 127.0.0.1 unless it is a pure helper."""

from __future__ import annotations

import json
import pickle
import ssl

import httpx
import pytest
from clients import MODES, TOKEN, run
from hostile_server import Conn, HostileServer
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RedirectError,
    RegionNotFoundError,
)
from fluidstack_client._error_mapping import (
    fresh,
    snippet,
    status_error,
    tls_failure,
    transport_error,
)
from fluidstack_client._redact import (
    MESSAGE_CHARS,
    REDACTED,
    Redactor,
    Sealed,
    clean,
    copy_response,
    display_url,
    redacted_request,
)

# -- a 2xx that does not parse -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_validation_error_keeps_request_message_and_response(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "us-east-1"}])  # no url
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.regions.list())
    exc = info.value
    body = '[{"name": "us-east-1"}]'
    assert exc.message == (
        f"200 with a body that does not match the spec (KeyError: 'url'); body starts: {body}"
    )
    assert str(exc) == f"GET {server.url}/regions: {exc.message}"
    assert exc.status_code == 200
    assert exc.response.status_code == 200
    assert exc.response.content == body.encode()
    assert exc.request is not None
    assert exc.request.method == "GET"
    assert str(exc.request.url) == f"{server.url}/regions"
    assert exc.request.headers["Authorization"] == REDACTED
    assert exc.response.request is exc.request


@pytest.mark.parametrize("mode", MODES)
def test_undocumented_success_status_names_the_documented_one(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(201, json=[])
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert info.value.message == (
        "201 is not the success of list_keys (the spec says 200); body starts: []"
    )
    assert info.value.status_code == 201


@pytest.mark.parametrize("mode", MODES)
def test_empty_success_body_says_empty(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(body=b"")
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert info.value.message.endswith("; body starts: (empty)")
    assert info.value.message.startswith("200 ")


# -- statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (503, "Service Unavailable"),
        (502, "Bad Gateway"),
        (404, "Not Found"),
        (599, "(empty body)"),
        (520, "(empty body)"),
    ],
)
def test_an_empty_error_body_gives_the_reason_phrase(
    mode: str, status: int, message: str, server: ScriptedServer
) -> None:
    server.default = Reply(status, body=b"")
    base = f"{server.url}/api/v1alpha1"
    with pytest.raises(APIStatusError) as info:
        run(mode, base, lambda fs: fs.keys.list(), max_retries=0)
    assert info.value.message == message
    assert str(info.value) == f"GET {base}/user/keys: {status} {message}"
    assert info.value.body is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "body",
    [{"message": ""}, {"message": 5}, {"message": None}, {"error": "x"}, ["message"], "plain"],
)
def test_a_body_without_a_usable_message_is_quoted(
    mode: str, body: object, server: ScriptedServer
) -> None:
    server.default = Reply(400, body)
    with pytest.raises(APIStatusError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert info.value.message == json.dumps(body)
    assert info.value.body == body


@pytest.mark.parametrize("mode", MODES)
def test_the_servers_message_is_kept_up_to_500_characters(
    mode: str, server: ScriptedServer
) -> None:
    assert MESSAGE_CHARS == 500
    server.queue(Reply(409, {"message": "m" * 500}), Reply(409, {"message": "m" * 501}))
    for expected in ("m" * 500, "m" * 500 + "... [1 more characters]"):
        with pytest.raises(APIStatusError) as info:
            run(mode, server.url, lambda fs: fs.keys.register(name="k", key="ssh-ed25519 A"))
        assert info.value.message == expected
        assert info.value.body is not None


@pytest.mark.parametrize("mode", MODES)
def test_a_body_snippet_is_one_line_of_at_most_200_characters(
    mode: str, server: ScriptedServer
) -> None:
    text = "  line one\n\tline two \r\n" + "x" * 300
    server.queue(
        Reply(500, body=text.encode(), content_type="text/plain"),
        Reply(500, body=b"y" * 200, content_type="text/plain"),
    )
    with pytest.raises(InternalServerError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_retries=0)
    flat = "line one line two " + "x" * 300
    assert info.value.message == flat[:200] + f"... [{len(flat) - 200} more characters]"
    with pytest.raises(InternalServerError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_retries=0)
    assert info.value.message == "y" * 200


def test_snippet_reads_no_more_than_eight_bytes_per_character() -> None:
    spaced = b" " * 1590 + b"abcdefghijk"  # the letters start at byte 1590 of 1601
    response = httpx.Response(500, content=spaced)
    assert snippet(response) == "abcdefghij"  # bytes 1590-1599: the first 200 * 8
    assert snippet(response, chars=2) == ""  # only 16 bytes read: all blank
    assert (
        snippet(httpx.Response(500, content=b"abc def"), chars=5) == "abc d... [2 more characters]"
    )
    assert snippet(httpx.Response(500, content=b"\xff\xfeok")) == "\ufffd\ufffdok"


@pytest.mark.parametrize("mode", MODES)
def test_status_error_text_and_attributes(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(404, {"message": "no such key", "code": 7})
    base = f"{server.url}/api/v1alpha1"
    with pytest.raises(NotFoundError) as info:
        run(mode, base, lambda fs: fs.keys.deregister("laptop"))
    exc = info.value
    assert str(exc) == f"DELETE {base}/user/keys/laptop: 404 no such key"
    assert (exc.message, exc.status_code, exc.body) == (
        "no such key",
        404,
        {"message": "no such key", "code": 7},
    )
    assert exc.request is not None
    assert exc.request.method == "DELETE"
    assert exc.request.headers["Authorization"] == REDACTED
    assert exc.response.json() == {"message": "no such key", "code": 7}
    copy = pickle.loads(pickle.dumps(exc))
    assert (str(copy), copy.message, copy.status_code, copy.body) == (
        str(exc),
        exc.message,
        404,
        exc.body,
    )


@pytest.mark.parametrize("mode", MODES)
def test_redirect_error_names_where_and_keeps_the_location(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(307, headers={"Location": "/moved?token=x#f"})
    with pytest.raises(RedirectError) as info:
        run(mode, server.url, lambda fs: fs.keys.register(name="k", key="ssh-ed25519 A"))
    exc = info.value
    assert exc.location == "/moved?token=x#f"
    assert str(exc) == (
        f"POST {server.url}/user/keys: 307 Temporary Redirect; redirect to "
        f"{server.url}/moved not followed (writes are never redirected)"
    )
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_redirect_without_location(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(302)
    with pytest.raises(RedirectError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert info.value.location is None
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 302 Found; redirect without a Location not followed"
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["", "/"])
def test_a_404_from_a_base_url_without_a_path_says_where_the_api_lives(
    mode: str, path: str, server: ScriptedServer
) -> None:
    server.default = Reply(404, {"message": "nothing here"})
    with pytest.raises(NotFoundError) as info:
        run(mode, server.url + path, lambda fs: fs.keys.list())
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 404 nothing here (base_url has no path; the "
        "Management API lives under /api/v1alpha1)"
    )
    server.default = Reply(403, {"message": "no"})
    with pytest.raises(APIStatusError) as denied:
        run(mode, server.url + path, lambda fs: fs.keys.list())
    assert str(denied.value) == f"GET {server.url}/user/keys: 403 no"


# -- regions -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_unknown_region_message_and_attributes(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(
        json=[
            {"name": "us-east-1", "url": server.url},
            {"name": "eu-west-2", "url": server.url},
        ]
    )
    with pytest.raises(RegionNotFoundError) as info:
        run(mode, server.url, lambda fs: fs.region("ap-south-9"))
    exc = info.value
    assert str(exc) == "unknown region 'ap-south-9'; known regions: 'eu-west-2', 'us-east-1'"
    assert exc.name == "ap-south-9"
    assert exc.known == ["eu-west-2", "us-east-1"]
    assert exc.args == (str(exc),)
    copy = pickle.loads(pickle.dumps(exc))
    assert (str(copy), copy.name, copy.known) == (str(exc), exc.name, exc.known)


def test_unknown_region_with_none_known_and_with_many() -> None:
    assert str(RegionNotFoundError("x", [])) == "unknown region 'x'; known regions: none"
    many = [f"r{i:02}" for i in range(60)]
    text = str(RegionNotFoundError("x", many))
    assert text.endswith("'r48', 'r49'")
    assert text.count("'r") == 50
    long = RegionNotFoundError("n" * 100, ["k\n" * 50])
    shown_name = repr("n" * 100)[:80] + "... [22 more characters]"
    assert str(long).startswith(f"unknown region {shown_name}; known regions: ")
    assert "\n" not in str(long)
    assert str(long).endswith("... [72 more characters]")


# -- pure helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("a\nb\rc\td", 500, "a\\nb\\rc\\td"),
        ("\x00\x1b[31m\x7f\x85", 500, "\\x00\\x1b[31m\\x7f\\x85"),
        ("\u202ebidi\u2028\ufeff", 500, "\\u202ebidi\\u2028\\ufeff"),
        ("tag\U000e0041", 500, "tag\\U000e0041"),
        ("\xa0nbsp\xad", 500, "\xa0nbsp\\xad"),
        ("abcdef", 3, "abc... [3 more characters]"),
        ("abc", 3, "abc"),
    ],
)
def test_clean_escapes_and_cuts(text: str, limit: int, shown: str) -> None:
    assert clean(text, limit=limit) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@x.io/a/b?token=1#frag", "https://x.io/a/b"),
        ("http://[::1]:8080/p", "http://[::1]:8080/p"),
        ("https://x.io:443/p", "https://x.io/p"),
        ("https://x.io:8443/p", "https://x.io:8443/p"),
        ("http://127.0.0.1/a%0Ab", "http://127.0.0.1/a\\nb"),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    assert display_url(httpx.URL(url)) == shown


@pytest.mark.parametrize("mode", MODES)
def test_a_long_path_is_cut_in_the_message(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(404, {"message": "gone"})
    name = "k" * 400
    with pytest.raises(NotFoundError) as info:
        run(mode, f"{server.url}/v1", lambda fs: fs.keys.deregister(name))
    url = f"{server.url}/v1/user/keys/{name}"
    assert str(info.value) == f"DELETE {url[:300]}... [{len(url) - 300} more characters]: 404 gone"


def test_token_in_a_status_message_is_scrubbed(server: ScriptedServer) -> None:
    server.default = Reply(403, {"message": f"token {TOKEN} is not allowed"})
    with pytest.raises(APIStatusError) as info:
        run("sync", server.url, lambda fs: fs.keys.list())
    assert info.value.message == f"token {REDACTED} is not allowed"
    assert TOKEN not in str(info.value)


# -- what is kept of the response, and the helpers' edges ----------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_the_kept_response_has_the_servers_version_and_a_scrubbed_reason(mode: str) -> None:
    def answer(conn: Conn) -> None:
        conn.send(f"HTTP/1.0 503 Down for {TOKEN}\r\nContent-Length: 0\r\n\r\n".encode())
        conn.close()

    with HostileServer(answer) as hostile, pytest.raises(InternalServerError) as info:
        run(mode, hostile.url, lambda fs: fs.keys.list(), max_retries=0)
    kept = info.value.response
    assert kept.http_version == "HTTP/1.0"
    assert kept.reason_phrase == f"Down for {REDACTED}"
    assert info.value.message == "Service Unavailable"


def test_a_copied_response_without_version_or_reason_gets_the_defaults() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/x")
    copy = copy_response(httpx.Response(503, request=request), b"body")
    assert copy.http_version == "HTTP/1.1"
    assert copy.reason_phrase == ""
    assert copy.content == b"body"
    assert copy.request is request


@pytest.mark.parametrize("mode", MODES)
def test_an_escaped_token_in_an_error_body_is_scrubbed_and_the_body_rewritten(
    mode: str, server: ScriptedServer
) -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    server.default = Reply(400, body=f'{{"message": "bad {escaped}", "n": 1}}'.encode())
    with pytest.raises(APIStatusError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    scrubbed = {"message": f"bad {REDACTED}", "n": 1}
    assert info.value.body == scrubbed
    assert info.value.response.content == json.dumps(scrubbed).encode()
    assert info.value.message == f"bad {REDACTED}"


@pytest.mark.parametrize("mode", MODES)
def test_a_token_echoed_as_a_content_encoding_is_scrubbed(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(json=[], headers={"Content-Encoding": TOKEN})
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert info.value.message == (
        f"200 unsupported Content-Encoding ({REDACTED}); body starts: (empty)"
    )


def test_a_redirect_to_an_unparseable_location_is_quoted() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    for location, shown in [
        ("http://[::1", "'http://[::1'"),
        (
            "http://[::1" + "x" * 400,
            repr("http://[::1" + "x" * 400)[:300] + "... [113 more characters]",
        ),
    ]:
        error = status_error(httpx.Response(302, headers={"Location": location}, request=request))
        assert str(error) == (
            f"GET http://127.0.0.1:9/a: 302 Found; redirect to {shown} not followed"
        )


def test_status_error_by_itself() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    assert str(status_error(httpx.Response(418, request=request))) == (
        "GET http://127.0.0.1:9/a: 418 I'm a Teapot"
    )
    multiple = status_error(httpx.Response(300, request=request))
    assert type(multiple) is RedirectError
    assert str(multiple) == (
        "GET http://127.0.0.1:9/a: 300 Multiple Choices; redirect without a Location not followed"
    )
    assert type(status_error(httpx.Response(299, request=request))) is APIStatusError
    assert type(status_error(httpx.Response(400, request=request))) is BadRequestError


def test_fresh_copies_keep_the_cause() -> None:
    error = RuntimeError("flight failed")
    error.__cause__ = KeyError("why")
    copy = fresh(error)
    assert copy is not error
    assert type(copy) is RuntimeError
    assert copy.args == ("flight failed",)
    assert copy.__cause__ is error.__cause__


def test_tls_failure_looks_eight_links_down_the_chain() -> None:
    def chain(depth: int) -> Exception:
        top: BaseException = ssl.SSLCertVerificationError("certificate verify failed")
        for _ in range(depth):
            outer = httpx.ConnectError("wrapped")
            outer.__cause__ = top
            top = outer
        assert isinstance(top, Exception)
        return top

    assert tls_failure(chain(7)) is not None
    assert tls_failure(chain(8)) is None
    eof = httpx.ConnectError("eof")
    eof.__context__ = ssl.SSLEOFError("EOF")
    assert tls_failure(eof) is None


@pytest.mark.parametrize(
    ("error", "kind", "detail"),
    [
        (httpx.ConnectError("refused"), "APIConnectionError", "ConnectError: refused"),
        (httpx.ReadTimeout(""), "APITimeoutError", "ReadTimeout"),
        (httpx.ReadError(""), "APIConnectionError", "ReadError"),
        (
            httpx.RemoteProtocolError("Invalid URL in location header: x"),
            "APIConnectionError",
            "the server answered with a redirect whose Location is not a valid URL; not "
            "followed, not retried",
        ),
        (
            httpx.LocalProtocolError("Illegal header value b'Bearer sk-1'"),
            "APIConnectionError",
            "the request could not be sent (LocalProtocolError: an invalid header or body)",
        ),
    ],
)
def test_transport_error_messages(error: Exception, kind: str, detail: str) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    made = transport_error(error, request)
    assert type(made).__name__ == kind
    assert str(made) == f"GET http://127.0.0.1:9/a: {detail}"


def test_transport_error_names_a_tls_failure_and_scrubs_the_secret() -> None:
    cause = ssl.SSLCertVerificationError("certificate verify failed")
    error = httpx.ConnectError(f"handshake with {TOKEN}")
    error.__cause__ = cause
    request = httpx.Request("GET", f"http://127.0.0.1:9/a?t={TOKEN}", headers={"X": "1"})
    made = transport_error(error, request, Redactor(TOKEN))
    assert str(made) == f"GET http://127.0.0.1:9/a: TLS failed, not retried: {cause}"
    plain = transport_error(httpx.ConnectError(f"refused by {TOKEN}"), request, Redactor(TOKEN))
    assert str(plain) == f"GET http://127.0.0.1:9/a: ConnectError: refused by {REDACTED}"
    assert plain.request is not None
    assert TOKEN not in str(plain.request.url)


def test_secret_holders_print_as_stars_and_refuse_pickle() -> None:
    redactor = Redactor("a-secret-value-0123")
    assert repr(redactor) == "Redactor(***)"
    with pytest.raises(TypeError) as info:
        pickle.dumps(redactor)
    assert str(info.value) == "a Redactor holds a secret and cannot be pickled"
    sealed = Sealed("a-secret-value-0123")
    assert repr(sealed) == "***"
    with pytest.raises(TypeError) as info:
        pickle.dumps(sealed)
    assert str(info.value) == "secret material cannot be pickled"


# -- the Redactor: every form of every secret, longest first -------------------------------

# A secret with a slash, a quote, a space, an ampersand and angle brackets: each form a
# server may echo it in differs.
ODD = 'sk/te"st key&<1>'
ODD_FORMS = [
    ODD,
    'sk/te\\"st key&<1>',  # JSON string
    'sk\\/te\\"st key&<1>',  # JSON string with escaped slashes
    "sk%2Fte%22st%20key%26%3C1%3E",  # URL-encoded, nothing safe
    "sk/te%22st%20key%26%3C1%3E",  # URL-encoded as a path
    "sk%2Fte%22st+key%26%3C1%3E",  # form-encoded
    "sk/te&quot;st key&amp;&lt;1&gt;",  # HTML
]


@pytest.mark.parametrize("form", ODD_FORMS)
def test_each_form_of_a_secret_is_scrubbed_from_text_and_bytes(form: str) -> None:
    redactor = Redactor(ODD)
    assert redactor.text(f"a {form} b") == f"a {REDACTED} b"
    assert redactor.bytes(f"a {form} b".encode()) == f"a {REDACTED} b".encode()
    assert redactor.margin == max(len(f) for f in ODD_FORMS)


def test_every_secret_given_is_scrubbed() -> None:
    redactor = Redactor("first-secret-1", None, "", "second-secret-2")
    assert redactor.text("first-secret-1 second-secret-2") == f"{REDACTED} {REDACTED}"


@pytest.mark.parametrize("secrets", [("abcdefgh", "abcdefghXYZW"), ("zzzzzzzz", "azzzzzzzzz")])
def test_a_secret_inside_a_longer_one_leaves_no_part_of_the_longer(
    secrets: tuple[str, str],
) -> None:
    redactor = Redactor(*secrets)
    assert redactor.text(f"<{secrets[1]}>") == f"<{REDACTED}>"


def test_short_secrets_are_scrubbed_only_when_asked() -> None:
    # Eight characters and up always; shorter ones (a test token) only with always=True.
    assert Redactor("1234567").text("x 1234567 x") == "x 1234567 x"
    assert Redactor("12345678").text("x 12345678 x") == f"x {REDACTED} x"
    assert Redactor("1234567", always=True).text("x 1234567 x") == f"x {REDACTED} x"


def test_a_redactor_without_secrets_changes_nothing() -> None:
    redactor = Redactor(None, "")
    assert redactor.margin == 0
    assert redactor.text("anything") == "anything"
    assert redactor.bytes(b"anything") == b"anything"


def test_an_error_without_a_request_is_its_message_alone() -> None:
    assert str(APIConnectionError("no route")) == "no route"
    assert APIConnectionError("no route").request is None


def test_a_request_kept_on_an_error_is_scrubbed_and_framed_anew() -> None:
    # A token request's form holds the client secret: the copy on an exception holds
    # neither it nor the bearer header, and its Content-Length fits what it holds.
    secret = "client-secret-0123"
    request = httpx.Request(
        "POST",
        "https://auth.example/token",
        headers={"Authorization": f"Bearer {TOKEN}"},
        content=f"grant_type=client_credentials&client_secret={secret}".encode(),
    )
    kept = redacted_request(request, Redactor(secret))
    assert kept.content == f"grant_type=client_credentials&client_secret={REDACTED}".encode()
    assert kept.headers["Content-Length"] == str(len(kept.content))
    assert kept.headers["Authorization"] == REDACTED
    assert (kept.method, str(kept.url)) == ("POST", "https://auth.example/token")


def test_a_streamed_request_is_kept_without_its_body() -> None:
    request = httpx.Request("POST", "https://api.example/x", content=iter([b"chunk"]))
    assert redacted_request(request).content == b""
