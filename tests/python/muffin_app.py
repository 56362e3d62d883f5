"""A small Muffin app with muffin-session 2.6.0 logins, for migration_check.py.

It stands for the Python service that is being moved to the crate: configured
by the same SESSION_* variables as the crate's examples, it shares its login
cookie with them, so a user logged in here is logged in there and back.

Run (uvicorn on ADDR, default 127.0.0.1:8000):

    SESSION_SESSION_TYPE=jwt SESSION_SECRET_KEY=change-me python tests/python/muffin_app.py

Variables: SESSION_SECRET_KEY (required), SESSION_SESSION_TYPE (jwt, fernet or
base64; default jwt), SESSION_COOKIE_NAME (default session), ADDR.

Routes, with users alice (id 1, admin) and bob (id 2), as in the crate's demo:
    GET /                           "Logged in as alice." or "Not logged in."
    GET /login?user=NAME&next=PATH  muffin_session.Plugin.login, then 303 to PATH
    GET /logout                     muffin_session.Plugin.logout, then 303 to /
    GET /session                    the session as JSON
    GET /private                    user_pass(): any logged-in user, else 307 to /login
    GET /admin                      user_pass(is admin), else 307 to /login
"""

from __future__ import annotations

import os

import muffin
import muffin_session
from muffin import ResponseError, ResponseJSON, ResponseRedirect

USERS = {
    1: {"id": 1, "name": "alice", "is_admin": True},
    2: {"id": 2, "name": "bob", "is_admin": False},
}

# LOG_LEVEL: muffin's own logger; errors still reach the server's output.
app = muffin.Application(LOG_LEVEL="ERROR")
session = muffin_session.Plugin(
    app,
    secret_key=os.environ["SESSION_SECRET_KEY"],
    session_type=os.environ.get("SESSION_SESSION_TYPE", "jwt"),
    cookie_name=os.environ.get("SESSION_COOKIE_NAME", "session"),
)


@session.user_loader
async def load_user(ident):
    """The session's "id" is the user's integer id (True is not 1 here)."""
    return USERS.get(ident) if type(ident) is int else None


def safe_next(path: str | None) -> str:
    """Only a path on this site: not //host, /\\host or a scheme."""
    if not path or not path.startswith("/") or path[1:2] in ("/", "\\"):
        return "/"
    return path


@app.route("/")
async def home(request):
    user = await session.load_user(request)
    return f"Logged in as {user['name']}." if user else "Not logged in."


@app.route("/login")
async def login(request):
    name = request.query.get("user")
    if name is None:
        return "Log in with /login?user=alice (admin) or /login?user=bob."
    user = next((u for u in USERS.values() if u["name"] == name), None)
    if user is None:
        raise ResponseError.UNAUTHORIZED("Unknown user.")
    response = ResponseRedirect(safe_next(request.query.get("next")), status_code=303)
    return session.login(request, user["id"], response=response)


@app.route("/logout")
async def logout(request):
    return session.logout(request, response=ResponseRedirect("/", status_code=303))


@app.route("/session")
async def show_session(request):
    return ResponseJSON(dict(session.load_from_request(request)))


@app.route("/private")
@session.user_pass()
async def private(request):
    user = await session.load_user(request)
    return f"Private page. Welcome, {user['name']}."


@app.route("/admin")
@session.user_pass(lambda user: bool(user and user["is_admin"]))
async def admin(request):
    user = await session.load_user(request)
    return f"Top secret admin page. Welcome, {user['name']}."


if __name__ == "__main__":
    import uvicorn

    host, _, port = os.environ.get("ADDR", "127.0.0.1:8000").rpartition(":")
    uvicorn.run(app, host=host, port=int(port), log_level="warning", lifespan="on")
