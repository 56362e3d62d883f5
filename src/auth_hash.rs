//! The session auth digest: how a login is revoked without a session store.
//!
//! At login the session gets, under [`AUTH_HASH_KEY`](crate::AUTH_HASH_KEY),
//! a keyed digest of the bytes the app's
//! [`UserLoader::session_auth_hash`](crate::UserLoader::session_auth_hash)
//! gives for the user (derived from the password hash, or a "sessions valid
//! after" stamp). Whenever the user is loaded the digest is computed again
//! and compared: once those bytes change, every cookie minted before is an
//! anonymous visitor. The digest is an HMAC-SHA256 under a key derived from
//! the session secret, so it reveals nothing of the hash, and a cookie
//! cannot be given a matching digest without the secret.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Separates the digest's key from every other use of the secret.
const CONTEXT: &[u8] = b"axum-cookie-session: session auth hash, v1";

/// Bytes of the digest kept in the session: 128 bits.
const DIGEST_LEN: usize = 16;

/// Digests under the current key, and checks under every key, so a key
/// rotation does not log everyone out.
#[derive(Clone)]
pub(crate) struct AuthDigest {
    /// The current key's first, then the fallback keys'.
    keys: Vec<HmacSha256>,
}

/// How a stored digest compares with the user's hash now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verified {
    /// It matches under the current key.
    Current,
    /// It matches under a fallback key: to be digested again.
    FallbackKey,
    /// It does not match: the login was revoked.
    Mismatch,
}

impl AuthDigest {
    /// The digest keys for these secrets, the current one first.
    pub(crate) fn new(secrets: &[&str]) -> Self {
        let keys = secrets
            .iter()
            .filter_map(|secret| {
                let mut derive = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
                derive.update(CONTEXT);
                HmacSha256::new_from_slice(&derive.finalize().into_bytes()).ok()
            })
            .collect();
        Self { keys }
    }

    /// The digest of `hash` under the current key, as stored in the session.
    pub(crate) fn digest(&self, hash: &[u8]) -> Option<String> {
        let mut mac = self.keys.first()?.clone();
        mac.update(hash);
        let tag = mac.finalize().into_bytes();
        Some(URL_SAFE_NO_PAD.encode(&tag[..DIGEST_LEN]))
    }

    /// Compares a stored digest with `hash`, in constant time.
    pub(crate) fn verify(&self, hash: &[u8], stored: &str) -> Verified {
        let Ok(stored) = URL_SAFE_NO_PAD.decode(stored) else {
            return Verified::Mismatch;
        };
        if stored.len() != DIGEST_LEN {
            return Verified::Mismatch;
        }
        for (index, key) in self.keys.iter().enumerate() {
            let mut mac = key.clone();
            mac.update(hash);
            if mac.verify_truncated_left(&stored).is_ok() {
                return if index == 0 {
                    Verified::Current
                } else {
                    Verified::FallbackKey
                };
            }
        }
        Verified::Mismatch
    }
}

impl fmt::Debug for AuthDigest {
    /// Never the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthDigest({} keys)", self.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_matches_its_hash_under_any_of_the_keys() {
        let old = AuthDigest::new(&["old secret"]);
        let rotated = AuthDigest::new(&["new secret", "old secret"]);
        let digest = old.digest(b"hash-1").unwrap();
        assert_eq!(old.verify(b"hash-1", &digest), Verified::Current);
        assert_eq!(old.verify(b"hash-2", &digest), Verified::Mismatch);
        assert_eq!(rotated.verify(b"hash-1", &digest), Verified::FallbackKey);
        let unrelated = AuthDigest::new(&["another secret"]);
        assert_eq!(unrelated.verify(b"hash-1", &digest), Verified::Mismatch);
        for junk in ["", "!!", "AAAA", &digest[..10], &format!("{digest}AA")] {
            assert_eq!(old.verify(b"hash-1", junk), Verified::Mismatch, "{junk}");
        }
    }
}
