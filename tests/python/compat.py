"""Helpers shared by make_vectors.py and crosscheck.py.

Everything that touches cookies goes through the real muffin-session Plugin, so
the tokens are exactly what a muffin application would produce or accept.
"""

from __future__ import annotations

import math
import random
import struct
import warnings

import muffin
import muffin_session

CODECS = ("base64", "jwt", "fernet")

# PyJWT warns about HMAC keys shorter than 32 bytes; short keys are deliberate here.
warnings.filterwarnings("ignore", message=".*HMAC key.*")

_PLUGINS: dict[tuple[str, str], muffin_session.Plugin] = {}


def plugin(codec: str, secret: str) -> muffin_session.Plugin:
    """A real muffin_session.Plugin (one muffin app per codec/secret pair)."""
    key = (codec, secret)
    if key not in _PLUGINS:
        # LOG_LEVEL: muffin warns when the default "InsecureSecret" is used.
        app = muffin.Application(LOG_LEVEL="ERROR")
        _PLUGINS[key] = muffin_session.Plugin(app, secret_key=secret, session_type=codec)
    return _PLUGINS[key]


def mint(codec: str, secret: str, payload: dict) -> str:
    """Encode `payload` exactly as muffin-session would put it in the cookie."""
    session = plugin(codec, secret).create_from_token(None)
    session.update(payload)
    return session.encode()


def decode(codec: str, secret: str, token: str) -> dict:
    """Decode a cookie value with muffin-session ({} when it rejects it)."""
    return dict(plugin(codec, secret).create_from_token(token))


# --------------------------------------------------------------------------
# Seeded random payloads
# --------------------------------------------------------------------------

# Claims PyJWT validates on decode (exp/nbf/iat must be numbers in range, aud
# requires an audience argument, iss/sub/jti must be strings...). muffin-session
# would choke on these, so random top-level keys avoid them.
JWT_RESERVED = {"exp", "nbf", "iat", "aud", "iss", "sub", "jti"}

STRING_PIECES = [
    "a", "Z", "0", " ", "value", "é", "ü", "ß", "Å", "e\u0301", "n\u0303\u0323",
    "漢字", "日本語", "한국어", "😀", "👍🏽", "👨\u200d👩\u200d👧", "🏳️\u200d🌈",
    "שלום", "مرحبا", "\u202eRTL", '"', "'", "\\", "\\u0041", "\n", "\t", "\r",
    "\x00", "\x1f", "\x7f", "\u2028", "\u2029", "\ufeff", "\uffff", "\U0010ffff",
    "</script>", "=", ";", ",", "%20", "+/", "{}", "[]",
]

INT_EDGES = [0, 1, -1, 2**31 - 1, -(2**31), 2**32, 2**53 - 1, 2**53, 2**53 + 1,
             -(2**53), -(2**53) - 1, 2**63 - 1, -(2**63)]

FLOAT_EDGES = [0.0, -0.0, 0.1, -2.5, 1.0, 1e-7, 1.5e300, -1.5e-300, 1e16,
               0.30000000000000004, 5e-324, 2.2250738585072014e-308,
               1.7976931348623157e308, 123456789.125, 9007199254740993.0]


def random_string(rng: random.Random, max_pieces: int = 8) -> str:
    out = []
    for _ in range(rng.randint(0, max_pieces)):
        if rng.random() < 0.7:
            out.append(rng.choice(STRING_PIECES))
        else:  # any Unicode scalar value (no surrogates: not valid in UTF-8)
            cp = rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0xD7FF),
                             rng.randint(0xE000, 0xFFFD), rng.randint(0x10000, 0x10FFFF)])
            out.append(chr(cp))
    return "".join(out)


def random_int(rng: random.Random) -> int:
    return rng.choice([
        lambda: rng.choice(INT_EDGES),
        lambda: rng.randint(-1000, 1000),
        lambda: rng.randint(-(2**53), 2**53),
        lambda: rng.randint(-(2**63), 2**63 - 1),
    ])()


def random_float(rng: random.Random) -> float:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(FLOAT_EDGES)
    if kind == 1:
        return rng.uniform(-1e6, 1e6)
    if kind == 2:
        return float(rng.randint(-(2**60), 2**60))
    while True:  # arbitrary bit patterns: stresses shortest-repr round trips
        (value,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(value):
            return value


def random_value(rng: random.Random, depth: int = 1, max_depth: int = 3):
    """A JSON value at container-nesting level `depth` (containers while < max_depth)."""
    kinds = ["str", "int", "float", "bool", "null"]
    if depth < max_depth:
        kinds += ["list", "dict"] * 2
    kind = rng.choice(kinds)
    if kind == "str":
        return random_string(rng)
    if kind == "int":
        return random_int(rng)
    if kind == "float":
        return random_float(rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1, max_depth) for _ in range(rng.randint(0, 4))]
    return {random_string(rng, 3): random_value(rng, depth + 1, max_depth)
            for _ in range(rng.randint(0, 4))}


def random_payload(rng: random.Random) -> dict:
    """A random session: the top-level object plus up to two more nested containers."""
    payload = {}
    for _ in range(rng.randint(0, 6)):
        key = random_string(rng, 3)
        if key not in JWT_RESERVED:
            payload[key] = random_value(rng, 1)
    return payload


# --------------------------------------------------------------------------
# Strict comparison (True != 1, 1 != 1.0, 0.0 != -0.0, floats bit-exact)
# --------------------------------------------------------------------------

def short(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def strict_diff(expected, actual, path: str = "$") -> str | None:
    """None when equal, else a description of the first difference."""
    if type(expected) is not type(actual):
        return f"{path}: expected {type(expected).__name__} {short(expected)}, " \
               f"got {type(actual).__name__} {short(actual)}"
    if isinstance(expected, float):
        if struct.pack("<d", expected) != struct.pack("<d", actual):
            return f"{path}: expected float {expected!r}, got {actual!r}"
        return None
    if isinstance(expected, dict):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing:
            return f"{path}: missing keys {short(missing)}"
        if extra:
            return f"{path}: unexpected keys {short(extra)}"
        for k in expected:
            diff = strict_diff(expected[k], actual[k], f"{path}[{k!r}]")
            if diff:
                return diff
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            diff = strict_diff(e, a, f"{path}[{i}]")
            if diff:
                return diff
        return None
    if expected != actual:
        return f"{path}: expected {short(expected)}, got {short(actual)}"
    return None
