"""Live check of expiry and key rotation in the crate's `auto` example, with
cookies minted by the real muffin-session / PyJWT / cryptography packages.

Usage: python hardening_check.py PATH_TO_AUTO_BINARY [--seed N]

For `jwt` and `fernet`, the binary is configured only through SESSION_* and ADDR:
- SESSION_MAX_AGE: a cookie older than the max-age loads as an empty session
  (Python-minted old tokens, and the server's own cookie after waiting past it);
  fresh ones load; tokens from the future are refused; the server's JWT stays
  readable by muffin-session.
- SESSION_FALLBACK_KEYS: a cookie minted with the old key loads, and the reply
  re-issues it under the new key only; a cookie minted with an unknown key does not.
Secrets are random and never printed (the seed reproduces them).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import jwt
from cryptography.fernet import Fernet

import compat
from crosscheck import (COOKIE, Checks, example_server, http_get, log_tail,
                        parse_set_cookie, random_secret, set_cookies, text)

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


def session_cookie(headers) -> str | None:
    ours = [h for h in set_cookies(headers) if parse_set_cookie(h)[0] == COOKIE]
    return parse_set_cookie(ours[0])[1] if len(ours) == 1 else None


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
        c.check(decoded is None or not {"exp", "iat", "nbf"} & decoded.keys(),
                f"the cookie carries registered time claims: {sorted(decoded or {})}")
        status, _, body = http_get(port, "/load", token)
        c.check(text(body) == "value", f"fresh cookie: /load {text(body)!r}")
        time.sleep(MAX_AGE + 1.2)
        status, _, body = http_get(port, "/load", token)
        c.check(status == 200 and text(body) == "",
                f"cookie older than the max-age: /load {status} {text(body)!r}")
        alive = proc.poll() is None
        c.check(alive, alive or f"exited with {proc.returncode}:\n{log_tail(log, secret)}")
        c.end_group(f"[{codec}] the server's own cookie expires after {MAX_AGE} s")


def check_rotation(c: Checks, binary: str, codec: str, rng: random.Random):
    old, new, unknown = (random_secret(rng, codec) for _ in range(3))
    # SESSION_FALLBACK_KEYS is comma-separated (and each key trimmed).
    old = old.replace(",", "-").strip() or "old"
    env = {"SESSION_FALLBACK_KEYS": old}
    with example_server(binary, codec, new, env=env) as (proc, port, log, problem):
        if not c.check(problem is None, problem and f"{problem}:\n{log_tail(log, new)}"):
            c.end_group(f"[{codec}] server start")
            return
        payload = {"var": compat.random_string(rng) + "x", "id": rng.randint(1, 10**6)}

        status, headers, body = http_get(port, "/load", compat.mint(codec, old, payload))
        c.check(status == 200 and text(body) == payload["var"],
                f"old-key cookie: /load {status} {text(body)[:40]!r}")
        reissued = session_cookie(headers)
        c.check(reissued is not None, "old-key cookie was not re-issued")
        if reissued is not None:
            c.check(decodes(codec, new, reissued) == payload,
                    f"re-issued cookie under the new key reads {decodes(codec, new, reissued)}")
            c.check(decodes(codec, old, reissued) is None, "re-issued cookie still opens with the old key")

        status, headers, body = http_get(port, "/load", compat.mint(codec, new, payload))
        c.check(text(body) == payload["var"] and session_cookie(headers) is None,
                f"new-key cookie: /load {text(body)[:40]!r}, Set-Cookie {set_cookies(headers)}")

        status, headers, body = http_get(port, "/load", compat.mint(codec, unknown, payload))
        c.check(status == 200 and text(body) == "", f"unknown-key cookie: /load {text(body)[:40]!r}")
        c.end_group(f"[{codec}] SESSION_FALLBACK_KEYS: old key read, re-issued under the new one")


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
        check_rotation(c, args.binary, codec, rng)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
