//! The cookie on the wire: what a session cookie is made of, from the
//! request's `Cookie` header down to the session's JSON object, and back.
//!
//! - [`chunks`]: the request's cookies scanned for the session cookie, and a
//!   token too big for one cookie split across several;
//! - [`cookie`]: the `Set-Cookie` attributes, rendered once;
//! - [`codec`]: the token (base64, JWT, Fernet) around the JSON text;
//! - [`json`] and [`object`]: the JSON object, cut into entries kept as
//!   they came (muffin-session writes a dialect `serde_json` refuses);
//! - [`claims`]: the issue time and lifetime beside the session's keys, one
//!   scheme per codec; [`expiry`]: whether they say the cookie is valid;
//! - [`rejection`]: why a cookie was refused.
//!
//! Nothing here knows of requests, views or the config: the config builds
//! these pieces, and [`crate::state`] runs them.

pub(crate) mod chunks;
pub(crate) mod claims;
pub(crate) mod codec;
pub(crate) mod cookie;
pub(crate) mod expiry;
pub(crate) mod json;
pub(crate) mod object;
pub(crate) mod rejection;
