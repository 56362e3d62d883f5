"""Live cross-check of the crate's `auto` example server against muffin-session.

Usage: python crosscheck.py PATH_TO_AUTO_BINARY [--rounds N] [--seed N]

For each codec the binary is started with SESSION_SESSION_TYPE, SESSION_SECRET_KEY
and ADDR set; cookies minted by the real muffin-session must be read by the
server, and cookies set by the server must be read by muffin-session. Each
codec runs with a strong secret (32 bytes or more), and jwt and fernet again
with a short one, as an existing Muffin app may have, which the crate accepts
only with SESSION_ALLOW_WEAK_SECRET=true.

muffin-session's jwt and base64 cookies carry no issue time, so the server
stamps one (`_iat`) into such a cookie the first time it reads it: that read
sets exactly one cookie, which muffin-session reads as the same session plus
`_iat`, and reading the stamped cookie sets none. Fernet tokens carry their
own timestamp: reading them sets no cookie.
Secrets are random and never printed (the seed reproduces them).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import jwt
from cryptography.fernet import Fernet

import compat
from make_vectors import PYTHON_ONLY_CASES

COOKIE = "session"
UPDATED_BODY = "Session updated."

# The claim the crate keeps a jwt or base64 session's issue time in. A Fernet
# token has its own timestamp instead, so fernet sessions never hold it.
IAT = "_iat"

# Secrets shorter than 32 bytes are refused unless the app opts in with this.
WEAK_SECRET_OPT_IN = {"SESSION_ALLOW_WEAK_SECRET": "true"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report redirects as they are (the users check asserts on them)."""

    def redirect_request(self, *args, **kwargs):
        return None


# No ProxyHandler entries: never route 127.0.0.1 through $http_proxy.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)


class Checks:
    """Counts checks; prints one line per group plus a few failure details."""

    MAX_DETAILS = 5

    def __init__(self):
        self.passed = self.failed = 0
        self.group_passed = self.group_failed = 0
        self.details: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        if ok:
            self.group_passed += 1
        else:
            self.group_failed += 1
            self.details.append(what)
        return ok

    def end_group(self, name: str):
        total = self.group_passed + self.group_failed
        status = "ok" if not self.group_failed else "FAILED"
        print(f"{name}: {self.group_passed}/{total} {status}")
        for line in self.details[: self.MAX_DETAILS]:
            print(f"    - {line}")
        if len(self.details) > self.MAX_DETAILS:
            print(f"    ... and {len(self.details) - self.MAX_DETAILS} more")
        self.passed += self.group_passed
        self.failed += self.group_failed
        self.group_passed = self.group_failed = 0
        self.details = []


# --------------------------------------------------------------------------
# HTTP and cookie helpers
# --------------------------------------------------------------------------

def http_get(port: int, path: str, cookie: str | None = None, *,
             cookie_name: str = COOKIE, form: dict | None = None,
             headers: dict[str, str] | None = None):
    """(status, headers, body bytes); status is None on connection errors.
    With `form`, a POST of those fields, URL-encoded; `headers` are added
    to the request (Origin, Sec-Fetch-Site...)."""
    sent = dict(headers or {})
    if cookie is not None:
        sent["Cookie"] = f"{cookie_name}={cookie}"
    data = None if form is None else urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=sent)
    try:
        with OPENER.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()
    except OSError as err:
        return None, None, str(err).encode()


def parse_set_cookie(header: str):
    """'name=value; Attr; Attr=v' -> (name, value, {lowercased attr: value or True})."""
    first, *rest = header.split(";")
    name, _, value = first.partition("=")
    attrs = {}
    for part in rest:
        key, eq, val = part.partition("=")
        attrs[key.strip().lower()] = val.strip() if eq else True
    return name.strip(), value.strip(), attrs


def header_tokens(headers, name: str) -> set[str]:
    """Comma-separated tokens of every `name` header, lowercased."""
    values = headers.get_all(name) or []
    return {t.strip().lower() for v in values for t in v.split(",")}


def set_cookies(headers) -> list[str]:
    return (headers.get_all("Set-Cookie") or []) if headers is not None else []


def text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<invalid UTF-8 {body[:80]!r}>"


# --------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(proc: subprocess.Popen, port: int, timeout: float = 30.0) -> str | None:
    """None when the port accepts connections, else the reason it never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"server exited with code {proc.returncode} before listening"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return None
        except OSError:
            time.sleep(0.1)
    return f"port {port} not accepting after {timeout:.0f}s"


def log_tail(log, secret: str, lines: int = 15) -> str:
    log.flush()
    log.seek(0)
    tail = log.read().decode("utf-8", "replace").splitlines()[-lines:]
    return "\n".join("    | " + line.replace(secret, "<secret>") for line in tail)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

# A strong secret's length: the crate wants 32 bytes or more, and
# muffin-session's Fernet key derivation takes at most 32 ASCII characters,
# so a strong fernet secret that a Muffin app can share is exactly 32.
STRONG_SECRET_LENGTH = {"base64": 40, "jwt": 40, "fernet": 32}


def random_secret(rng: random.Random, codec: str, *, weak: bool = False) -> str:
    """A random ASCII secret the crate accepts as it is or, with `weak`, one
    of 1 to 31 characters, as an existing Muffin app may have (it then needs
    WEAK_SECRET_OPT_IN)."""
    alphabet = string.ascii_letters + string.digits + string.punctuation
    length = rng.randint(1, 31) if weak else STRONG_SECRET_LENGTH[codec]
    return "".join(rng.choice(alphabet) for _ in range(length))


def read(c: Checks, port: int, token: str | None, expected: str, label: str):
    """GET /load answers `expected`; returns the response headers."""
    status, headers, body = http_get(port, "/load", token)
    c.check(status == 200, f"{label}: /load status {status} ({text(body)[:100]!r})")
    c.check(text(body) == expected,
            f"{label}: /load body {compat.short(text(body))}, expected {compat.short(expected)}")
    return headers


def check_load(c: Checks, port: int, token: str | None, expected: str, label: str):
    """GET /load answers `expected` and sets no cookie."""
    headers = read(c, port, token, expected, label)
    c.check(not set_cookies(headers), f"{label}: /load sent Set-Cookie {set_cookies(headers)}")


def issue_time(codec: str, secret: str, token: str) -> int | None:
    """When the crate says it issued `token`: the `_iat` muffin-session
    decodes from it, or a Fernet token's own timestamp."""
    if codec == "fernet":
        fernet = compat.plugin("fernet", secret).create_from_token(None).f
        return fernet.extract_timestamp(token.encode())
    value = compat.decode(codec, secret, token).get(IAT)
    return value if type(value) is int else None


def check_session_cookie(c: Checks, codec: str, secret: str, headers, expected: dict,
                         since: int, label: str) -> str | None:
    """The response sets exactly one session cookie, with the crate's
    attributes, that muffin-session decodes to `expected` plus, for jwt and
    base64, an `_iat` issue time between `since` and now (for fernet, the
    token's own timestamp is). Returns the cookie's value, None if unusable."""
    ours = [h for h in set_cookies(headers) if parse_set_cookie(h)[0] == COOKIE]
    if not c.check(len(ours) == 1, f"{label}: {len(ours)} Set-Cookie for {COOKIE!r}"):
        return None
    _, value, attrs = parse_set_cookie(ours[0])
    c.check(attrs.get("httponly") is True, f"{label}: no HttpOnly in {attrs}")
    c.check(attrs.get("path") == "/", f"{label}: Path is {attrs.get('path')!r}")
    c.check(str(attrs.get("samesite", "")).lower() == "lax",
            f"{label}: SameSite is {attrs.get('samesite')!r}")
    c.check(str(attrs.get("max-age", "")).lower() != "none", f"{label}: Max-Age=None")
    c.check("cookie" in header_tokens(headers, "Vary"),
            f"{label}: Vary is {headers.get_all('Vary')}")
    # A read that sets a cookie (the stamp) must not be cached and shared either.
    c.check(bool(header_tokens(headers, "Cache-Control") & {"private", "no-store"}),
            f"{label}: Cache-Control is {headers.get_all('Cache-Control')}")
    try:
        decoded = compat.decode(codec, secret, value)
        issued = issue_time(codec, secret, value)
    except Exception as err:  # e.g. base64 that is not JSON: muffin-session raises
        c.check(False, f"{label}: muffin-session failed: {type(err).__name__}: {err}")
        return None
    # The clock is the same on both sides; a second either way for rounding.
    c.check(issued is not None and since - 1 <= issued <= time.time() + 1,
            f"{label}: issue time {issued!r}, expected between {since} and now")
    if codec != "fernet":
        expected = {**expected, IAT: decoded.get(IAT)}  # checked just above
    diff = compat.strict_diff(expected, decoded)
    c.check(diff is None, f"{label}: cookie decoded by muffin-session differs: {diff}")
    return value


def check_first_load(c: Checks, port: int, codec: str, secret: str, token: str,
                     expected: str, label: str):
    """Reads a cookie muffin-session minted: GET /load answers `expected`.
    A jwt or base64 one carries no issue time, so that first read stamps it:
    exactly one cookie, the same session for muffin-session plus `_iat` =
    now. A second read, with the cookie the browser then holds (stamped, or
    the Fernet token as it was), answers the same and sets none."""
    since = int(time.time())
    headers = read(c, port, token, expected, label)
    held = token
    if codec == "fernet":
        c.check(not set_cookies(headers), f"{label}: /load sent Set-Cookie {set_cookies(headers)}")
    else:
        original = compat.decode(codec, secret, token)  # what Python reads from its own token
        held = check_session_cookie(c, codec, secret, headers, original, since, f"{label}: stamp")
    if held is not None:
        check_load(c, port, held, expected, f"{label}, read again")


def check_update(c: Checks, port: int, codec: str, secret: str,
                 token: str | None, expected: dict, label: str):
    """GET /update sets var="value"; muffin-session must decode the new cookie
    as `expected` (plus the crate's issue time, see check_session_cookie)."""
    since = int(time.time())
    status, headers, body = http_get(port, "/update", token)
    c.check(status == 200, f"{label}: /update status {status}")
    c.check(text(body) == UPDATED_BODY, f"{label}: /update body {compat.short(text(body))}")
    check_session_cookie(c, codec, secret, headers, expected, since, label)


def raw_token(codec: str, secret: str, raw: bytes) -> str:
    """A correctly encoded/signed/encrypted token around arbitrary bytes."""
    if codec == "base64":
        return base64.urlsafe_b64encode(raw).decode()
    if codec == "jwt":
        return jwt.PyJWS().encode(raw, key=secret, algorithm="HS256")
    return compat.plugin("fernet", secret).create_from_token(None).f.encrypt(raw).decode()


def garbage_tokens(rng: random.Random, codec: str, secret: str, token: str):
    """(label, cookie value) pairs that must all read as an empty session."""
    payload = {"var": compat.random_string(rng) + "x"}
    fernet_secret = secret[:32]  # same key material, as far as fernet allows
    other_secret = ("A" if secret[0] != "A" else "B") + secret[1:]  # same length, differs
    yield "random bytes as base64", base64.urlsafe_b64encode(rng.randbytes(rng.randint(1, 120))).decode()
    # Cut well before the end: also drops "=" padding, which lenient decoders skip.
    yield "truncated token (half)", token[: len(token) // 2]
    yield "truncated token (-4 chars)", token.rstrip("=")[:-4]
    yield "empty value", ""
    for other in compat.CODECS:
        if other != codec:
            key = fernet_secret if other == "fernet" else secret
            yield f"valid {other} token", compat.mint(other, key, payload)
    if codec != "base64":  # base64 ignores the secret, so nothing to reject
        yield "token minted with another secret", compat.mint(codec, other_secret, payload)
    key = fernet_secret if codec == "fernet" else secret
    yield "valid envelope, JSON array", raw_token(codec, key, b'["var", "x"]')
    yield "valid envelope, broken JSON", raw_token(codec, key, b'{"var": "x"')


def python_only_tokens(codec: str, secret: str):
    """(case, payload, token) for each of make_vectors.py's python_only cases
    (JSON only Python writes: lone surrogates, NaN, 2**70, ...) that
    muffin-session mints for `codec`; base64 and fernet (orjson) refuse lone
    surrogates and integers beyond 64 bits, and write NaN as null."""
    for case, payload in PYTHON_ONLY_CASES:
        payload = {**payload, "var": f"python-only {case}"}
        try:
            token = compat.mint(codec, secret, payload)
        except TypeError:  # orjson.JSONEncodeError: muffin-session cannot mint it
            continue
        yield case, payload, token


@contextlib.contextmanager
def example_server(binary: str, codec: str, secret: str, *, args: tuple[str, ...] = (),
                   env: dict[str, str] | None = None):
    """Runs an example (`binary` with `args`) on a free port, configured by
    SESSION_* and ADDR plus `env`; yields (process, port, log file, why it
    never listened or None)."""
    port = free_port()
    # Only the SESSION_* variables given here: one left in the caller's shell
    # (SESSION_ALLOW_WEAK_SECRET, SESSION_LIFETIME...) would change what is checked.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SESSION_")}
    # The examples name their cookie after themselves (`auto_session`...);
    # a Muffin app sharing it and the example must agree on one name, so
    # the checks give both muffin-session's default, as an app migrating
    # would, unless `env` says otherwise.
    env = {**inherited, "SESSION_SESSION_TYPE": codec, "SESSION_SECRET_KEY": secret,
           "SESSION_COOKIE_NAME": COOKIE, "ADDR": f"127.0.0.1:{port}", **(env or {})}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([binary, *args], env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc, port, log, wait_for_port(proc, port)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_codec(c: Checks, binary: str, codec: str, weak: bool, rng: random.Random, rounds: int):
    secret = random_secret(rng, codec, weak=weak)
    name = f"{codec}, short secret" if weak else codec
    env = WEAK_SECRET_OPT_IN if weak else {}
    with example_server(binary, codec, secret, env=env) as (proc, port, log, problem):
        c.check(problem is None, problem and f"{problem}; output:\n{log_tail(log, secret)}")
        c.end_group(f"[{name}] server start")
        if problem:
            return

        # Baseline: no cookie at all.
        check_load(c, port, None, "", "no cookie")
        check_update(c, port, codec, secret, None, {"var": "value"}, "no cookie")
        c.end_group(f"[{name}] without cookie")

        payloads = []
        for i in range(rounds):
            payload = compat.random_payload(rng)
            var = compat.random_string(rng)
            if var == "value":  # muffin would see no change and set no cookie
                var += "!"
            payload["var"] = var
            payloads.append((payload, compat.mint(codec, secret, payload)))

        for i, (payload, token) in enumerate(payloads):
            check_first_load(c, port, codec, secret, token, payload["var"], f"round {i}")
        c.end_group(f"[{name}] /load reads muffin-session cookies ({rounds} payloads)")

        for i, (payload, token) in enumerate(payloads):
            check_update(c, port, codec, secret, token, {**payload, "var": "value"}, f"round {i}")
        c.end_group(f"[{name}] /update cookie read back by muffin-session ({rounds} payloads)")

        odd = list(python_only_tokens(codec, secret))
        for case, payload, token in odd:
            check_first_load(c, port, codec, secret, token, payload["var"], f"python_only {case}")
        c.end_group(f"[{name}] /load reads python_only cookies ({len(odd)} cases)")

        for case, _, token in odd:
            # Expected: what muffin-session reads from its own token (for
            # base64 and fernet, NaN came back as null), with var updated.
            expected = {**compat.decode(codec, secret, token), "var": "value"}
            check_update(c, port, codec, secret, token, expected, f"python_only {case}")
        c.end_group(f"[{name}] /update keeps python_only values ({len(odd)} cases)")

        for i, (_, token) in enumerate(payloads):
            for label, bad in garbage_tokens(rng, codec, secret, token):
                check_load(c, port, bad, "", f"round {i}, {label}")
        c.end_group(f"[{name}] garbage cookies read as empty session")

        alive = proc.poll() is None
        c.check(alive, alive or f"exited with code {proc.returncode}; output:\n{log_tail(log, secret)}")
        c.end_group(f"[{name}] server still running")


# (codec, weak secret): every codec with a strong secret, then jwt and fernet
# with a short one, as a Muffin app being migrated may have (base64 ignores
# the secret). For fernet the short secret is also where muffin-session's key
# derivation pads it, which both sides must do alike.
RUNS = [("base64", False), ("jwt", False), ("fernet", False), ("jwt", True), ("fernet", True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="path to the built `auto` example")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(2**32))
    args = parser.parse_args()

    binary = os.path.abspath(args.binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"error: {args.binary} is not an executable file; "
              "build the crate's `auto` example first", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1

    print(f"seed: {args.seed}")
    rng = random.Random(args.seed)
    c = Checks()
    for codec, weak in RUNS:
        run_codec(c, binary, codec, weak, rng, args.rounds)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
