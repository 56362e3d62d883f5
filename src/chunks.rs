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

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use crate::config::SessionConfig;
use crate::error::SaveError;
use crate::rejection::Rejection;

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

/// The session cookie a request carried.
pub(crate) struct Found {
    /// The whole token, chunks put back together.
    pub(crate) token: Result<String, Rejection>,
    /// How many chunk cookies it was split into (0: one plain cookie).
    pub(crate) chunks: usize,
}

/// Finds the session cookie called `name` in the request, putting a chunked
/// one back together. `None` if the request has no such cookie.
pub(crate) fn find(headers: &HeaderMap, name: &str) -> Option<Found> {
    let value = find_cookie(headers, |cookie| cookie == name)?;
    let Some(count) = value.strip_prefix(CHUNKS_PREFIX) else {
        // Larger than anything written: refused before any decoding.
        let token = if value.len() > MAX_SESSION_HEADER {
            Err(Rejection::Oversized)
        } else {
            Ok(value)
        };
        return Some(Found { token, chunks: 0 });
    };
    let chunks = match digit(count) {
        Some(count) if (1..=MAX_CHUNKS).contains(&count) => count,
        _ => {
            return Some(Found {
                token: Err(Rejection::Chunks),
                chunks: 0,
            })
        }
    };
    Some(Found {
        token: join(headers, name, chunks),
        chunks,
    })
}

/// Chunks `1..=count` of the cookie `name`, in order, as one token.
fn join(headers: &HeaderMap, name: &str, count: usize) -> Result<String, Rejection> {
    let mut parts: Vec<Option<String>> = vec![None; count];
    let (mut oversized, mut total) = (false, 0);
    for_each_cookie(headers, |cookie_name, value| {
        let index = chunk_index(name, cookie_name).and_then(|index| index.checked_sub(1));
        if let Some(part @ None) = index.and_then(|index| parts.get_mut(index)) {
            // A chunk larger than a cookie, or chunks larger together than
            // any session written, are refused before any decoding.
            total += value.len();
            oversized |= value.len() > MAX_COOKIE_SIZE || total > MAX_SESSION_HEADER;
            *part = Some(value.to_owned());
        }
        Scan::Continue
    });
    if oversized {
        return Err(Rejection::Oversized);
    }
    parts
        .into_iter()
        .collect::<Option<String>>()
        .ok_or(Rejection::Chunks)
}

/// `sessionC3` is chunk 3 of `session`.
fn chunk_index(name: &str, cookie_name: &str) -> Option<usize> {
    digit(cookie_name.strip_prefix(name)?.strip_prefix('C')?)
}

/// A chunk number: one digit from 1 to 9, in its only spelling (no sign, no
/// leading zero), since `MAX_CHUNKS` is below 10.
fn digit(text: &str) -> Option<usize> {
    match text.as_bytes() {
        [digit @ b'1'..=b'9'] => Some(usize::from(digit - b'0')),
        _ => None,
    }
}

fn chunk_name(name: &str, index: usize) -> String {
    format!("{name}C{index}")
}

/// The value of the first cookie whose name matches.
fn find_cookie(headers: &HeaderMap, mut matches: impl FnMut(&str) -> bool) -> Option<String> {
    let mut found = None;
    for_each_cookie(headers, |name, value| {
        if matches(name) {
            found = Some(value.to_owned());
            return Scan::Stop;
        }
        Scan::Continue
    });
    found
}

/// Whether to look at the next cookie.
#[derive(PartialEq, Eq)]
enum Scan {
    Continue,
    Stop,
}

/// Calls `f` with each cookie of the request's `Cookie` headers, until it
/// says stop.
///
/// Each pair is split as the `cookie` crate's `Cookie::split_parse` splits
/// it (`name=value`, both trimmed, empty names skipped), without building a
/// `Cookie` for every pair, and stopping at the one looked for: the session
/// cookie is read on every request that reads the session, and this scan
/// was a measured share of it.
fn for_each_cookie(headers: &HeaderMap, mut f: impl FnMut(&str, &str) -> Scan) {
    for header in headers.get_all(COOKIE) {
        // Valid UTF-8 is the rule, checked fast; anything else is read lossily.
        let header = match std::str::from_utf8(header.as_bytes()) {
            Ok(header) => std::borrow::Cow::Borrowed(header),
            Err(_) => String::from_utf8_lossy(header.as_bytes()),
        };
        for pair in header.split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if !name.is_empty() && f(name, value.trim()) == Scan::Stop {
                return;
            }
        }
    }
}

/// The `Set-Cookie` headers that store `token`: one cookie when it fits,
/// chunks otherwise, each with `max_age` instead of the configured one if
/// given; and deletions for the request's chunks (`stale`) that the new
/// cookie does not overwrite.
pub(crate) fn store(
    config: &SessionConfig,
    token: &str,
    max_age: Option<u64>,
    stale: usize,
) -> Result<(Vec<HeaderValue>, usize), SaveError> {
    let name = config.cookie_name();
    let attributes = config.attributes_len(max_age);
    let mut headers = Vec::with_capacity(1 + stale);
    let chunks = if name.len() + 1 + token.len() + attributes <= MAX_COOKIE_SIZE {
        headers.push(config.cookie_header(name, token, max_age)?);
        0
    } else {
        let parts = split(token, name, attributes)?;
        let head = format!("{CHUNKS_PREFIX}{}", parts.len());
        headers.push(config.cookie_header(name, &head, max_age)?);
        for (index, part) in parts.iter().enumerate() {
            headers.push(config.cookie_header(&chunk_name(name, index + 1), part, max_age)?);
        }
        parts.len()
    };
    headers.extend(removals(config, chunks + 1..=stale));
    Ok((headers, chunks))
}

/// The `Set-Cookie` headers that delete the session cookie and its `chunks`.
pub(crate) fn remove(config: &SessionConfig, chunks: usize) -> Vec<HeaderValue> {
    let mut headers = Vec::with_capacity(1 + chunks);
    headers.push(config.removal_cookie());
    headers.extend(removals(config, 1..=chunks));
    headers
}

fn removals(
    config: &SessionConfig,
    indexes: std::ops::RangeInclusive<usize>,
) -> impl Iterator<Item = HeaderValue> + '_ {
    let name = config.cookie_name();
    indexes.filter_map(move |index| config.removal_header(&chunk_name(name, index)))
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
