r"""Write golden cookie vectors produced by the real muffin-session 2.6.0.

Usage: python make_vectors.py OUT.json [--seed N]

Each vector is {"codec", "secret", "payload", "token"}: `token` is what
muffin-session puts in the `session` cookie for `payload`. base64 and jwt tokens
are deterministic; fernet tokens carry a random IV and a timestamp, so they
differ on every run and can only be checked by decoding.

The `python_only` group (not seeded: the same cases on every run) holds
sessions with values that strict JSON has no text for, or that serde_json
cannot hold: lone surrogates, NaN and the infinities, integers beyond 64 bits,
plus -0.0, "\u0000" and a non-BMP character. Their JSON cannot be written as a
`payload` (the file is strict JSON), so each vector records the JSON text
muffin-session wrote instead:

    {"codec", "secret", "case", "token",
     "json":    the exact JSON text inside `token` (the claims, the base64
                text or the Fernet plaintext), as muffin-session encoded it,
     "entries": [{"key", "text", "python_only", "value"}]: one per top-level
                key, in order; `text` is that entry's exact text in `json`
                ("{" + ",".join(texts) + "}" == json). `python_only` is true when
                serde_json cannot load the value (a lone surrogate, NaN,
                Infinity, an integer outside i64/u64); otherwise `value` is
                the value as JSON,
     "round_trips": whether muffin-session decodes `token` back to the
                session it was given}

Which text muffin-session writes depends on the codec: jwt claims are encoded
by PyJWT with Python's json.dumps (ASCII-only: a lone surrogate is written as
the escape \ud800, NaN as NaN, 2**70 in full, a non-BMP character as a
surrogate-pair escape). base64 and fernet are encoded by asgi-tools with
orjson (a hard dependency of muffin): it writes NaN and the infinities as
null (lossy: round_trips is false) and refuses lone surrogates and integers
beyond 64 bits with a TypeError, so a muffin app cannot mint those sessions at
all. Each refused (codec, case) is listed in `python_only_refused` with the
error muffin-session raised.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import sys

import asgi_sessions
import jwt

import compat

# base64 ignores the secret; recorded anyway so every vector has the same shape.
SECRETS = {
    "base64": ["InsecureSecret"],
    "jwt": [
        "InsecureSecret",                       # short (muffin's default)
        "0123456789abcdef0123456789abcdef",     # exactly 32 chars
        "k" * 20 + "-long-secret-" + "x" * 31,  # 64 chars
        "sécret-ключ-🔑",                       # non-ASCII: HMAC key is its UTF-8
    ],
    # Python only accepts ASCII secrets of 32 chars or fewer for fernet.
    "fernet": [
        "s",                                    # 1 char
        "sixteen-chars-ok",                     # 16 chars
        "thirty-one-characters-secret-ok",      # 31 chars
        "0123456789abcdef0123456789abcdef",     # exactly 32 chars
    ],
}

FIXED_PAYLOADS = [
    {},
    {"var": "value"},
    {"id": 1},
    {"var": "café naïve Ångström", "cjk": "漢字かな한국어", "emoji": "😀👍🏽👨\u200d👩\u200d👧",
     "rtl": "שלום مرحبا", "combining": "e\u0301n\u0303"},
    {"a": {"b": {"c": {"d": [1, [2, [3, {"e": []}]], {}]}}}, "l": [[[[]]]]},
    {"zero": 0, "neg": -1, "p53": 2**53, "n53": -(2**53), "p53_1": 2**53 + 1,
     "i64max": 2**63 - 1, "i64min": -(2**63), "big": 1234567890123},
    {"f1": 0.1, "f2": 1e-7, "f3": 1.5e300, "f4": -2.5, "f5": 1.0, "f6": -0.0,
     "f7": 5e-324, "f8": 1.7976931348623157e308, "f9": 1e16, "f10": 0.30000000000000004},
    {"t": True, "f": False, "n": None, "list": [True, False, None, 0, 0.0, ""]},
    {"ключ": 1, "键": "值", "🔑": "🔒", 'quo"te': "a\"b", "back\\slash": "c\\d",
     "ctl\n\t\r": "\x00\x1f\x7f\u2028\u2029", "": "empty key"},
    {"id": "user-42", "var": "value", "roles": ["admin", "user"], "n": 3},
]

# Each codec gets every fixed payload with its first secret; the other secrets
# get this smaller subset.
OTHER_SECRET_PAYLOADS = [{"var": "value"}, FIXED_PAYLOADS[3]]
RANDOM_PER_CODEC = 12


def vector(codec: str, secret: str, payload: dict) -> dict:
    token = compat.mint(codec, secret, payload)
    # Sanity: muffin-session must read its own token back unchanged.
    diff = compat.strict_diff(payload, compat.decode(codec, secret, token))
    assert diff is None, f"{codec} round trip failed: {diff}"
    return {"codec": codec, "secret": secret, "payload": payload, "token": token}


# --------------------------------------------------------------------------
# python_only: JSON only Python writes
# --------------------------------------------------------------------------

# One case per odd value, each beside an ordinary key the Rust side can read.
# Top-level keys differ between cases, so `all_together` is their union, and
# no top-level entry's text occurs inside another (nested keys are distinct).
PYTHON_ONLY_SINGLE = [
    ("lone_high_surrogate", {"var": "value", "s_hi": "\ud800"}),
    ("lone_low_surrogate", {"var": "value", "s_lo": "\udc00"}),
    ("nested_lone_surrogates", {"var": "value",
                                "nested": {"list": ["ok", "\ud800", {"deep": "a\udc00b"}],
                                           "lo_hi": "\udc00\ud800"}}),
    ("nan", {"var": "value", "nan": float("nan")}),
    ("infinity", {"var": "value", "inf": float("inf")}),
    ("negative_infinity", {"var": "value", "ninf": float("-inf")}),
    ("int_2_pow_70", {"var": "value", "big": 2**70}),
    ("int_minus_2_pow_70", {"var": "value", "nbig": -(2**70)}),
    ("ints_just_beyond_64_bits", {"var": "value", "u64max_plus_1": 2**64,
                                  "i64min_minus_1": -(2**63) - 1}),
    ("negative_zero", {"var": "value", "negzero": -0.0}),
    ("nul_char", {"var": "value", "nul": "\u0000"}),
    ("non_bmp", {"var": "value", "emoji": "😀"}),
]


def _union(only_what_orjson_writes: bool = False) -> dict:
    merged = {}
    for _, payload in PYTHON_ONLY_SINGLE:
        if only_what_orjson_writes:
            try:
                asgi_sessions.json_dumps(payload)
            except TypeError:
                continue
        merged.update(payload)
    return merged


PYTHON_ONLY_CASES = PYTHON_ONLY_SINGLE + [
    ("all_together", _union()),
    # base64 and fernet refuse all_together (see the module docs): this is
    # every case they do write, together.
    ("all_that_every_codec_writes", _union(only_what_orjson_writes=True)),
    ("logged_in_lone_surrogate", {"id": 1, "weird": "\ud800"}),
    ("logged_in_nan", {"id": 1, "n": float("nan")}),
]


def session_json(codec: str, secret: str, token: str) -> bytes:
    """The JSON text inside a muffin-session token (signature/MAC checked)."""
    if codec == "base64":
        return base64.urlsafe_b64decode(token)
    if codec == "jwt":
        return jwt.PyJWS().decode(token, key=secret, algorithms=["HS256"])
    return compat.plugin(codec, secret).create_from_token(None).f.decrypt(token.encode())


def entry_text(codec: str, key: str, value) -> str:
    """The text of one top-level entry, written by the encoder muffin-session
    uses for `codec` (PyJWT's json.dumps for jwt, asgi-tools' orjson else)."""
    if codec == "jwt":
        whole = jwt.PyJWT()._encode_payload({key: value})
    else:
        whole = asgi_sessions.json_dumps({key: value})
    return whole.decode("utf-8")[1:-1]


def serde_can_hold(value) -> bool:
    """Whether serde_json (strict JSON, no arbitrary precision) loads `value`."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return all(serde_can_hold(v) for v in value)
    return all(serde_can_hold(k) and serde_can_hold(v) for k, v in value.items())


def python_only_vector(codec: str, secret: str, case: str, payload: dict, token: str) -> dict:
    text = session_json(codec, secret, token).decode("utf-8")
    entries = []
    for key in payload:
        etext = entry_text(codec, key, payload[key])
        # What Python wrote (null for NaN under orjson), read with Python's json.
        written = json.loads("{" + etext + "}")[key]
        entry = {"key": key, "text": etext, "python_only": not serde_can_hold(written)}
        if not entry["python_only"]:
            entry["value"] = written
        entries.append(entry)
    assert text == "{" + ",".join(e["text"] for e in entries) + "}", (codec, case, text)
    for e in entries:  # each entry's text is found once: a substring check is exact
        assert text.count(e["text"]) == 1, (codec, case, e["text"])
    round_trips = compat.strict_diff(payload, compat.decode(codec, secret, token)) is None
    return {"codec": codec, "secret": secret, "case": case, "token": token,
            "json": text, "entries": entries, "round_trips": round_trips}


def python_only_group() -> tuple[list[dict], list[dict]]:
    """(vectors, refused): every case minted by muffin-session for every codec."""
    vectors, refused = [], []
    for codec in compat.CODECS:
        secret = SECRETS[codec][0]
        for case, payload in PYTHON_ONLY_CASES:
            try:
                token = compat.mint(codec, secret, payload)
            except TypeError as err:  # orjson.JSONEncodeError: muffin-session refuses
                refused.append({"codec": codec, "case": case,
                                "error": f"{type(err).__name__}: {err}"})
                continue
            vectors.append(python_only_vector(codec, secret, case, payload, token))
    # jwt (json.dumps) writes every case, and they are the ones only Python writes.
    jwt_cases = {v["case"] for v in vectors if v["codec"] == "jwt"}
    assert jwt_cases == {case for case, _ in PYTHON_ONLY_CASES}, jwt_cases
    return vectors, refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20250601)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    vectors = []
    for codec in compat.CODECS:
        first, *others = SECRETS[codec]
        vectors += [vector(codec, first, p) for p in FIXED_PAYLOADS]
        vectors += [vector(codec, s, p) for s in others for p in OTHER_SECRET_PAYLOADS]
        for _ in range(RANDOM_PER_CODEC):
            secret = rng.choice(SECRETS[codec])
            vectors.append(vector(codec, secret, compat.random_payload(rng)))

    python_only, refused = python_only_group()
    doc = {"generator": "muffin-session 2.6.0", "vectors": vectors,
           "python_only": python_only, "python_only_refused": refused}
    with open(args.out, "w", encoding="utf-8") as f:
        # Python's json writes floats with repr(), which round-trips exactly.
        json.dump(doc, f, ensure_ascii=False, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(vectors)} vectors and {len(python_only)} python_only vectors "
          f"({len(refused)} refused by muffin-session) to {args.out} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
