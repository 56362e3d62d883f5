"""Live check of expiry, key rotation and secret strength in the crate's `auto`
example, with cookies minted by the real muffin-session / PyJWT / cryptography
packages.

Usage: python hardening_check.py PATH_TO_AUTO_BINARY [--seed N]

For `jwt` and `fernet`, the binary is configured only through SESSION_* and ADDR:
- SESSION_MAX_AGE (the server-side lifetime follows it): a cookie older than
  the max-age loads as an empty session and is removed (Python-minted old
  tokens, the server's own cookie and a muffin-session cookie it stamped,
  after waiting past it); fresh ones load; tokens from the future are
  refused; the server's JWT stays readable by muffin-session.
- The default lifetime, 14 days: a 13-day-old cookie loads, a 15-day-old one
  is refused and removed; SESSION_LIFETIME=none accepts both, and stamps no
  issue time into muffin-session's cookies.
- SESSION_FALLBACK_KEYS: a cookie carrying an issue time minted with the old
  key loads, and the reply re-issues it under the new key only, keeping its
  issue time; a muffin-session jwt cookie (no issue time) under the old key
  loads but is left as it is; a cookie minted with an unknown key does not load.
- Secrets shorter than 32 bytes (secret or fallback key) stop the example
  with status 1 and a message naming the variable and
  SESSION_ALLOW_WEAK_SECRET, never the secret, unless that opt-in is set.
- SESSION_SECURE=true: the cookie name gets the __Host- prefix.
The example has no POST route, so the cross-origin refusal of POSTs is
checked against the demo, in migration_check.py.
Secrets are random and never printed (the seed reproduces them).
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time

import jwt
from cryptography.fernet import Fernet

import compat
from crosscheck import (COOKIE, WEAK_SECRET_OPT_IN, Checks, example_server, http_get,
                        issue_time, log_tail, parse_set_cookie, random_secret, set_cookies,
                        text)

MAX_AGE = 3


def fernet_at(secret: str, payload: dict, at: int) -> str:
    """A Fernet token of `payload` issued at Unix time `at`, keyed as muffin-session keys it."""
    fernet: Fernet = compat.plugin("fernet", secret).create_from_token(None).f
    return fernet.encrypt_at_time(json.dumps(payload).encode(), at).decode()


def jwt_with(secret: str, payload: dict) -> str:
    return jwt.encode(payload, key=secret, algorithm="HS256")


def token_issued_at(codec: str, secret: str, payload: dict, at: int) -> str:
    """A token of `payload` carrying the issue time `at`: Fernet's timestamp, or
    for JWT both the crate's `_iat` claim and PyJWT's registered `iat`."""
    if codec == "fernet":
        return fernet_at(secret, payload, at)
    return jwt_with(secret, {**payload, "_iat": at, "iat": at})


DAY = 24 * 3600


def session_cookie(headers) -> str | None:
    """The value of the one session cookie the response sets (None if it sets
    none, several, or removes it)."""
    ours = [parse_set_cookie(h) for h in set_cookies(headers)]
    ours = [(value, attrs) for name, value, attrs in ours if name == COOKIE]
    if len(ours) != 1:
        return None
    value, attrs = ours[0]
    return None if not value or str(attrs.get("max-age")) == "0" else value


def removes_cookie(headers) -> bool:
    """The response removes the session cookie (empty value, Max-Age=0)."""
    return any(name == COOKIE and not value and str(attrs.get("max-age")) == "0"
               for name, value, attrs in map(parse_set_cookie, set_cookies(headers)))


def decodes(codec: str, secret: str, token: str) -> dict | None:
    """What muffin-session reads from `token` with `secret` (None if it fails or is empty)."""
    try:
        return compat.decode(codec, secret, token) or None
    except Exception:  # muffin-session lets some PyJWT errors escape
        return None


def check_expiry(c: Checks, binary: str, codec: str, rng: random.Random):
    secret = random_secret(rng, codec)
    env = {"SESSION_MAX_AGE": str(MAX_AGE)}
    with example_server(binary, codec, secret, env=env) as (proc, port, log, problem):
        if not c.check(problem is None, problem and f"{problem}:\n{log_tail(log, secret)}"):
            c.end_group(f"[{codec}] server start")
            return
        now = int(time.time())
        cases = [
            ("fresh Python token", now, "x"),
            ("Python token older than the max-age", now - MAX_AGE - 60, ""),
            ("Python token from the future", now + 3600, ""),
        ]
        for label, at, expected in cases:
            token = token_issued_at(codec, secret, {"var": "x"}, at)
            status, _, body = http_get(port, "/load", token)
            c.check(status == 200 and text(body) == expected,
                    f"{label}: /load {status} {text(body)[:40]!r}, expected {expected!r}")
        c.end_group(f"[{codec}] SESSION_MAX_AGE={MAX_AGE}: Python tokens by issue time")

        status, headers, _ = http_get(port, "/update")
        token = session_cookie(headers)
        c.check(status == 200 and token is not None, f"/update {status}, no cookie")
        if token is None:
            c.end_group(f"[{codec}] the server's own cookie expires")
            return
        decoded = decodes(codec, secret, token)
        c.check(decoded is not None and decoded.get("var") == "value",
                f"muffin-session cannot read the server's cookie: {decoded}")
        # PyJWT would enforce registered claims on muffin-session's side: the
        # crate keeps its issue time in the private `_iat` instead.
        c.check(decoded is None or not {"exp", "iat", "nbf"} & decoded.keys(),
                f"the cookie carries registered time claims: {sorted(decoded or {})}")
        status, _, body = http_get(port, "/load", token)
        c.check(text(body) == "value", f"fresh cookie: /load {text(body)!r}")

        # A muffin-session cookie: the browser then holds the one the first
        # read stamped (jwt), or the Fernet token as it is (it has a time).
        # Either must expire like the server's own.
        muffin = compat.mint(codec, secret, {"var": "m"})
        status, headers, body = http_get(port, "/load", muffin)
        held = muffin if codec == "fernet" else session_cookie(headers)
        c.check(text(body) == "m" and held is not None,
                f"muffin-session cookie: /load {text(body)!r}, Set-Cookie {set_cookies(headers)}")

        time.sleep(MAX_AGE + 1.2)
        status, headers, body = http_get(port, "/load", token)
        c.check(status == 200 and text(body) == "" and removes_cookie(headers),
                f"cookie older than the max-age: /load {status} {text(body)!r}, "
                f"Set-Cookie {set_cookies(headers)}")
        if held is not None:
            status, headers, body = http_get(port, "/load", held)
            c.check(status == 200 and text(body) == "" and removes_cookie(headers),
                    f"muffin-session cookie older than the max-age: /load {status} "
                    f"{text(body)!r}, Set-Cookie {set_cookies(headers)}")
        alive = proc.poll() is None
        c.check(alive, alive or f"exited with {proc.returncode}:\n{log_tail(log, secret)}")
        c.end_group(f"[{codec}] the server's own cookie and a stamped one expire after {MAX_AGE} s")


def check_default_lifetime(c: Checks, binary: str, codec: str, rng: random.Random):
    """14 days by default, checked on the server; none with SESSION_LIFETIME=none."""
    secret = random_secret(rng, codec)
    now = int(time.time())
    payload = {"var": "kept"}
    recent = token_issued_at(codec, secret, payload, now - 13 * DAY)
    old = token_issued_at(codec, secret, payload, now - 15 * DAY)
    with example_server(binary, codec, secret) as (_proc, port, log, problem):
        if not c.check(problem is None, problem and f"{problem}:\n{log_tail(log, secret)}"):
            c.end_group(f"[{codec}] server start")
            return
        status, headers, body = http_get(port, "/load", recent)
        c.check(status == 200 and text(body) == "kept" and not set_cookies(headers),
                f"13-day-old cookie: /load {status} {text(body)!r}, "
                f"Set-Cookie {set_cookies(headers)}")
        status, headers, body = http_get(port, "/load", old)
        c.check(status == 200 and text(body) == "" and removes_cookie(headers),
                f"15-day-old cookie: /load {status} {text(body)!r}, "
                f"Set-Cookie {set_cookies(headers)}")
        c.end_group(f"[{codec}] default lifetime: 14 days on the server")

    env = {"SESSION_LIFETIME": "none"}
    with example_server(binary, codec, secret, env=env) as (_proc, port, log, problem):
        if not c.check(problem is None, problem and f"{problem}:\n{log_tail(log, secret)}"):
            c.end_group(f"[{codec}] server start, SESSION_LIFETIME=none")
            return
        ancient = token_issued_at(codec, secret, payload, now - 400 * DAY)
        for label, token in (("15-day-old", old), ("400-day-old", ancient),
                             ("muffin-session", compat.mint(codec, secret, payload))):
            # Without a lifetime there is nothing to check an issue time
            # against, so muffin-session's cookies are not stamped either.
            status, headers, body = http_get(port, "/load", token)
            c.check(status == 200 and text(body) == "kept" and not set_cookies(headers),
                    f"{label} cookie: /load {status} {text(body)!r}, "
                    f"Set-Cookie {set_cookies(headers)}")
        c.end_group(f"[{codec}] SESSION_LIFETIME=none: no server-side limit")


def check_rotation(c: Checks, binary: str, codec: str, rng: random.Random):
    old, new, unknown = (random_secret(rng, codec) for _ in range(3))
    # SESSION_FALLBACK_KEYS is comma-separated: the old key cannot hold one.
    old = old.replace(",", "-")
    env = {"SESSION_FALLBACK_KEYS": old}
    with example_server(binary, codec, new, env=env) as (proc, port, log, problem):
        if not c.check(problem is None, problem and f"{problem}:\n{log_tail(log, new)}"):
            c.end_group(f"[{codec}] server start")
            return
        payload = {"var": compat.random_string(rng) + "x", "id": rng.randint(1, 10**6)}
        at = int(time.time()) - 600  # ten minutes ago: well within the lifetime

        # A cookie with an issue time (as the crate writes them) under the
        # old key loads, and is re-issued under the new key with the same
        # session and issue time: a rotation never extends a session.
        token = token_issued_at(codec, old, payload, at)
        status, headers, body = http_get(port, "/load", token)
        c.check(status == 200 and text(body) == payload["var"],
                f"old-key cookie: /load {status} {text(body)[:40]!r}")
        reissued = session_cookie(headers)
        c.check(reissued is not None, "old-key cookie was not re-issued")
        if reissued is not None:
            c.check(decodes(codec, new, reissued) == decodes(codec, old, token),
                    f"re-issued cookie under the new key reads {decodes(codec, new, reissued)}")
            c.check(decodes(codec, old, reissued) is None, "re-issued cookie still opens with the old key")
            c.check(issue_time(codec, new, reissued) == at,
                    f"re-issued cookie's issue time moved by "
                    f"{(issue_time(codec, new, reissued) or 0) - at} s")

        # A cookie muffin-session minted under the old key loads too. Fernet's
        # carries its time and is re-issued like the one above; jwt's carries
        # none, and is left as it is: stamped with a fresh time under the new
        # key it would outlive the old key, so it dies with it instead.
        muffin = compat.mint(codec, old, payload)
        status, headers, body = http_get(port, "/load", muffin)
        c.check(status == 200 and text(body) == payload["var"],
                f"old-key muffin-session cookie: /load {status} {text(body)[:40]!r}")
        if codec == "fernet":
            reissued = session_cookie(headers)
            c.check(reissued is not None and decodes(codec, new, reissued) == payload
                    and issue_time(codec, new, reissued) == issue_time(codec, old, muffin),
                    f"old-key muffin-session cookie re-issued as {set_cookies(headers)}")
        else:
            c.check(not set_cookies(headers),
                    f"old-key muffin-session cookie without issue time re-issued: "
                    f"{set_cookies(headers)}")

        status, headers, body = http_get(port, "/load", token_issued_at(codec, new, payload, at))
        c.check(text(body) == payload["var"] and not set_cookies(headers),
                f"new-key cookie: /load {text(body)[:40]!r}, Set-Cookie {set_cookies(headers)}")

        status, headers, body = http_get(port, "/load", compat.mint(codec, unknown, payload))
        c.check(status == 200 and text(body) == "", f"unknown-key cookie: /load {text(body)[:40]!r}")
        c.end_group(f"[{codec}] SESSION_FALLBACK_KEYS: old key read, re-issued under the new one")


def short_key(rng: random.Random) -> str:
    """20 random letters and digits: weak, and unlike any word a log holds,
    so finding it in the output means it was printed."""
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))


def check_weak_secret(c: Checks, binary: str, codec: str, rng: random.Random):
    """A key under 32 bytes stops the example unless SESSION_ALLOW_WEAK_SECRET is set."""
    weak = short_key(rng)
    cases = [
        ("SESSION_SECRET_KEY", weak, {}),
        ("SESSION_FALLBACK_KEYS", random_secret(rng, codec), {"SESSION_FALLBACK_KEYS": weak}),
    ]
    for variable, secret, env in cases:
        with example_server(binary, codec, secret, env=env) as (proc, _port, log, problem):
            log.flush()
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
            c.check(problem is not None and proc.returncode == 1,
                    f"short {variable} without the opt-in: "
                    f"{problem or 'the example started'}, status {proc.poll()}")
            for name in (variable, "SESSION_ALLOW_WEAK_SECRET"):
                c.check(name in output, f"short {variable}: the message does not name {name}:\n"
                                        f"{log_tail(log, weak)}")
            c.check(weak not in output and secret not in output,
                    f"short {variable}: the output shows a key")

        # An existing Muffin app's short secret, kept by choice: the example
        # starts (and warns), still without printing it.
        with example_server(binary, codec, secret, env={**env, **WEAK_SECRET_OPT_IN}) \
                as (proc, port, log, problem):
            c.check(problem is None, f"short {variable} with SESSION_ALLOW_WEAK_SECRET=true: "
                                     f"{problem}:\n{log_tail(log, weak)}")
            status, _, _ = http_get(port, "/update")
            c.check(status == 200, f"short {variable}, opted in: /update {status}")
            log.flush()
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
            c.check(weak not in output and secret not in output,
                    f"short {variable}, opted in: the output shows a key")
    c.end_group(f"[{codec}] a key under 32 bytes needs SESSION_ALLOW_WEAK_SECRET")


def check_host_prefix(c: Checks, binary: str, rng: random.Random):
    """With SESSION_SECURE=true (path /, no domain) and no cookie name set,
    the cookie gets the __Host- prefix (the crate's default is
    __Host-session; the example prefixes its own name, __Host-auto_session,
    by the same rule): a Muffin app sharing the cookie must use that name."""
    codec, name = "jwt", "__Host-auto_session"
    secret = random_secret(rng, codec)
    # An empty SESSION_COOKIE_NAME is no name: the example picks its own.
    env = {"SESSION_SECURE": "true", "SESSION_COOKIE_NAME": ""}
    with example_server(binary, codec, secret, env=env) as (_proc, port, log, problem):
        if not c.check(problem is None, problem and f"{problem}:\n{log_tail(log, secret)}"):
            c.end_group("SESSION_SECURE=true: server start")
            return
        status, headers, _ = http_get(port, "/update")
        cookies = [parse_set_cookie(h) for h in set_cookies(headers)]
        c.check(status == 200 and [n for n, _, _ in cookies] == [name],
                f"/update sets {[n for n, _, _ in cookies]}, expected [{name!r}]")
        for _, value, attrs in cookies:
            # What browsers require of a __Host- cookie, or they drop it.
            c.check(attrs.get("secure") is True and attrs.get("path") == "/"
                    and "domain" not in attrs, f"{name} attributes: {attrs}")
            c.check((decodes(codec, secret, value) or {}).get("var") == "value",
                    f"muffin-session reads {name} as {decodes(codec, secret, value)}")
        token = compat.mint(codec, secret, {"var": "x"})
        _, _, body = http_get(port, "/load", token, cookie_name=name)
        c.check(text(body) == "x", f"muffin-session cookie as {name}: /load {text(body)!r}")
        _, _, body = http_get(port, "/load", token, cookie_name="session")
        c.check(text(body) == "", f"muffin-session cookie as 'session': /load {text(body)!r}")
        c.end_group(f"SESSION_SECURE=true: the cookie is {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--seed", type=int, default=random.randrange(2**32))
    args = parser.parse_args()
    print(f"seed {args.seed}")
    rng = random.Random(args.seed)
    c = Checks()
    for codec in ("jwt", "fernet"):
        check_expiry(c, args.binary, codec, rng)
        check_default_lifetime(c, args.binary, codec, rng)
        check_rotation(c, args.binary, codec, rng)
        check_weak_secret(c, args.binary, codec, rng)
    check_host_prefix(c, args.binary, rng)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
