"""Live check of examples/users.rs against cookies minted by muffin-session.

Usage: python users_check.py PATH_TO_USERS_BINARY

For jwt and fernet: a Python-minted {"id": 1} is alice (admin page), {"id": 2}
is bob (403), an unknown id is anonymous (307 to /login?next=%2Fadmin), and the
cookie the example sets at /login?user=alice is read by Python as {"id": 1}.
Prints 'N passed, M failed'; exits 1 on any failure.
"""

import os
import random
import sys

import compat
from crosscheck import (Checks, example_server, http_get, log_tail, random_secret, set_cookies,
                        text)


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
        status, _, body = http_get(port, "/admin", alice)
        c.check(status == 200 and "alice" in text(body), f"alice /admin: {status}")
        status, _, body = http_get(port, "/", alice)
        c.check("alice" in text(body), f"alice /: {text(body)!r}")

        bob = compat.mint(codec, secret, {"id": 2})
        status, _, _ = http_get(port, "/admin", bob)
        c.check(status == 403, f"bob /admin: {status}")

        nobody = compat.mint(codec, secret, {"id": 99})
        status, _, _ = http_get(port, "/admin", nobody)
        c.check(status == 307, f"unknown id /admin: {status}")

        status, headers, _ = http_get(port, "/login?user=alice&next=/admin")
        c.check(status == 303 and headers.get("location") == "/admin",
                f"login redirect: {status} {headers and headers.get('location')}")
        cookies = set_cookies(headers) if headers else []
        token = cookies[0].split(";")[0].split("=", 1)[1] if cookies else ""
        c.check(compat.decode(codec, secret, token) == {"id": 1}, "Python reads the login cookie")

        status, headers, _ = http_get(port, "/login?user=alice&next=//evil.example")
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
