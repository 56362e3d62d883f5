//! Sessions too big for one cookie, split across numbered cookies, in the
//! format of ASP.NET Core's chunking cookie manager.
//!
//! Browsers drop a cookie over 4096 bytes without a word, so a token that does
//! not fit is written as `session=chunks-2`, `sessionC1=<first part>`,
//! `sessionC2=<second part>`, and put back together on load. Chunks the
//! request carried but the new session no longer needs are deleted. A session
//! that would take more than [`MAX_SESSION_HEADER`] bytes of the `Cookie`
//! header is refused with [`SaveError::TooLarge`]. muffin-session does not read
//! chunked cookies: sessions shared with it must fit in one cookie.

use std::borrow::Cow;

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use super::cookie::CookieFormat;
use super::rejection::Rejection;
use crate::error::SaveError;

/// The most a browser keeps of one cookie: its `Set-Cookie` line (name, value
/// and attributes), as RFC 6265 measures it.
pub const MAX_COOKIE_SIZE: usize = 4096;

/// The most the session's cookies may take of the `Cookie` header a browser
/// sends: servers commonly refuse headers over 8 KiB, and this leaves 1 KiB
/// of it for the app's other cookies.
pub const MAX_SESSION_HEADER: usize = 7 * 1024;

/// The most chunks ever read from a request. Writing stays far below it
/// (the header budget allows two or three); a request claiming more is
/// rejected without looking for them.
pub const MAX_CHUNKS: usize = 8;

/// The value of the first cookie of a chunked session.
const CHUNKS_PREFIX: &str = "chunks-";

/// The most cookies read from a request's `Cookie` headers. A request that
/// carries more is read as carrying no session (logged at debug level), so
/// the scan's cost is bounded whatever the header holds, and a second,
/// different session cookie (which makes the session ambiguous, so empty)
/// cannot hide past the limit. Browsers keep at most 180 cookies per site
/// (Chrome, Firefox), so a browser's request never comes near it.
pub const MAX_REQUEST_COOKIES: usize = 512;

/// The session cookie a request carried.
pub(crate) struct Found<'a> {
    /// The whole token: borrowed from the request when it is one cookie,
    /// chunks put back together otherwise.
    pub(crate) token: Result<Cow<'a, str>, Rejection>,
    /// How many chunk cookies it was split into (0: one plain cookie).
    pub(crate) chunks: usize,
}

/// What one cookie name (the session cookie, or one of its chunks) held
/// across the request's cookies.
#[derive(Default)]
enum Seen<'a> {
    #[default]
    None,
    /// One value, however many times it was sent.
    One(&'a [u8]),
    /// Larger than `limit`: refused without being kept.
    Oversized,
    /// Two different values: which one the browser meant cannot be known.
    Ambiguous,
}

impl<'a> Seen<'a> {
    /// Records a value sent under this name; values over `limit` bytes are
    /// not kept.
    fn record(&mut self, value: &'a [u8], limit: usize) {
        *self = match std::mem::take(self) {
            Self::None if value.len() > limit => Self::Oversized,
            Self::None => Self::One(value),
            Self::One(kept) if kept == value => Self::One(kept),
            Self::Oversized if value.len() > limit => Self::Oversized,
            Self::Ambiguous | Self::One(_) | Self::Oversized => Self::Ambiguous,
        };
    }
}

/// Finds the session cookie called `name` in the request, putting a chunked
/// one back together. `None` if the request has no such cookie.
///
/// One pass over at most [`MAX_REQUEST_COOKIES`] cookies, across all the
/// request's `Cookie` headers, keeps the session cookie and its chunks.
/// Several *different* values under one of those names (a cookie planted
/// for a parent domain or another path by a sibling site, beside the real
/// one) are refused as ambiguous: the session is empty, rather than one the
/// browser may not have meant. The same value sent twice is one cookie.
pub(crate) fn find<'a>(headers: &'a HeaderMap, name: &str) -> Option<Found<'a>> {
    let mut session = Seen::None;
    let mut parts: [Seen<'_>; MAX_CHUNKS] = Default::default();
    let mut count = 0;
    for header in headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|byte| *byte == b';') {
            count += 1;
            if count > MAX_REQUEST_COOKIES {
                return Some(Found {
                    token: Err(Rejection::TooManyCookies),
                    chunks: 0,
                });
            }
            // Split as the `cookie` crate's `Cookie::split_parse` splits:
            // `name=value`, both trimmed, pairs without `=` skipped.
            let Some(at) = pair.iter().position(|byte| *byte == b'=') else {
                continue;
            };
            let (cookie_name, value) = (pair[..at].trim_ascii(), pair[at + 1..].trim_ascii());
            if cookie_name == name.as_bytes() {
                session.record(value, MAX_SESSION_HEADER);
            } else if let Some(index) = chunk_index(name, cookie_name) {
                if let Some(part) = parts.get_mut(index - 1) {
                    part.record(value, MAX_COOKIE_SIZE);
                }
            }
        }
    }
    let value = match session {
        Seen::None => return None,
        // A token is ASCII: anything else is no token of any codec.
        Seen::One(value) => match std::str::from_utf8(value) {
            Ok(value) => value,
            Err(_) => return Some(refused(Rejection::Malformed)),
        },
        Seen::Oversized => return Some(refused(Rejection::Oversized)),
        Seen::Ambiguous => return Some(refused(Rejection::Ambiguous)),
    };
    let Some(count) = value.strip_prefix(CHUNKS_PREFIX) else {
        return Some(Found {
            token: Ok(Cow::Borrowed(value)),
            chunks: 0,
        });
    };
    let chunks = match digit(count.as_bytes()) {
        Some(count) if (1..=MAX_CHUNKS).contains(&count) => count,
        _ => return Some(refused(Rejection::Chunks)),
    };
    Some(Found {
        token: join(parts, chunks).map(Cow::Owned),
        chunks,
    })
}

/// A session cookie refused before any decoding.
fn refused(rejection: Rejection) -> Found<'static> {
    Found {
        token: Err(rejection),
        chunks: 0,
    }
}

/// Chunks `1..=count`, in order, as one token.
fn join(parts: [Seen<'_>; MAX_CHUNKS], count: usize) -> Result<String, Rejection> {
    let mut token = String::new();
    for part in parts.into_iter().take(count) {
        match part {
            Seen::One(value) => {
                token.push_str(std::str::from_utf8(value).map_err(|_| Rejection::Malformed)?);
            }
            Seen::None => return Err(Rejection::Chunks),
            Seen::Oversized => return Err(Rejection::Oversized),
            Seen::Ambiguous => return Err(Rejection::Ambiguous),
        }
        // Chunks larger together than any session written are refused
        // before any decoding.
        if token.len() > MAX_SESSION_HEADER {
            return Err(Rejection::Oversized);
        }
    }
    Ok(token)
}

/// `sessionC3` is chunk 3 of `session`.
fn chunk_index(name: &str, cookie_name: &[u8]) -> Option<usize> {
    digit(
        cookie_name
            .strip_prefix(name.as_bytes())?
            .strip_prefix(b"C")?,
    )
}

/// A chunk number: one digit from 1 to 9, in its only spelling (no sign, no
/// leading zero), since `MAX_CHUNKS` is below 10.
fn digit(text: &[u8]) -> Option<usize> {
    match text {
        [digit @ b'1'..=b'9'] => Some(usize::from(digit - b'0')),
        _ => None,
    }
}

fn chunk_name(name: &str, index: usize) -> String {
    format!("{name}C{index}")
}

/// The `Set-Cookie` headers that store `token`: one cookie when it fits,
/// chunks otherwise, each with `max_age` instead of the configured one if
/// given; and deletions for the request's chunks (`stale`) that the new
/// cookie does not overwrite.
pub(crate) fn store(
    cookie: &CookieFormat,
    token: &str,
    max_age: Option<u64>,
    stale: usize,
) -> Result<(Vec<HeaderValue>, usize), SaveError> {
    let name = cookie.name();
    let attributes = cookie.attributes_len(max_age);
    let mut headers = Vec::with_capacity(1 + stale);
    let chunks = if name.len() + 1 + token.len() + attributes <= MAX_COOKIE_SIZE {
        headers.push(cookie.header(name, token, max_age)?);
        0
    } else {
        let parts = split(token, name, attributes)?;
        let head = format!("{CHUNKS_PREFIX}{}", parts.len());
        headers.push(cookie.header(name, &head, max_age)?);
        for (index, part) in parts.iter().enumerate() {
            headers.push(cookie.header(&chunk_name(name, index + 1), part, max_age)?);
        }
        parts.len()
    };
    headers.extend(removals(cookie, chunks + 1..=stale));
    Ok((headers, chunks))
}

/// The `Set-Cookie` headers that delete the session cookie and its `chunks`.
pub(crate) fn remove(cookie: &CookieFormat, chunks: usize) -> Vec<HeaderValue> {
    let mut headers = Vec::with_capacity(1 + chunks);
    headers.push(cookie.removal());
    headers.extend(removals(cookie, 1..=chunks));
    headers
}

fn removals(
    cookie: &CookieFormat,
    indexes: std::ops::RangeInclusive<usize>,
) -> impl Iterator<Item = HeaderValue> + '_ {
    let name = cookie.name();
    indexes.filter_map(move |index| cookie.removal_header(&chunk_name(name, index)))
}

/// Splits a token into chunks that each fit one cookie, checking that
/// together they fit the `Cookie` header budget.
fn split<'t>(token: &'t str, name: &str, attributes: usize) -> Result<Vec<&'t str>, SaveError> {
    // Chunk names have one digit: MAX_CHUNKS is below 10.
    let room = MAX_COOKIE_SIZE.saturating_sub(name.len() + "C1=".len() + attributes);
    let too_large = |size| SaveError::TooLarge {
        size,
        limit: MAX_SESSION_HEADER,
    };
    // What the request's `Cookie` header would hold: every `name=value`, joined by "; ".
    let count = token.len().div_ceil(room.max(1));
    let header_size = name.len() + 1 + CHUNKS_PREFIX.len() + 1 // session=chunks-N
        + count * (name.len() + "C1=".len() + "; ".len())
        + token.len();
    if room == 0 || count > MAX_CHUNKS || header_size > MAX_SESSION_HEADER {
        return Err(too_large(header_size));
    }
    // Tokens are ASCII (base64url and dots), so any byte offset is a boundary.
    let mut parts = Vec::with_capacity(count);
    let mut rest = token;
    while !rest.is_empty() {
        let at = rest.len().min(room);
        let (part, tail) = rest.split_at_checked(at).ok_or(too_large(header_size))?;
        parts.push(part);
        rest = tail;
    }
    Ok(parts)
}
