"""Live migration check: one login shared by a Muffin app and the crate's demo.

Usage: python migration_check.py PATH_TO_DEMO_BINARY [--seed N]

For session types jwt and fernet, muffin_app.py (muffin + muffin-session 2.6.0
under uvicorn) and the crate's demo (a fresh SQLite database in a
temporary folder) run side by side with the same SESSION_SECRET_KEY,
SESSION_SESSION_TYPE and a non-default SESSION_COOKIE_NAME, and:

- a user logged in by the Muffin app is the demo's current user: `GET /` names
  them, `/admin` is 200 for alice and 403 for bob; after the Muffin app's
  logout the demo sees nobody; the demo stamps an auth digest into Muffin's
  login on its first load and the Muffin app still reads the stamped cookie;
- a user logged in by the demo (`POST /login` with a password) passes the
  Muffin app's `user_pass` routes (`/private`; `/admin` for alice only); a
  wrong password logs nobody in; after the demo's logout Muffin sees nobody;
- no cookie, a tampered cookie, one made with another secret, a forged base64
  `{"id": 1}` and a good cookie under another name log nobody in, in either app;
- a POST another site sends to the demo (`Origin` not this host, or
  `Sec-Fetch-Site: cross-site` / `same-site`) is a 403 that sets no cookie and
  changes nothing (login, logout, clear, password), while the same POST from
  the demo's own pages, or from a script that sends neither header, passes.

Each session type runs with a strong shared secret, then with a short one as
the Muffin app may have, which the demo accepts only with
SESSION_ALLOW_WEAK_SECRET=true. When the demo stamps Muffin's login it also
gives it an issue time (`_iat` for jwt), which the Muffin app reads as one
more key.

Prints one line per group and 'N passed, M failed'; exits 1 on any failure.
Secrets are random and never printed (the seed reproduces them).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import tempfile
import time

import compat
from crosscheck import (IAT, WEAK_SECRET_OPT_IN, Checks, example_server, http_get, issue_time,
                        log_tail, parse_set_cookie, random_secret, set_cookies, text)

HERE = os.path.dirname(os.path.abspath(__file__))
MUFFIN_APP = os.path.join(HERE, "muffin_app.py")
COOKIE_NAME = "app_session"  # not the default: both apps must read it from SESSION_COOKIE_NAME
PASSWORDS = {"alice": "wonderland", "bob": "builder"}  # the demo's seeded users
IDS = {"alice": 1, "bob": 2}


def new_cookie(headers) -> str | None:
    """The value the response sets for COOKIE_NAME; None when it sets none or removes it."""
    for header in set_cookies(headers):
        name, value, attrs = parse_set_cookie(header)
        if name == COOKIE_NAME:
            removed = not value or str(attrs.get("max-age")) == "0"
            return None if removed else value
    return None


def is_login_redirect(status, headers) -> bool:
    location = headers.get("location", "") if headers is not None else ""
    return status in (302, 303, 307) and location.startswith("/login")


def tampered(token: str) -> str:
    """One base64url character changed well inside the signature / MAC."""
    i = len(token.rstrip("=")) - 10
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


class Apps:
    """The two running servers and the shared settings."""

    def __init__(self, codec: str, secret: str, muffin_port: int, demo_port: int):
        self.codec, self.secret = codec, secret
        self.muffin, self.demo = muffin_port, demo_port

    def get(self, port: int, path: str, cookie: str | None = None, **kwargs):
        """http_get with the shared cookie name."""
        return http_get(port, path, cookie, cookie_name=COOKIE_NAME, **kwargs)

    def muffin_login(self, name: str):
        """GET /login on the Muffin app: (status, location, cookie)."""
        status, headers, _ = self.get(self.muffin, f"/login?user={name}&next=/private")
        return status, headers and headers.get("location"), new_cookie(headers)

    def demo_login(self, name: str, password: str):
        """POST /login on the demo: (status, location, cookie)."""
        form = {"username": name, "password": password, "next": "/session"}
        status, headers, _ = self.get(self.demo, "/login", form=form)
        return status, headers and headers.get("location"), new_cookie(headers)


def check_muffin_to_demo(c: Checks, a: Apps):
    """Logged in by muffin-session, a user of the demo."""
    for name in ("alice", "bob"):
        status, location, cookie = a.muffin_login(name)
        c.check(status == 303 and location == "/private",
                f"Muffin login {name}: {status} to {location!r}")
        if not c.check(cookie is not None, f"Muffin login {name}: no {COOKIE_NAME} cookie"):
            continue
        c.check(compat.decode(a.codec, a.secret, cookie) == {"id": IDS[name]},
                f"Muffin login {name}: the cookie is not {{'id': {IDS[name]}}}")

        status, _, body = a.get(a.demo, "/", cookie)
        c.check(status == 200 and f"Logged in as {name}" in text(body),
                f"demo / with Muffin's {name} cookie: {status} {text(body)[:200]!r}")
        status, _, body = a.get(a.demo, "/session", cookie)
        try:
            seen = json.loads(body).get("id") if status == 200 else None
        except (ValueError, AttributeError):
            seen = None
        c.check(seen == IDS[name], f"demo /session with Muffin's {name} cookie: {status} "
                                   f"{text(body)[:200]!r}")
        status, headers, body = a.get(a.demo, "/admin", cookie)
        expected = 200 if name == "alice" else 403
        c.check(status == expected, f"demo /admin with Muffin's {name} cookie: {status}, "
                                    f"expected {expected} ({text(body)[:100]!r})")
        # Muffin's login carries no auth digest: the demo stamps one on the first user
        # load (the crate's default for migration), keeping the id, and for jwt an
        # issue time (`_iat`), which Fernet keeps in the token. The stamped cookie is
        # still Muffin's user, and the demo does not re-issue it again.
        stamped = new_cookie(headers)
        if c.check(stamped is not None, f"demo /admin did not stamp Muffin's {name} cookie"):
            payload = compat.decode(a.codec, a.secret, stamped)
            c.check(payload.get("id") == IDS[name] and isinstance(payload.get("_auth"), str),
                    f"demo's stamped {name} cookie holds keys {sorted(payload)}")
            issued = issue_time(a.codec, a.secret, stamped)
            c.check(issued is not None and abs(issued - time.time()) < 60
                    and (IAT in payload) == (a.codec != "fernet"),
                    f"demo's stamped {name} cookie: issue time {issued!r}, keys {sorted(payload)}")
            status, _, body = a.get(a.muffin, "/private", stamped)
            c.check(status == 200 and name in text(body),
                    f"Muffin /private with the demo-stamped {name} cookie: {status}")
            status, headers, _ = a.get(a.demo, "/admin", stamped)
            c.check(status == expected and not set_cookies(headers),
                    f"demo /admin with its stamped {name} cookie: {status}, "
                    f"re-issued {bool(set_cookies(headers))}")

        status, headers, _ = a.get(a.muffin, "/logout", cookie)
        after = new_cookie(headers)
        c.check(status == 303 and after is not None, f"Muffin logout {name}: {status}")
        status, _, body = a.get(a.demo, "/", after)
        c.check(status == 200 and "Not logged in." in text(body),
                f"demo / after Muffin's logout: {status} {text(body)[:200]!r}")
        status, headers, _ = a.get(a.demo, "/admin", after)
        c.check(is_login_redirect(status, headers),
                f"demo /admin after Muffin's logout: {status}")


def check_demo_to_muffin(c: Checks, a: Apps):
    """Logged in by the demo, passes muffin-session's user_pass."""
    for name in ("alice", "bob"):
        status, location, cookie = a.demo_login(name, PASSWORDS[name])
        c.check(status in (302, 303) and location == "/session",
                f"demo login {name}: {status} to {location!r}")
        if not c.check(cookie is not None, f"demo login {name}: no {COOKIE_NAME} cookie"):
            continue
        decoded = compat.decode(a.codec, a.secret, cookie)
        c.check(decoded.get("id") == IDS[name],
                f"demo login {name}: muffin-session reads id {decoded.get('id')!r}")

        status, _, body = a.get(a.muffin, "/", cookie)
        c.check(text(body) == f"Logged in as {name}.",
                f"Muffin / with the demo's {name} cookie: {status} {text(body)[:200]!r}")
        status, _, body = a.get(a.muffin, "/private", cookie)
        c.check(status == 200 and name in text(body),
                f"Muffin /private (user_pass) with the demo's {name} cookie: {status}")
        status, headers, _ = a.get(a.muffin, "/admin", cookie)
        if name == "alice":
            c.check(status == 200, f"Muffin /admin with the demo's alice cookie: {status}")
        else:
            c.check(is_login_redirect(status, headers),
                    f"Muffin /admin with the demo's bob cookie: {status}")

        status, headers, _ = a.get(a.demo, "/logout", cookie, form={})
        c.check(status in (302, 303), f"demo POST /logout {name}: {status}")
        after = new_cookie(headers) if set_cookies(headers) else cookie
        status, headers, _ = a.get(a.muffin, "/private", after)
        c.check(is_login_redirect(status, headers),
                f"Muffin /private after the demo's logout: {status}")

    status, _, cookie = a.demo_login("alice", "not-" + PASSWORDS["alice"])
    c.check(status == 401, f"demo login with a wrong password: {status}")
    if cookie is not None:
        status, headers, _ = a.get(a.muffin, "/private", cookie)
        c.check(is_login_redirect(status, headers),
                f"Muffin /private after a wrong password: {status}")


def check_cross_site(c: Checks, a: Apps):
    """SessionLayer refuses a state-changing request another site sends: 403,
    no cookie, nothing changed. The same POST passes from the demo's own
    pages (its Origin, Sec-Fetch-Site: same-origin) and from scripts, which
    send neither header."""
    own = f"http://127.0.0.1:{a.demo}"  # the Origin the demo's own pages send
    form = {"username": "alice", "password": PASSWORDS["alice"], "next": "/session"}
    refused = [
        ("Origin: https://evil.example", {"Origin": "https://evil.example"}),
        ("Sec-Fetch-Site: cross-site", {"Sec-Fetch-Site": "cross-site"}),
        # a sibling subdomain is another site to the session, too
        ("Sec-Fetch-Site: same-site", {"Sec-Fetch-Site": "same-site"}),
        # browsers send it from sandboxed frames and some redirects
        ("Origin: null", {"Origin": "null"}),
        ("the same host on another port", {"Origin": "http://127.0.0.1:1"}),
        # Sec-Fetch-Site is the browser's own verdict, so it wins over Origin
        ("Sec-Fetch-Site: cross-site with the demo's Origin",
         {"Sec-Fetch-Site": "cross-site", "Origin": own}),
    ]
    for label, headers in refused:
        status, answer, _ = a.get(a.demo, "/login", form=form, headers=headers)
        c.check(status == 403 and not set_cookies(answer),
                f"cross-site POST /login ({label}): {status}, Set-Cookie {set_cookies(answer)}")

    allowed = [
        ("no Origin or Sec-Fetch-Site", {}),
        ("the demo's Origin", {"Origin": own}),
        ("Sec-Fetch-Site: same-origin", {"Sec-Fetch-Site": "same-origin", "Origin": own}),
    ]
    for label, headers in allowed:
        status, answer, _ = a.get(a.demo, "/login", form=form, headers=headers)
        cookie = new_cookie(answer)
        c.check(status in (302, 303) and cookie is not None
                and compat.decode(a.codec, a.secret, cookie).get("id") == IDS["alice"],
                f"POST /login ({label}): {status}, Set-Cookie {set_cookies(answer)}")

    # Logged in, alice meets another site's forms: logout, clear, and a
    # password change that would lock her out. None of them happens.
    _, _, cookie = a.demo_login("alice", PASSWORDS["alice"])
    if not c.check(cookie is not None, "demo login alice: no cookie"):
        return
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    new_password = {"current_password": PASSWORDS["alice"],
                    "new_password": "not-" + PASSWORDS["alice"]}
    for path, fields in (("/logout", {}), ("/clear", {}), ("/password", new_password)):
        status, answer, _ = a.get(a.demo, path, cookie, form=fields, headers=evil)
        c.check(status == 403 and not set_cookies(answer),
                f"cross-site POST {path} as alice: {status}, Set-Cookie {set_cookies(answer)}")
    status, _, body = a.get(a.demo, "/", cookie)
    c.check(status == 200 and "Logged in as alice" in text(body),
            f"demo / after the cross-site POSTs: {status} {text(body)[:200]!r}")
    status, _, _ = a.demo_login("alice", PASSWORDS["alice"])
    c.check(status in (302, 303), f"alice's password after a cross-site change: login {status}")
    # A link from another site is a GET: it reads the session as usual.
    status, _, body = a.get(a.demo, "/", cookie, headers=evil)
    c.check(status == 200 and "Logged in as alice" in text(body),
            f"cross-site GET / as alice: {status} {text(body)[:200]!r}")
    # The same logout from a script passes.
    status, answer, _ = a.get(a.demo, "/logout", cookie, form={})
    c.check(status in (302, 303) and bool(set_cookies(answer)),
            f"POST /logout as alice without those headers: {status}")


def bad_cookies(a: Apps, rng: random.Random):
    """(label, cookie value sent under COOKIE_NAME or None) that log nobody in."""
    _, _, muffin_alice = a.muffin_login("alice")
    _, _, demo_alice = a.demo_login("alice", PASSWORDS["alice"])
    other = ("A" if a.secret[0] != "A" else "B") + a.secret[1:]
    yield "no cookie", None
    if muffin_alice:
        yield "tampered Muffin cookie", tampered(muffin_alice)
    if demo_alice:
        yield "tampered demo cookie", tampered(demo_alice)
    yield "alice's cookie made with another secret", compat.mint(a.codec, other, {"id": 1})
    yield "forged base64 {\"id\": 1}", base64.urlsafe_b64encode(b'{"id": 1}').decode()
    yield "random bytes", base64.urlsafe_b64encode(rng.randbytes(48)).decode()


def check_rejected(c: Checks, a: Apps, rng: random.Random):
    """Cookies that log nobody in, in either app."""
    for label, cookie in bad_cookies(a, rng):
        status, headers, _ = a.get(a.muffin, "/private", cookie)
        c.check(is_login_redirect(status, headers), f"Muffin /private, {label}: {status}")
        status, _, body = a.get(a.demo, "/", cookie)
        c.check(status == 200 and "Not logged in." in text(body),
                f"demo /, {label}: {status} {text(body)[:200]!r}")
        status, headers, _ = a.get(a.demo, "/admin", cookie)
        c.check(is_login_redirect(status, headers)
                and headers.get("location") == "/login?next=%2Fadmin",
                f"demo /admin, {label}: {status} {headers and headers.get('location')!r}")

    # A good cookie under the default name is not the configured cookie.
    good = compat.mint(a.codec, a.secret, {"id": 1})
    status, headers, _ = http_get(a.muffin, "/private", good, cookie_name="session")
    c.check(is_login_redirect(status, headers), f"Muffin /private, cookie 'session': {status}")
    status, _, body = http_get(a.demo, "/", good, cookie_name="session")
    c.check("Not logged in." in text(body), f"demo /, cookie 'session': {text(body)[:200]!r}")


def run(c: Checks, demo: str, codec: str, weak: bool, rng: random.Random):
    secret = random_secret(rng, codec, weak=weak)
    name = f"{codec}, short secret" if weak else codec
    shared = {"SESSION_COOKIE_NAME": COOKIE_NAME}
    # Only the demo needs the opt-in: muffin-session takes any secret.
    demo_env = {**shared, **(WEAK_SECRET_OPT_IN if weak else {})}
    with tempfile.TemporaryDirectory() as tmp, \
            example_server(sys.executable, codec, secret, args=(MUFFIN_APP,),
                           env=shared) as (m_proc, m_port, m_log, m_problem), \
            example_server(demo, codec, secret,
                           env={**demo_env, "DATABASE_URL": os.path.join(tmp, "demo.db")}) \
            as (d_proc, d_port, d_log, d_problem):
        c.check(m_problem is None, f"Muffin app: {m_problem}:\n{log_tail(m_log, secret)}")
        c.check(d_problem is None, f"demo: {d_problem}:\n{log_tail(d_log, secret)}")
        c.end_group(f"[{name}] both servers start")
        if m_problem or d_problem:
            return
        apps = Apps(codec, secret, m_port, d_port)

        check_muffin_to_demo(c, apps)
        c.end_group(f"[{name}] logged in by the Muffin app, a user of the demo")
        check_demo_to_muffin(c, apps)
        c.end_group(f"[{name}] logged in by the demo, passes the Muffin app's user_pass")
        check_rejected(c, apps, rng)
        c.end_group(f"[{name}] bad or missing cookies log nobody in, in either app")
        check_cross_site(c, apps)
        c.end_group(f"[{name}] the demo refuses POSTs from other sites")

        for label, proc, log in (("Muffin app", m_proc, m_log), ("demo", d_proc, d_log)):
            alive = proc.poll() is None
            c.check(alive, alive or f"{label} exited with code {proc.returncode}:\n"
                                    f"{log_tail(log, secret)}")
        c.end_group(f"[{name}] both servers still running")


# (session type, short secret): a strong shared secret, then a short one as an
# existing Muffin app may have.
RUNS = [("jwt", False), ("fernet", False), ("jwt", True), ("fernet", True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="path to the built `demo` example")
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(2**32))
    args = parser.parse_args()

    binary = os.path.abspath(args.binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"error: {args.binary} is not an executable file; "
              "build the crate's `demo` example first", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1

    print(f"seed: {args.seed}")
    rng = random.Random(args.seed)
    c = Checks()
    for codec, weak in RUNS:
        run(c, binary, codec, weak, rng)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
