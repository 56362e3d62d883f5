"""Write golden cookie vectors produced by the real muffin-session 2.6.0.

Usage: python make_vectors.py OUT.json [--seed N]

Each vector is {"codec", "secret", "payload", "token"}: `token` is what
muffin-session puts in the `session` cookie for `payload`. base64 and jwt tokens
are deterministic; fernet tokens carry a random IV and a timestamp, so they
differ on every run and can only be checked by decoding.
"""

from __future__ import annotations

import argparse
import json
import random
import sys

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

    doc = {"generator": "muffin-session 2.6.0", "vectors": vectors}
    with open(args.out, "w", encoding="utf-8") as f:
        # Python's json writes floats with repr(), which round-trips exactly.
        json.dump(doc, f, ensure_ascii=False, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(vectors)} vectors to {args.out} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
