"""Live check of examples/users.rs against cookies minted by muffin-session.

Usage: python users_check.py PATH_TO_USERS_BINARY

For jwt and fernet: a Python-minted {"id": 1} is alice (admin page), {"id": 2}
is bob (403), an unknown id is anonymous (307 to /login?next=%2Fadmin), and the
cookie the example sets at POST /login (user=alice) is read by Python as {"id": 1}
(plus the issue time `_iat` for jwt). The first read of Python's jwt login
stamps it with `_iat` once (see crosscheck.py); the stamped cookie is still
alice, for the example and for Python.
Prints 'N passed, M failed'; exits 1 on any failure.
"""

import os
import random
import sys
import time

import compat
from crosscheck import (Checks, check_session_cookie, example_server, http_get, log_tail,
                        random_secret, set_cookies, text)


def run(c: Checks, binary: str, codec: str, rng: random.Random):
    secret = random_secret(rng, codec)
    with example_server(binary, codec, secret) as (_proc, port, log, problem):
        if not c.check(problem is None, f"{problem}:\n{log_tail(log, secret)}"):
            c.end_group(f"[{codec}] server start")
            return
        status, headers, _ = http_get(port, "/admin")
        c.check(status == 307, f"anonymous /admin: {status}")
        c.check(headers and headers.get("location") == "/login?next=%2Fadmin",
                f"anonymous location: {headers and headers.get('location')}")

        alice = compat.mint(codec, secret, {"id": 1})
        since = int(time.time())
        status, headers, body = http_get(port, "/admin", alice)
        c.check(status == 200 and "alice" in text(body), f"alice /admin: {status}")
        if codec == "fernet":  # a Fernet token carries its own issue time
            c.check(not set_cookies(headers), f"alice /admin set {set_cookies(headers)}")
        else:  # stamped once with `_iat`, still alice for Python
            alice = check_session_cookie(c, codec, secret, headers, {"id": 1}, since,
                                         "alice /admin stamp") or alice
        status, headers, body = http_get(port, "/", alice)
        c.check("alice" in text(body), f"alice /: {text(body)!r}")
        c.check(not set_cookies(headers), f"alice / again set {set_cookies(headers)}")

        bob = compat.mint(codec, secret, {"id": 2})
        status, _, _ = http_get(port, "/admin", bob)
        c.check(status == 403, f"bob /admin: {status}")

        nobody = compat.mint(codec, secret, {"id": 99})
        status, _, _ = http_get(port, "/admin", nobody)
        c.check(status == 307, f"unknown id /admin: {status}")

        since = int(time.time())
        status, headers, _ = http_get(port, "/login", form={"user": "alice", "next": "/admin"})
        c.check(status == 303 and headers.get("location") == "/admin",
                f"login redirect: {status} {headers and headers.get('location')}")
        # Python reads the login cookie as {"id": 1} (plus `_iat` for jwt).
        check_session_cookie(c, codec, secret, headers, {"id": 1}, since, "login cookie")

        status, headers, _ = http_get(port, "/login",
                                      form={"user": "alice", "next": "//evil.example"})
        c.check(headers and headers.get("location") == "/", "unsafe next is replaced by /")
        c.end_group(f"[{codec}] users example")


def main() -> int:
    if len(sys.argv) != 2 or not os.path.exists(sys.argv[1]):
        print("usage: python users_check.py PATH_TO_USERS_BINARY (built first)")
        print("0 passed, 1 failed")
        return 1
    c = Checks()
    rng = random.Random()
    for codec in ("jwt", "fernet"):
        run(c, sys.argv[1], codec, rng)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
